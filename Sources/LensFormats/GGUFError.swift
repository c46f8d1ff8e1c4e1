/// What went wrong reading a GGUF file. Every message names the file (its path, or the origin
/// label of in-memory bytes), where in it (a byte offset, a metadata key or a tensor name), what
/// was expected and what was found.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or mapped.
    case unreadable(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(path: String, found: [UInt8])
    /// Version 1 (u32 counts, refused by ggml too), a big-endian file (its version reads as
    /// e.g. 0x03000000), or an unknown version.
    case unsupportedVersion(path: String, version: UInt32)
    /// The file ends before a field it must contain: reading `field` at `offset` needs `needed`
    /// bytes and only `available` remain. A declared length or count larger than the rest of the
    /// file is reported this way too, before anything is allocated for it.
    case truncated(path: String, field: String, offset: Int, needed: UInt64, available: Int)
    /// A header field outside the metadata and tensor records is impossible (a count, the data
    /// section's start).
    case invalidHeader(path: String, offset: Int, reason: String)
    /// A metadata key or value breaks the format (unknown type id, invalid UTF-8, a BOOL that is
    /// not 0 or 1, a duplicate or empty key, nesting too deep, `general.alignment` not a UINT32
    /// power of two).
    case invalidMetadata(path: String, key: String, offset: Int, reason: String)
    /// A tensor-info record breaks the format (name, dimensions, type id, offset, byte range).
    case invalidTensorInfo(path: String, tensor: String, offset: Int, reason: String)
    /// Two tensors' byte ranges in the data section overlap.
    case overlappingTensors(path: String, first: String, firstRange: Range<Int>, second: String, secondRange: Range<Int>)
    /// A tensor (or raw blocks) of a type SwiftLens cannot dequantise. `tensor` and `path` are
    /// nil when raw blocks were passed to ``GGMLType/dequantize(_:into:)`` directly.
    case unsupportedType(type: GGMLType, tensor: String?, path: String?)
    /// Raw blocks passed to ``GGMLType/dequantize(_:into:)`` do not hold exactly the elements asked for.
    case blockSizeMismatch(type: GGMLType, elements: Int, bytes: Int)
    case missingTensor(path: String, name: String, available: [String])
    case missingKey(path: String, key: String)
    /// A metadata value is present but not of the type an accessor asked for.
    case wrongValueType(path: String, key: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read GGUF file \(path): \(reason)"
        case let .badMagic(path, found):
            let text = found.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            return "\(path) is not a GGUF file: expected the magic bytes 47 47 55 46 (\"GGUF\") at offset 0, found \(found.isEmpty ? "an empty file" : text)"
        case let .unsupportedVersion(path, version):
            if version == 1 {
                return "GGUF file \(path) is version 1 (32-bit counts); expected version 2 or 3 (llama.cpp no longer reads v1 either: reconvert the model)"
            }
            if version & 0xFFFF == 0, version != 0 {
                return "GGUF file \(path) appears to be big-endian (its version reads as 0x\(String(version, radix: 16, uppercase: true)) little-endian); expected a little-endian file of version 2 or 3"
            }
            return "GGUF file \(path) has version \(version); expected 2 or 3"
        case let .truncated(path, field, offset, needed, available):
            return "GGUF file \(path) ends too early: \(field) at offset \(offset) needs \(needed) bytes, found \(available)"
        case let .invalidHeader(path, offset, reason):
            return "invalid GGUF header in \(path) at offset \(offset): \(reason)"
        case let .invalidMetadata(path, key, offset, reason):
            return "invalid GGUF metadata \(key.isEmpty ? "entry" : "\"\(key)\"") in \(path) at offset \(offset): \(reason)"
        case let .invalidTensorInfo(path, tensor, offset, reason):
            return "invalid GGUF tensor \(tensor.isEmpty ? "record" : "\"\(tensor)\"") in \(path) at offset \(offset): \(reason)"
        case let .overlappingTensors(path, first, firstRange, second, secondRange):
            return "GGUF tensors \"\(first)\" (data bytes \(firstRange)) and \"\(second)\" (data bytes \(secondRange)) in \(path) overlap; expected disjoint byte ranges"
        case let .unsupportedType(type, tensor, path):
            let supported = GGMLType.dequantizable.map(\.name).joined(separator: ", ")
            let which = tensor.map { "tensor \"\($0)\"" + (path.map { " in \($0)" } ?? "") + " has" } ?? "blocks of"
            return "cannot dequantise \(which) type \(type.name) (id \(type.rawValue)); supported types: \(supported)"
        case let .blockSizeMismatch(type, elements, bytes):
            let expected = type.byteCount(elements: elements).map { "\($0) bytes" }
                ?? "a multiple of \(type.blockSize) elements"
            return "\(type.name) data for \(elements) elements: expected \(expected), found \(bytes) bytes"
        case let .missingTensor(path, name, available):
            return "no tensor named \"\(name)\" in GGUF file \(path) (it has \(available.count): \(available.prefix(8).joined(separator: ", "))\(available.count > 8 ? ", …" : ""))"
        case let .missingKey(path, key):
            return "GGUF file \(path) has no metadata key \"\(key)\""
        case let .wrongValueType(path, key, expected, found):
            return "GGUF metadata \"\(key)\" in \(path): expected \(expected), found \(found)"
        }
    }
}
