import Foundation

/// A tensor element type of the safetensors format.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .F64, .I64: 8
        case .F32, .I32: 4
        case .F16, .BF16, .I16: 2
        case .I8, .U8, .BOOL: 1
        }
    }

    /// Whether values are floating point (read with `tensor(_:)`) or integers (`intTensor(_:)`,
    /// or `tensor(_:)`, converted).
    public var isFloatingPoint: Bool { [.F64, .F32, .F16, .BF16].contains(self) }
}

/// What went wrong reading or writing a safetensors file. Every message says what was expected
/// and what was found.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case fileTooSmall(bytes: Int)
    case headerTooLarge(declared: UInt64, available: Int)
    case invalidHeader(String)
    case invalidEntry(name: String, reason: String)
    case overlappingData(first: String, second: String)
    case missingTensor(name: String, available: [String])
    case notInteger(name: String, dtype: SafetensorsDType)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read safetensors file \(path): \(reason)"
        case let .fileTooSmall(bytes):
            "safetensors file too small: expected at least 8 bytes (the header length), found \(bytes)"
        case let .headerTooLarge(declared, available):
            "safetensors header length \(declared) exceeds the \(available) bytes that follow it (or the 100 MB limit)"
        case let .invalidHeader(reason):
            "invalid safetensors header: \(reason)"
        case let .invalidEntry(name, reason):
            "invalid safetensors entry \"\(name)\": \(reason)"
        case let .overlappingData(first, second):
            "safetensors entries \"\(first)\" and \"\(second)\" have overlapping data offsets"
        case let .missingTensor(name, available):
            "no tensor named \"\(name)\" in safetensors file (it has \(available.count): \(available.prefix(8).joined(separator: ", "))\(available.count > 8 ? ", …" : ""))"
        case let .notInteger(name, dtype):
            "tensor \"\(name)\" has dtype \(dtype.rawValue); expected an integer dtype for intTensor(_:)"
        case let .unwritable(path, reason):
            "cannot write safetensors file \(path): \(reason)"
        }
    }
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to its dtype, shape and byte range, then the raw little-endian data.
///
/// Opening a file memory-maps it and validates the whole header against the file size before
/// anything is read (header length, JSON, dtypes, shapes, byte counts, offsets in range and not
/// overlapping), so a malformed file throws a ``SafetensorsError`` instead of trapping. Tensors
/// are then converted one at a time straight from the mapping into `Tensor` storage: a large
/// file is never held in memory twice.
public struct SafetensorsFile: @unchecked Sendable {
    /// Where one tensor lives in the data section.
    public struct Entry: Sendable, Equatable {
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let byteRange: Range<Int>
    }

    /// The free-form `__metadata__` string map.
    public let metadata: [String: String]
    /// Every tensor, by name.
    public let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int
    private let origin: String

    /// Largest header accepted (the format's own limit).
    public static let maximumHeaderLength = 100_000_000

    /// Opens and validates the file at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafetensorsError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, origin: url.path)
    }

    /// Validates an in-memory file.
    public init(data: Data, origin: String = "<memory>") throws {
        self.data = data
        self.origin = origin
        guard data.count >= 8 else { throw SafetensorsError.fileTooSmall(bytes: data.count) }
        let headerLength = data.withUnsafeBytes { raw in
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        }
        guard headerLength <= UInt64(data.count - 8), headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw SafetensorsError.headerTooLarge(declared: headerLength, available: data.count - 8)
        }
        dataStart = 8 + Int(headerLength)
        let header = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + dataStart))
        (metadata, entries) = try Self.parseHeader(header, dataSize: data.count - dataStart)
    }

    /// Tensor names in the order their data appears in the file.
    public var names: [String] {
        entries.sorted { ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key) }.map(\.key)
    }

    private func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw SafetensorsError.missingTensor(name: name, available: names) }
        return e
    }

    /// The tensor `name` as `Float`: F32 as is, F16/BF16 widened exactly, F64 rounded, integer
    /// and boolean dtypes converted.
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        return Tensor(shape: e.shape) { dst in
            data.withUnsafeBytes { raw in
                let src = raw.baseAddress!.advanced(by: dataStart + e.byteRange.lowerBound)
                SafetensorsCodec.decodeFloats(src, dtype: e.dtype, count: dst.count, into: dst.baseAddress!)
            }
        }
    }

    /// The integer tensor `name` (I64, I32, I16, I8, U8, BOOL).
    public func intTensor(_ name: String) throws -> IntTensor {
        let e = try entry(name)
        guard !e.dtype.isFloatingPoint else { throw SafetensorsError.notInteger(name: name, dtype: e.dtype) }
        let n = e.shape.reduce(1, *)
        let values = data.withUnsafeBytes { raw in
            SafetensorsCodec.decodeIntegers(raw.baseAddress!.advanced(by: dataStart + e.byteRange.lowerBound),
                                            dtype: e.dtype, count: n)
        }
        return IntTensor(shape: e.shape, values: values)
    }

    // MARK: Header validation

    private static func parseHeader(_ header: Data, dataSize: Int) throws -> ([String: String], [String: Entry]) {
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
        var entries: [String: Entry] = [:]
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
            entries[name] = try parseEntry(name, value, dataSize: dataSize)
        }
        // Data ranges must not overlap.
        let ordered = entries.filter { !$0.value.byteRange.isEmpty }.sorted { $0.value.byteRange.lowerBound < $1.value.byteRange.lowerBound }
        for (a, b) in zip(ordered, ordered.dropFirst()) where b.value.byteRange.lowerBound < a.value.byteRange.upperBound {
            throw SafetensorsError.overlappingData(first: a.key, second: b.key)
        }
        return (metadata, entries)
    }

    private static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        #if canImport(Darwin)
        if CFGetTypeID(number) == CFBooleanGetTypeID() { return nil }
        #endif
        let d = number.doubleValue
        guard d.rounded() == d, let i = Int(exactly: number.int64Value), Double(i) == d else { return nil }
        return i
    }

    private static func parseEntry(_ name: String, _ value: Any, dataSize: Int) throws -> Entry {
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
            guard !overflow else { throw fail("shape \(shape + [d]) has too many elements") }
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
        return Entry(dtype: dtype, shape: shape, byteRange: begin..<end)
    }
}

/// A tensor to write: floats stored as F32 (default), F16, BF16 or F64; integers as I64
/// (default), I32, I16, I8, U8 or BOOL.
public enum SafetensorsValue {
    case float(Tensor, SafetensorsDType = .F32)
    case int(IntTensor, SafetensorsDType = .I64)

    var dtype: SafetensorsDType {
        switch self {
        case let .float(_, d), let .int(_, d): d
        }
    }

    var shape: [Int] {
        switch self {
        case let .float(t, _): t.shape
        case let .int(t, _): t.shape
        }
    }
}

extension SafetensorsFile {
    /// Writes `tensors` (in the given order) and `metadata` to `url`, streaming one tensor at a
    /// time so a large file is never assembled in memory.
    public static func write(_ tensors: [(name: String, value: SafetensorsValue)], metadata: [String: String] = [:],
                             to url: URL) throws {
        func fail(_ reason: String) -> SafetensorsError { .unwritable(path: url.path, reason: reason) }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var seen = Set<String>()
        for (name, value) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else { throw fail("duplicate or reserved tensor name \"\(name)\"") }
            switch value {
            case let .float(_, d) where !d.isFloatingPoint, let .int(_, d) where d.isFloatingPoint:
                throw fail("tensor \"\(name)\" cannot be stored as \(d.rawValue)")
            default: break
            }
            let bytes = value.shape.reduce(1, *) * value.dtype.size
            header[name] = ["dtype": value.dtype.rawValue, "shape": value.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: url) else {
            throw fail("cannot create the file")
        }
        defer { try? handle.close() }
        do {
            var length = UInt64(json.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: json)
            for (_, value) in tensors {
                try handle.write(contentsOf: SafetensorsCodec.encode(value))
            }
        } catch {
            throw fail(error.localizedDescription)
        }
    }

    /// Writes float tensors as F32 and integer tensors as I64, names sorted.
    public static func write(floats: [String: Tensor] = [:], ints: [String: IntTensor] = [:],
                             metadata: [String: String] = [:], to url: URL) throws {
        let values = floats.map { (name: $0.key, value: SafetensorsValue.float($0.value)) }
            + ints.map { (name: $0.key, value: SafetensorsValue.int($0.value)) }
        try write(values.sorted { $0.name < $1.name }, metadata: metadata, to: url)
    }
}
