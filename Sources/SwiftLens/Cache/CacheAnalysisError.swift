/// Why a cache analysis cannot run: what it expected and what it found.
public enum CacheAnalysisError: Error, CustomStringConvertible, Equatable {
    /// The cache has no ``ActivationCache/model`` (it was filled by hand).
    case noModel
    /// A layer outside the range the analysis accepts.
    case layerOutOfRange(Int, valid: ClosedRange<Int>)
    /// A tensor of the wrong shape.
    case shapeMismatch(String, expected: String, found: [Int])
    /// An argument that makes no sense for this model or cache.
    case invalidArgument(String)
    /// A label that is not in the stack.
    case unknownLabel(String, available: [String])

    public var description: String {
        switch self {
        case .noModel:
            "this cache has no model attached; the analysis needs the model's config and weights (make the cache with runWithCache, or set cache.model)"
        case let .layerOutOfRange(layer, valid):
            "layer \(layer) is out of range: expected \(valid.lowerBound)...\(valid.upperBound) (or -1 / nil for the final residual)"
        case let .shapeMismatch(what, expected, found):
            "\(what) has shape \(found); expected \(expected)"
        case let .invalidArgument(reason):
            reason
        case let .unknownLabel(label, available):
            "no component labelled \"\(label)\" (the stack has: \(available.prefix(8).joined(separator: ", "))\(available.count > 8 ? ", …" : ""))"
        }
    }
}
