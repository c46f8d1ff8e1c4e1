/// What ``HookedTransformer/generate(_:options:hooks:onToken:)`` does: how many tokens, how
/// each is chosen, and when a row stops.
public struct GenerationOptions: Sendable {
    /// New tokens per row at most.
    public var maxNewTokens: Int
    /// How each token is chosen (default greedy).
    public var sampler: Sampler
    /// Whether a row stops once it produces an end-of-sequence token (kept in its output, as
    /// Hugging Face keeps it).
    public var stopAtEOS: Bool
    /// The end-of-sequence ids (nil: the tokenizer's EOS).
    public var eosTokenIDs: [Int]?
    /// A row stops once its generated text contains one of these (its tokens are kept whole).
    public var stopStrings: [String]
    /// Prepend BOS to text prompts (nil: the tokenizer's own policy; see
    /// ``HookedTransformer/toTokens(_:prependBOS:)``).
    public var prependBOS: Bool?
    /// Read earlier positions from a key-value cache (true), or recompute the whole sequence
    /// every step (false: slow; for checking the cache).
    public var usesKeyValueCache: Bool

    public init(maxNewTokens: Int = 32, sampler: Sampler = .greedy, stopAtEOS: Bool = true, eosTokenIDs: [Int]? = nil,
                stopStrings: [String] = [], prependBOS: Bool? = nil, usesKeyValueCache: Bool = true) {
        self.maxNewTokens = maxNewTokens
        self.sampler = sampler
        self.stopAtEOS = stopAtEOS
        self.eosTokenIDs = eosTokenIDs
        self.stopStrings = stopStrings
        self.prependBOS = prependBOS
        self.usesKeyValueCache = usesKeyValueCache
    }
}
