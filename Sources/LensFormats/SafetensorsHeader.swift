import Foundation

/// Parses and validates a safetensors JSON header against the size of the data section that
/// follows it, so that every later read is known to be in range.
///
/// Checked: strict JSON (``JSONValue``: UTF-8, no repeated keys, booleans are not numbers,
/// shallow nesting) holding an object; `__metadata__` a map of strings; each entry's dtype known, shape
/// of non-negative integers whose element count and byte count do not overflow `Int`, byte count
/// equal to its `data_offsets` span, offsets inside the data section, and no two entries'
/// bytes overlapping.
enum SafetensorsHeader {
    /// The metadata and entries of `header`, the JSON text of the file at `path`.
    static func parse(_ header: Data, dataSize: Int, path: String) throws -> (metadata: [String: String], entries: [String: SafetensorsFile.Entry]) {
        func invalid(_ reason: String) -> SafetensorsError { .invalidHeader(path: path, reason: reason) }
        guard String(validating: header, as: UTF8.self) != nil else {
            throw invalid("expected UTF-8 JSON, found bytes that are not valid UTF-8")
        }
        guard header.first == UInt8(ascii: "{") else {
            let start = String(decoding: header.prefix(20), as: UTF8.self)
            throw invalid("expected a JSON object starting with '{', found \(start.debugDescription)")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(header, origin: "header", maximumDepth: 4)
        } catch let error as JSONParseError {
            throw invalid("malformed JSON at byte \(error.offset) of the header: \(error.reason)")
        }
        guard let object = json.object else { throw invalid("expected a JSON object at the top level, found \(json.summary)") }
        var metadata: [String: String] = [:]
        var entries: [String: SafetensorsFile.Entry] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value.object else {
                    throw invalid("__metadata__ must be an object of strings, found \(value.summary)")
                }
                for (k, v) in map {
                    guard let s = v.string else {
                        throw invalid("__metadata__ value for \"\(k)\" must be a string, found \(v.summary)")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try entry(name, value, dataSize: dataSize, path: path)
        }
        // Data ranges must not overlap (empty tensors occupy no bytes and cannot).
        let ordered = entries.filter { !$0.value.byteRange.isEmpty }
            .sorted { ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key) }
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.value.byteRange.lowerBound < a.value.byteRange.upperBound {
            throw SafetensorsError.overlappingData(path: path, first: a.key, second: b.key)
        }
        return (metadata, entries)
    }

    private static func entry(_ name: String, _ value: JSONValue, dataSize: Int, path: String) throws -> SafetensorsFile.Entry {
        func fail(_ reason: String) -> SafetensorsError { .invalidEntry(path: path, name: name, reason: reason) }
        guard let fields = value.object else { throw fail("expected an object with dtype, shape and data_offsets, found \(value.summary)") }
        if let unknown = fields.keys.sorted().first(where: { !["dtype", "shape", "data_offsets"].contains($0) }) {
            throw fail("unknown field \"\(unknown)\"; expected only dtype, shape and data_offsets")
        }
        guard let dtypeName = fields["dtype"]?.string else {
            throw fail("expected \"dtype\" to be a string, found \(fields["dtype"]?.summary ?? "nothing")")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw fail("unsupported dtype \"\(dtypeName)\"; expected one of \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let shapeValues = fields["shape"]?.array else {
            throw fail("expected \"shape\" to be an array of integers, found \(fields["shape"]?.summary ?? "nothing")")
        }
        var shape: [Int] = []
        var elements = 1
        for (axis, v) in shapeValues.enumerated() {
            guard let d = v.integer, d >= 0 else {
                throw fail("expected shape[\(axis)] to be a non-negative integer, found \(v.summary)")
            }
            let (p, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("shape \(shape + [d]) has too many elements (more than Int.max)") }
            shape.append(d)
            elements = p
        }
        guard let offsets = fields["data_offsets"]?.array, offsets.count == 2 else {
            throw fail("expected \"data_offsets\" to be two integers [begin, end], found \(fields["data_offsets"]?.summary ?? "nothing")")
        }
        guard let begin = offsets[0].integer, let end = offsets[1].integer else {
            throw fail("expected \"data_offsets\" to be two integers [begin, end], found \(offsets[0].summary) and \(offsets[1].summary)")
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
