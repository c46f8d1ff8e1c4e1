import Foundation

/// Parses and validates a safetensors JSON header against the size of the data section that
/// follows it, so that every later read is known to be in range.
///
/// Checked: UTF-8 JSON object; `__metadata__` a map of strings; each entry's dtype known, shape
/// of non-negative integers whose element count and byte count do not overflow `Int`, byte count
/// equal to its `data_offsets` span, offsets inside the data section, and no two entries'
/// bytes overlapping.
enum SafetensorsHeader {
    static func parse(_ header: Data, dataSize: Int) throws -> (metadata: [String: String], entries: [String: SafetensorsFile.Entry]) {
        guard let text = String(data: header, encoding: .utf8) else {
            throw SafetensorsError.invalidHeader("expected UTF-8 JSON, found bytes that are not valid UTF-8")
        }
        guard text.first == "{" else {
            throw SafetensorsError.invalidHeader("expected a JSON object starting with '{', found \(text.prefix(20).debugDescription)")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw SafetensorsError.invalidHeader("malformed JSON (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any] else {
            throw SafetensorsError.invalidHeader("expected a JSON object at the top level")
        }
        var metadata: [String: String] = [:]
        var entries: [String: SafetensorsFile.Entry] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw SafetensorsError.invalidHeader("__metadata__ must be an object of strings")
                }
                for (k, v) in map {
                    guard let s = v as? String else {
                        throw SafetensorsError.invalidHeader("__metadata__ value for \"\(k)\" must be a string, found \(type(of: v))")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try entry(name, value, dataSize: dataSize)
        }
        // Data ranges must not overlap (empty tensors occupy no bytes and cannot).
        let ordered = entries.filter { !$0.value.byteRange.isEmpty }
            .sorted { ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key) }
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.value.byteRange.lowerBound < a.value.byteRange.upperBound {
            throw SafetensorsError.overlappingData(first: a.key, second: b.key)
        }
        return (metadata, entries)
    }

    /// A JSON number that is an exact integer representable as `Int` (not a fraction, a boolean
    /// or a value past `Int.max`).
    private static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        #if canImport(Darwin)
        if CFGetTypeID(number) == CFBooleanGetTypeID() { return nil }
        #endif
        let d = number.doubleValue
        guard d.rounded() == d, let i = Int(exactly: number.int64Value), Double(i) == d else { return nil }
        return i
    }

    private static func entry(_ name: String, _ value: Any, dataSize: Int) throws -> SafetensorsFile.Entry {
        func fail(_ reason: String) -> SafetensorsError { .invalidEntry(name: name, reason: reason) }
        guard let fields = value as? [String: Any] else { throw fail("expected an object with dtype, shape and data_offsets") }
        guard let dtypeName = fields["dtype"] as? String else { throw fail("missing or non-string \"dtype\"") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw fail("unsupported dtype \"\(dtypeName)\"; expected one of \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let shapeValues = fields["shape"] as? [Any] else { throw fail("missing or non-array \"shape\"") }
        var shape: [Int] = []
        var elements = 1
        for v in shapeValues {
            guard let d = integer(v), d >= 0 else { throw fail("shape \(shapeValues) must hold non-negative integers") }
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape \(shape + [d]) has too many elements (more than Int.max)") }
            shape.append(d)
            elements = p
        }
        guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
              let begin = integer(offsets[0]), let end = integer(offsets[1]) else {
            throw fail("\"data_offsets\" must be two integers [begin, end]")
        }
        guard begin >= 0, begin <= end else { throw fail("data_offsets [\(begin), \(end)] must satisfy 0 ≤ begin ≤ end") }
        guard end <= dataSize else {
            throw fail("data_offsets [\(begin), \(end)] run past the end of the data section (\(dataSize) bytes)")
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, bytes == end - begin else {
            throw fail("shape \(shape) of \(dtype.rawValue) needs \(overflow ? "too many" : String(bytes)) bytes, but data_offsets span \(end - begin)")
        }
        return SafetensorsFile.Entry(dtype: dtype, shape: shape, byteRange: begin..<end)
    }
}
