/// What is wrong with training data.
public enum DataError: Error, CustomStringConvertible, Equatable {
    case textTooShort(tokens: Int, needed: Int)
    case unreadable(String)

    public var description: String {
        switch self {
        case let .textTooShort(tokens, needed): "the text has \(tokens) tokens; a training sequence needs \(needed)"
        case let .unreadable(reason): reason
        }
    }
}
