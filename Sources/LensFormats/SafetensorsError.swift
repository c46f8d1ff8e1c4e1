/// What went wrong reading or writing a safetensors file. Every message names the file (its path,
/// or the origin label of in-memory bytes) and says what was expected and what was found.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case fileTooSmall(path: String, bytes: Int)
    case headerTooLarge(path: String, declared: UInt64, available: Int)
    /// The header is not a JSON object of entries (malformed JSON, not UTF-8, a repeated key,
    /// nesting too deep, `__metadata__` not a map of strings).
    case invalidHeader(path: String, reason: String)
    /// One entry's dtype, shape or data offsets are not what the format requires.
    case invalidEntry(path: String, name: String, reason: String)
    case overlappingData(path: String, first: String, second: String)
    case missingTensor(path: String, name: String, available: [String])
    case notInteger(path: String, name: String, dtype: SafetensorsDType)
    /// A tensor's bytes could not be read after the header was validated (an I/O error, or the
    /// file shrank after it was opened).
    case readFailed(path: String, name: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read safetensors file \(path): \(reason)"
        case let .fileTooSmall(path, bytes):
            "safetensors file \(path) is too small: expected at least 8 bytes (the header length), found \(bytes)"
        case let .headerTooLarge(path, declared, available):
            "safetensors file \(path): header length \(declared) exceeds the \(available) bytes that follow it (or the 100 MB limit)"
        case let .invalidHeader(path, reason):
            "invalid safetensors header in \(path): \(reason)"
        case let .invalidEntry(path, name, reason):
            "invalid safetensors entry \"\(name)\" in \(path): \(reason)"
        case let .overlappingData(path, first, second):
            "safetensors entries \"\(first)\" and \"\(second)\" in \(path) have overlapping data offsets; expected disjoint byte ranges"
        case let .missingTensor(path, name, available):
            "no tensor named \"\(name)\" in safetensors file \(path) (it has \(available.count): \(available.prefix(8).joined(separator: ", "))\(available.count > 8 ? ", …" : ""))"
        case let .notInteger(path, name, dtype):
            "tensor \"\(name)\" in \(path) has dtype \(dtype.rawValue); expected an integer dtype (I64, I32, I16, I8, U8 or BOOL)"
        case let .readFailed(path, name, reason):
            "cannot read tensor \"\(name)\" from safetensors file \(path): \(reason)"
        case let .unwritable(path, reason):
            "cannot write safetensors file \(path): \(reason)"
        }
    }
}
