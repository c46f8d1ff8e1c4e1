import Foundation
import LensTensor

/// A GGUF file (llama.cpp's model format, versions 2 and 3): typed metadata, tensor-info
/// records, then aligned tensor data, often quantised.
///
/// ```swift
/// let file = try GGUFFile(contentsOf: url)                 // maps the file, validates the header
/// try file.integer("llama.block_count")                     // 30 (stored as UINT32)
/// try file.strings("tokenizer.ggml.tokens").count           // 49152
/// file.tensors[0].dimensions                               // [576, 49152]: ggml order, innermost first
/// file.tensors[0].shape                                    // [49152, 576]: row-major, as numpy/HF
/// let wq = try file.tensor(named: "blk.0.attn_q.weight")   // Q4_1 → Float32 [576, 576]
/// let raw = try file.rawBytes(named: "blk.0.attn_q.weight") // the Q4_1 blocks, in place
/// ```
///
/// Opening memory-maps the file and validates the whole header before anything else (see
/// `GGUFStorage` for why a mapping): magic and version; every metadata key, type, string length
/// and array count against the bytes that remain, before allocating; unique keys;
/// `general.alignment` a UINT32 power of two; every tensor record (name, at most 4 dimensions,
/// known type, innermost dimension a whole number of blocks, element and byte counts without
/// overflow, offset aligned, bytes inside the data section and not overlapping another tensor).
/// A malformed file throws a ``GGUFError`` that says where and what; nothing traps.
///
/// Tensor data is not read at open. ``tensor(named:)`` dequantises one tensor to a fresh Float32
/// `Tensor` (bit-exact with gguf-py's `gguf.quants.dequantize`); ``rawBytes(named:)`` hands out
/// its bytes in place, for a model that keeps weights quantised.
///
/// Big-endian GGUF files and version 1 are refused (ggml refuses both too).
public struct GGUFFile: Sendable {
    /// The format version: 2 or 3 (same layout; v3 only adds big-endian files, refused here).
    public let version: UInt32
    /// Every metadata entry, by key.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// Every tensor, in file (record) order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, or 32 when the file has no such key.
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int
    private let index: [String: Int]
    private let storage: GGUFStorage

    /// Maps the file at `url` and validates its header; no tensor data is read.
    public init(contentsOf url: URL) throws {
        try self.init(storage: GGUFStorage(path: url.path))
    }

    /// Maps the file at `path` and validates its header.
    public init(path: String) throws {
        try self.init(storage: GGUFStorage(path: path))
    }

    /// Validates an in-memory file (the bytes are copied once).
    public init(data: Data, origin: String = "<memory>") throws {
        try self.init(storage: GGUFStorage(data: data, origin: origin))
    }

    private init(storage: GGUFStorage) throws {
        self.storage = storage
        let header = try GGUFHeader.parse(storage.bytes, path: storage.path)
        version = header.version
        metadata = header.metadata
        metadataKeys = header.keys
        tensors = header.tensors
        alignment = header.alignment
        dataOffset = header.dataOffset
        index = Dictionary(header.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The file's path (or the origin label given to `init(data:origin:)`).
    public var path: String { storage.path }

    /// The file's size in bytes.
    public var size: Int { storage.bytes.count }

    // MARK: Tensors

    /// The tensor named `name`, or ``GGUFError/missingTensor(path:name:available:)``.
    public func tensorInfo(named name: String) throws -> GGUFTensorInfo {
        guard let i = index[name] else {
            throw GGUFError.missingTensor(path: path, name: name, available: tensors.map(\.name))
        }
        return tensors[i]
    }

    /// The tensor `name` dequantised to Float32, in its row-major shape (``GGUFTensorInfo/shape``,
    /// the reverse of the stored dimensions). Reads only this tensor's bytes; throws
    /// ``GGUFError/unsupportedType(type:tensor:path:)`` for a type outside
    /// ``GGMLType/dequantizable``.
    public func tensor(named name: String) throws -> Tensor {
        let info = try tensorInfo(named: name)
        guard info.type.isDequantizable else { throw GGUFError.unsupportedType(type: info.type, tensor: name, path: path) }
        let data = GGUFTensorData(info: info, storage: storage)
        let tensor = try Tensor(shape: info.shape) { destination in
            try data.withUnsafeBytes { try info.type.dequantize($0, into: destination) }
        }
        storage.releasePages(info.fileOffset..<(info.fileOffset + info.byteCount))
        return tensor
    }

    /// The raw bytes of tensor `name` (any type, dequantisable or not), in place: no copy.
    public func rawBytes(named name: String) throws -> GGUFTensorData {
        GGUFTensorData(info: try tensorInfo(named: name), storage: storage)
    }

    // MARK: Metadata

    /// The value of `key`, or ``GGUFError/missingKey(path:key:)``.
    public func value(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw GGUFError.missingKey(path: path, key: key) }
        return v
    }

    /// `key` as `Int`: stored as any integer type (converters write counts as UINT32 or
    /// UINT64), never a bool or float; a UINT64 above `Int.max` is an error.
    public func integer(_ key: String) throws -> Int {
        let v = try value(key)
        guard let i = v.integer else { throw wrongType(key, "an integer", v) }
        return i
    }

    /// `key` as `Double`: stored as FLOAT32 or FLOAT64 (exact either way).
    public func float(_ key: String) throws -> Double {
        let v = try value(key)
        guard let d = v.double else { throw wrongType(key, "FLOAT32 or FLOAT64", v) }
        return d
    }

    /// `key` as a BOOL.
    public func bool(_ key: String) throws -> Bool {
        let v = try value(key)
        guard let b = v.bool else { throw wrongType(key, "BOOL", v) }
        return b
    }

    /// `key` as a STRING.
    public func string(_ key: String) throws -> String {
        let v = try value(key)
        guard let s = v.string else { throw wrongType(key, "STRING", v) }
        return s
    }

    /// The elements of the ARRAY `key` (of any element type, nested arrays included).
    public func array(_ key: String) throws -> [GGUFValue] {
        let v = try value(key)
        guard let a = v.array else { throw wrongType(key, "ARRAY", v) }
        return a
    }

    /// The ARRAY of STRING `key` (e.g. `tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    public func strings(_ key: String) throws -> [String] {
        let v = try value(key)
        guard let a = v.strings else { throw wrongType(key, "ARRAY of STRING", v) }
        return a
    }

    /// The ARRAY `key` of an integer type (e.g. `tokenizer.ggml.token_type`), as `Int`.
    public func integers(_ key: String) throws -> [Int] {
        let v = try value(key)
        guard let a = v.integers else { throw wrongType(key, "ARRAY of an integer type", v) }
        return a
    }

    /// The ARRAY `key` of FLOAT32 or FLOAT64 (e.g. `tokenizer.ggml.scores`), as `Double`.
    public func floats(_ key: String) throws -> [Double] {
        let v = try value(key)
        guard let a = v.doubles else { throw wrongType(key, "ARRAY of FLOAT32 or FLOAT64", v) }
        return a
    }

    private func wrongType(_ key: String, _ expected: String, _ found: GGUFValue) -> GGUFError {
        let foundText: String
        if case let .array(type, values) = found { foundText = "ARRAY of \(type) (\(values.count) elements)" } else { foundText = "\(found)" }
        return .wrongValueType(path: path, key: key, expected: expected, found: foundText)
    }
}
