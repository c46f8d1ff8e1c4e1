import Foundation
import LensTensor

/// A safetensors file: an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to its dtype, shape and byte range, then the raw little-endian data.
///
/// ```swift
/// let file = try SafetensorsFile(contentsOf: url)      // reads and validates the header only
/// file.entries["wte.weight"]?.shape                    // [50257, 768], no data read yet
/// let wte = try file.tensor("wte.weight")              // reads just these bytes → Float32
/// ```
///
/// Opening reads and validates the whole header before any tensor data (header length, JSON,
/// dtypes, shapes and byte counts without `Int` overflow, byte ranges inside the file and not
/// overlapping), so a malformed file throws a ``SafetensorsError`` instead of trapping, and a
/// loader can check every shape against its config before reading a weight. Each tensor is then
/// read on demand, straight into a fresh `Tensor`'s storage (F32) or through a 4 MB scratch
/// chunk (other dtypes): the file is neither mapped nor held in memory, so loading a large
/// checkpoint costs one copy of each converted tensor and nothing more.
///
/// `init(data:)` wraps bytes already in memory (small files, tests).
public struct SafetensorsFile: Sendable {
    /// The free-form `__metadata__` string map.
    public let metadata: [String: String]
    /// Every tensor, by name.
    public let entries: [String: Entry]
    /// Absolute byte offset of the data section: 8 + the header length.
    public let dataOffset: Int
    private let source: SafetensorsSource

    /// Largest header accepted (the format's own limit).
    public static let maximumHeaderLength = 100_000_000

    /// Largest piece of a non-F32 tensor read at once before conversion.
    static let chunkBytes = 1 << 22

    /// Opens the file at `url` and validates its header; no tensor data is read.
    public init(contentsOf url: URL) throws {
        try self.init(source: SafetensorsSource(path: url.path))
    }

    /// Validates an in-memory file.
    public init(data: Data, origin: String = "<memory>") throws {
        try self.init(source: SafetensorsSource(data: data, origin: origin))
    }

    private init(source: SafetensorsSource) throws {
        self.source = source
        guard source.size >= 8 else { throw SafetensorsError.fileTooSmall(path: source.path, bytes: source.size) }
        func headerFailure(_ reason: String) -> SafetensorsError { .unreadable(path: source.path, reason: reason) }
        var length: UInt64 = 0
        try withUnsafeMutableBytes(of: &length) { try source.read(into: $0, at: 0, failure: headerFailure) }
        let headerLength = UInt64(littleEndian: length)
        guard headerLength <= UInt64(source.size - 8), headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw SafetensorsError.headerTooLarge(path: source.path, declared: headerLength, available: source.size - 8)
        }
        dataOffset = 8 + Int(headerLength)
        var header = Data(count: Int(headerLength))
        try header.withUnsafeMutableBytes { try source.read(into: $0, at: 8, failure: headerFailure) }
        (metadata, entries) = try SafetensorsHeader.parse(header, dataSize: source.size - dataOffset, path: source.path)
    }

    /// The file's path (or the origin label given to `init(data:origin:)`).
    public var path: String { source.path }

    /// Tensor names in the order their data appears in the file.
    public var names: [String] {
        entries.sorted { ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key) }.map(\.key)
    }

    /// The entry `name`, or ``SafetensorsError/missingTensor(path:name:available:)``.
    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw SafetensorsError.missingTensor(path: source.path, name: name, available: names) }
        return e
    }

    /// The tensor `name` as `Float`: F32 as is, F16/BF16 widened exactly, F64 rounded, integer
    /// and boolean dtypes converted. Reads only this tensor's bytes.
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        let range = (dataOffset + e.byteRange.lowerBound)..<(dataOffset + e.byteRange.upperBound)
        let failure = { (reason: String) in SafetensorsError.readFailed(path: source.path, name: name, reason: reason) }
        return try Tensor(shape: e.shape) { dst in
            guard dst.count > 0 else { return }
            #if _endian(little)
            if e.dtype == .F32 {
                // The file's bytes are the tensor's bytes: read them in place.
                try source.read(into: UnsafeMutableRawBufferPointer(dst), at: range.lowerBound, failure: failure)
                return
            }
            #endif
            let chunk = Self.chunkBytes - Self.chunkBytes % e.dtype.size
            try source.forEachChunk(of: range, chunkBytes: chunk, failure: failure) { bytes, offset in
                SafetensorsCodec.decodeFloats(bytes.baseAddress!, dtype: e.dtype, count: bytes.count / e.dtype.size,
                                              into: dst.baseAddress! + offset / e.dtype.size)
            }
        }
    }

    /// The integer tensor `name` (I64, I32, I16, I8, U8, BOOL). Reads only this tensor's bytes.
    public func intTensor(_ name: String) throws -> IntTensor {
        let e = try entry(name)
        guard !e.dtype.isFloatingPoint else { throw SafetensorsError.notInteger(path: source.path, name: name, dtype: e.dtype) }
        let range = (dataOffset + e.byteRange.lowerBound)..<(dataOffset + e.byteRange.upperBound)
        var values: [Int] = []
        values.reserveCapacity(e.elementCount)
        try source.forEachChunk(of: range, chunkBytes: Self.chunkBytes - Self.chunkBytes % e.dtype.size,
                                failure: { .readFailed(path: source.path, name: name, reason: $0) }) { bytes, _ in
            values += SafetensorsCodec.decodeIntegers(bytes.baseAddress!, dtype: e.dtype, count: bytes.count / e.dtype.size)
        }
        return IntTensor(shape: e.shape, values: values)
    }

    /// Every tensor named in `names` (default: all), read as `Float` — the whole file in memory
    /// at once, for small files. Loaders of large checkpoints call ``tensor(_:)`` one name at a
    /// time instead.
    public func tensors(_ names: [String]? = nil) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for name in names ?? self.names { result[name] = try tensor(name) }
        return result
    }
}
