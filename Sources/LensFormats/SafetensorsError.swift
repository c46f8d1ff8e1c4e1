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
    /// A tensor's bytes could not be read after the header was validated (an I/O error, or the
    /// file shrank after it was opened).
    case readFailed(path: String, name: String, reason: String)
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
            "safetensors entries \"\(first)\" and \"\(second)\" have overlapping data offsets; expected disjoint byte ranges"
        case let .missingTensor(name, available):
            "no tensor named \"\(name)\" in safetensors file (it has \(available.count): \(available.prefix(8).joined(separator: ", "))\(available.count > 8 ? ", …" : ""))"
        case let .notInteger(name, dtype):
            "tensor \"\(name)\" has dtype \(dtype.rawValue); expected an integer dtype for intTensor(_:)"
        case let .readFailed(path, name, reason):
            "cannot read tensor \"\(name)\" from safetensors file \(path): \(reason)"
        case let .unwritable(path, reason):
            "cannot write safetensors file \(path): \(reason)"
        }
    }
}
