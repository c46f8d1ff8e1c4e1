/// What is wrong with a model config.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case missingField(String)
    case invalid(field: String, reason: String)
    case unsupported(field: String, value: String, supported: String)
    case invalidJSON(String)

    public var description: String {
        switch self {
        case let .missingField(f): "config is missing the required field \"\(f)\""
        case let .invalid(field, reason): "config field \"\(field)\": \(reason)"
        case let .unsupported(field, value, supported): "config field \"\(field)\" = \(value) is not supported (expected \(supported))"
        case let .invalidJSON(reason): "config JSON could not be read: \(reason)"
        }
    }
}
