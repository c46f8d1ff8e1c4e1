/// A name the cache does not hold.
public enum CacheError: Error, CustomStringConvertible, Equatable {
    case missing(HookName, available: [HookName])

    public var description: String {
        switch self {
        case let .missing(name, available):
            "the cache holds no activation \"\(name)\" (it has \(available.count): \(available.prefix(5).map(\.rawValue).joined(separator: ", "))\(available.count > 5 ? ", …" : ""))"
        }
    }
}
