/// Why a generation could not start or go on.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    /// A sampler setting outside its range.
    case invalidSampler(String)
    /// No prompt, or an empty one.
    case emptyPrompt(row: Int)
    /// `maxNewTokens` < 0.
    case invalidMaxNewTokens(Int)
    /// A key-value cache made for another batch size.
    case cacheBatchMismatch(cache: Int, tokens: Int)

    public var description: String {
        switch self {
        case let .invalidSampler(why): "invalid sampler: \(why)"
        case let .emptyPrompt(row): "prompt \(row) has no tokens: generation needs at least one (e.g. BOS)"
        case let .invalidMaxNewTokens(n): "maxNewTokens must be ≥ 0, got \(n)"
        case let .cacheBatchMismatch(cache, tokens): "the key-value cache holds \(cache) rows, the tokens have \(tokens)"
        }
    }
}
