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
    /// A key-value cache made for a model of another shape.
    case cacheMismatch(String)
    /// An end-of-sequence id outside the vocabulary.
    case invalidEOS(token: Int, vocabulary: Int)
    /// A chosen token the model cannot read back (d_vocab_out > d_vocab).
    case unreadableToken(token: Int, vocabulary: Int)

    public var description: String {
        switch self {
        case let .invalidSampler(why): "invalid sampler: \(why)"
        case let .emptyPrompt(row): "prompt \(row) has no tokens: generation needs at least one (e.g. BOS)"
        case let .invalidMaxNewTokens(n): "maxNewTokens must be ≥ 0, got \(n)"
        case let .cacheBatchMismatch(cache, tokens): "the key-value cache holds \(cache) rows, the tokens have \(tokens)"
        case let .cacheMismatch(why): "this key-value cache does not fit the model: \(why)"
        case let .invalidEOS(token, vocabulary): "end-of-sequence id \(token) is outside the vocabulary 0..<\(vocabulary)"
        case let .unreadableToken(token, vocabulary):
            "token \(token) was chosen but the model reads only ids below \(vocabulary) (d_vocab_out > d_vocab)"
        }
    }
}
