/// The parsed and validated header of a GGUF file: everything before the tensor data.
///
/// Parsing never trusts a number from the file before checking it: every length and count is
/// compared with the bytes that remain before anything is read or allocated for it (an array of
/// `n` elements needs at least `n` × the element type's minimum size), all arithmetic on file
/// values is overflow-checked, and each tensor's byte range is checked against the data section
/// and the other tensors. Nothing here traps on any input.
struct GGUFHeader {
    var version: UInt32 = 0
    var metadata: [String: GGUFValue] = [:]
    var keys: [String] = []
    var tensors: [GGUFTensorInfo] = []
    var alignment = GGUFHeader.defaultAlignment
    var dataOffset = 0

    /// `GGUF_DEFAULT_ALIGNMENT`.
    static let defaultAlignment = 32
    /// ggml's `GGML_MAX_DIMS`.
    static let maximumDimensions = 4
    /// The spec's limit on a tensor name's length in bytes.
    static let maximumNameLength = 64
    /// How deeply arrays may nest (ggml allows none, gguf-py any; deep nesting would only
    /// exhaust the stack).
    static let maximumArrayDepth = 16
    /// Smallest metadata entry: key length, value type, one byte of value.
    static let minimumEntryBytes = 8 + 4 + 1
    /// Smallest tensor-info record: name length, n_dims, type, offset.
    static let minimumTensorRecordBytes = 8 + 4 + 4 + 8

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> GGUFHeader {
        var reader = Reader(bytes: bytes, path: path)
        var header = GGUFHeader()
        try header.readPreamble(&reader)
        let tensorCount = try reader.u64("the tensor count")
        let entryCount = try reader.u64("the metadata entry count")
        try reader.requireRoom(for: entryCount, ofAtLeast: minimumEntryBytes, "the \(entryCount) metadata entries declared")
        for index in 0..<Int(entryCount) { try header.readEntry(index, &reader) }
        try reader.requireRoom(for: tensorCount, ofAtLeast: minimumTensorRecordBytes, "the \(tensorCount) tensor-info records declared")
        var records: [(name: String, dimensions: [Int], type: GGMLType, offset: Int, at: Int)] = []
        records.reserveCapacity(Int(tensorCount))
        var seen = Set<String>()
        for index in 0..<Int(tensorCount) {
            let record = try readTensorRecord(index, &reader)
            guard seen.insert(record.name).inserted else {
                throw GGUFError.invalidTensorInfo(path: path, tensor: record.name, offset: record.at, reason: "a second tensor with this name; expected unique names")
            }
            records.append(record)
        }
        // The data section starts at the next multiple of the alignment.
        let end = reader.position
        let (padded, overflow) = end.addingReportingOverflow((header.alignment - end % header.alignment) % header.alignment)
        guard !overflow else {
            throw GGUFError.invalidHeader(path: path, offset: end, reason: "aligning the data section to \(header.alignment) overflows")
        }
        header.dataOffset = padded
        if !records.isEmpty, padded > bytes.count {
            throw GGUFError.truncated(path: path, field: "the padding before the tensor data (aligned to \(header.alignment))",
                                      offset: end, needed: UInt64(padded - end), available: bytes.count - end)
        }
        let dataSize = max(bytes.count - padded, 0)
        header.tensors = try records.map { r in
            try validate(r.name, r.dimensions, r.type, r.offset, at: r.at, alignment: header.alignment,
                         dataOffset: padded, dataSize: dataSize, path: path)
        }
        try checkOverlaps(header.tensors, path: path)
        return header
    }

    // MARK: Preamble

    private mutating func readPreamble(_ reader: inout Reader) throws {
        let magic = Array(reader.bytes.prefix(4))
        guard magic == Array("GGUF".utf8) else {
            if magic.count < 4, !magic.isEmpty, magic == Array("GGUF".utf8.prefix(magic.count)) {
                throw GGUFError.truncated(path: reader.path, field: "the magic bytes", offset: 0, needed: 4, available: magic.count)
            }
            throw GGUFError.badMagic(path: reader.path, found: magic)
        }
        reader.position = 4
        version = try reader.u32("the version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: reader.path, version: version) }
    }

    // MARK: Metadata

    private mutating func readEntry(_ index: Int, _ reader: inout Reader) throws {
        let at = reader.position
        let key = try reader.string("the key of metadata entry \(index)", key: "")
        guard !key.isEmpty else {
            throw GGUFError.invalidMetadata(path: reader.path, key: key, offset: at, reason: "metadata entry \(index) has an empty key")
        }
        guard metadata[key] == nil else {
            throw GGUFError.invalidMetadata(path: reader.path, key: key, offset: at, reason: "a second entry with this key; expected unique keys")
        }
        let typeAt = reader.position
        let type = try reader.valueType("the value type of \"\(key)\"", key: key, at: typeAt)
        let value = try reader.value(of: type, key: key, depth: 0)
        if key == "general.alignment" {
            guard case let .uint32(a) = value, a > 0, a & (a - 1) == 0 else {
                throw GGUFError.invalidMetadata(path: reader.path, key: key, offset: typeAt,
                                                reason: "expected a UINT32 power of two, found \(value)")
            }
            alignment = Int(a)
        }
        metadata[key] = value
        keys.append(key)
    }

    // MARK: Tensors

    private static func readTensorRecord(_ index: Int, _ reader: inout Reader) throws
        -> (name: String, dimensions: [Int], type: GGMLType, offset: Int, at: Int) {
        let at = reader.position
        let path = reader.path
        let name = try reader.string("the name of tensor \(index)", key: "", tensorRecord: true)
        func fail(_ reason: String) -> GGUFError { .invalidTensorInfo(path: path, tensor: name, offset: at, reason: reason) }
        guard !name.isEmpty else { throw fail("tensor \(index) has an empty name") }
        guard name.utf8.count <= maximumNameLength else {
            throw fail("the name is \(name.utf8.count) bytes long; expected at most \(maximumNameLength)")
        }
        let nDims = try reader.u32("n_dims of tensor \"\(name)\"")
        guard nDims <= maximumDimensions else { throw fail("n_dims is \(nDims); expected at most \(maximumDimensions)") }
        var dimensions: [Int] = []
        for axis in 0..<Int(nDims) {
            let d = try reader.u64("dimension \(axis) of tensor \"\(name)\"")
            guard let size = Int(exactly: d), d <= UInt64(Int64.max) else {
                throw fail("dimension \(axis) is \(d) (negative as int64); expected at most \(Int64.max)")
            }
            dimensions.append(size)
        }
        let typeID = try reader.u32("the type of tensor \"\(name)\"")
        guard let type = GGMLType(rawValue: typeID) else {
            throw fail("unknown ggml type id \(typeID); expected one of \(GGMLType.allCases.map { "\($0.rawValue) (\($0.name))" }.joined(separator: ", "))")
        }
        let rawOffset = try reader.u64("the data offset of tensor \"\(name)\"")
        guard let offset = Int(exactly: rawOffset) else { throw fail("data offset \(rawOffset) does not fit a 64-bit signed integer") }
        return (name, dimensions, type, offset, at)
    }

    private static func validate(_ name: String, _ dimensions: [Int], _ type: GGMLType, _ offset: Int, at: Int, alignment: Int,
                                 dataOffset: Int, dataSize: Int, path: String) throws -> GGUFTensorInfo {
        func fail(_ reason: String) -> GGUFError { .invalidTensorInfo(path: path, tensor: name, offset: at, reason: reason) }
        var elements = 1
        for d in dimensions {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("the element count of dimensions \(dimensions) overflows a 64-bit integer") }
            elements = product
        }
        let inner = dimensions.first ?? 1
        guard inner % type.blockSize == 0 else {
            throw fail("the innermost dimension is \(inner); expected a multiple of \(type.name)'s block size \(type.blockSize)")
        }
        guard let bytes = type.byteCount(elements: elements) else {
            throw fail("the byte count of \(elements) \(type.name) elements overflows a 64-bit integer")
        }
        guard offset % alignment == 0 else {
            throw fail("data offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        let (end, overflow) = offset.addingReportingOverflow(bytes)
        guard !overflow, end <= dataSize else {
            throw fail("its \(bytes) bytes at data offset \(offset) (file offset \(dataOffset) + \(offset)) end past the \(dataSize)-byte data section; expected them inside the file (truncated download?)")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset, fileOffset: dataOffset + offset,
                              byteCount: bytes, elementCount: elements)
    }

    private static func checkOverlaps(_ tensors: [GGUFTensorInfo], path: String) throws {
        let sorted = tensors.filter { $0.byteCount > 0 }.sorted { ($0.offset, $0.name) < ($1.offset, $1.name) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.offset < a.offset + a.byteCount {
            throw GGUFError.overlappingTensors(path: path, first: a.name, firstRange: a.byteRange, second: b.name, secondRange: b.byteRange)
        }
    }
}

extension GGUFHeader {
    /// A cursor over the file's bytes; every read checks the bytes that remain first.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var position = 0

        var remaining: Int { bytes.count - position }

        /// Throws unless `count` items of at least `size` bytes each fit in what remains.
        func requireRoom(for count: UInt64, ofAtLeast size: Int, _ field: @autoclosure () -> String) throws {
            let (needed, overflow) = count.multipliedReportingOverflow(by: UInt64(size))
            guard !overflow, needed <= UInt64(remaining) else {
                throw GGUFError.truncated(path: path, field: field(), offset: position, needed: overflow ? .max : needed, available: remaining)
            }
        }

        /// The next `count` bytes.
        mutating func take(_ count: UInt64, _ field: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
            guard count <= UInt64(remaining) else {
                throw GGUFError.truncated(path: path, field: field(), offset: position, needed: count, available: remaining)
            }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(count))])
            position += Int(count)
            return slice
        }

        mutating func load<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws -> T {
            let raw = try take(UInt64(MemoryLayout<T>.size), field())
            return T(littleEndian: raw.loadUnaligned(as: T.self))
        }

        mutating func u32(_ field: @autoclosure () -> String) throws -> UInt32 { try load(UInt32.self, field()) }
        mutating func u64(_ field: @autoclosure () -> String) throws -> UInt64 { try load(UInt64.self, field()) }

        /// A u64 length and that many bytes of UTF-8.
        /// Invalid UTF-8 is reported against metadata `key`, or (`tensorRecord`) as a tensor name.
        mutating func string(_ field: @autoclosure () -> String, key: String, tensorRecord: Bool = false) throws -> String {
            let at = position
            let length = try u64("the length of \(field())")
            let raw = try take(length, field())
            guard let text = String(validating: raw, as: UTF8.self) else {
                if tensorRecord {
                    throw GGUFError.invalidTensorInfo(path: path, tensor: "", offset: at, reason: "\(field()) is not valid UTF-8")
                }
                throw GGUFError.invalidMetadata(path: path, key: key, offset: at, reason: "\(field()) is not valid UTF-8")
            }
            return text
        }

        mutating func valueType(_ field: @autoclosure () -> String, key: String, at: Int) throws -> GGUFValueType {
            let id = try u32(field())
            guard let type = GGUFValueType(rawValue: id) else {
                throw GGUFError.invalidMetadata(path: path, key: key, offset: at, reason: "unknown value type id \(id); expected 0…12")
            }
            return type
        }

        /// One value of `type` (for an array: its element type, count and elements).
        mutating func value(of type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
            func field() -> String { "the \(type) value of \"\(key)\"" }
            switch type {
            case .uint8: return .uint8(try load(UInt8.self, field()))
            case .int8: return .int8(try load(Int8.self, field()))
            case .uint16: return .uint16(try load(UInt16.self, field()))
            case .int16: return .int16(try load(Int16.self, field()))
            case .uint32: return .uint32(try load(UInt32.self, field()))
            case .int32: return .int32(try load(Int32.self, field()))
            case .float32: return .float32(Float(bitPattern: try load(UInt32.self, field())))
            case .uint64: return .uint64(try load(UInt64.self, field()))
            case .int64: return .int64(try load(Int64.self, field()))
            case .float64: return .float64(Double(bitPattern: try load(UInt64.self, field())))
            case .bool:
                let at = position
                let b = try load(UInt8.self, field())
                guard b <= 1 else {
                    throw GGUFError.invalidMetadata(path: path, key: key, offset: at, reason: "a BOOL byte is \(b); expected 0 or 1")
                }
                return .bool(b == 1)
            case .string: return .string(try string(field(), key: key))
            case .array:
                let at = position
                guard depth < GGUFHeader.maximumArrayDepth else {
                    throw GGUFError.invalidMetadata(path: path, key: key, offset: at,
                                                    reason: "arrays nested more than \(GGUFHeader.maximumArrayDepth) deep")
                }
                let elementType = try valueType("the element type of an array in \"\(key)\"", key: key, at: at)
                let count = try u64("the element count of an array in \"\(key)\"")
                try requireRoom(for: count, ofAtLeast: elementType.minimumByteCount,
                                "the \(count) \(elementType) elements of an array in \"\(key)\"")
                var values: [GGUFValue] = []
                values.reserveCapacity(Int(count))
                for _ in 0..<Int(count) { values.append(try value(of: elementType, key: key, depth: depth + 1)) }
                return .array(elementType: elementType, values: values)
            }
        }
    }
}
