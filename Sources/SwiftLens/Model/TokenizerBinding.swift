/// A model's tokenizer and its BOS policy, as the checkpoint describes them (GGUF
/// `tokenizer.ggml.*`, a `tokenizer.json` beside a Hugging Face checkpoint), or as a user sets
/// them.
public struct TokenizerBinding {
    public var tokenizer: any TextTokenizer
    /// The beginning-of-sequence token, if the vocabulary has one.
    public var bosTokenID: Int?
    /// The end-of-sequence token, if the vocabulary has one.
    public var eosTokenID: Int?
    /// Whether the tokenizer itself prepends BOS (the default of `toTokens(_:prependBOS:)`).
    public var prependsBOS: Bool

    public init(_ tokenizer: any TextTokenizer, bosTokenID: Int? = nil, eosTokenID: Int? = nil, prependsBOS: Bool = false) {
        self.tokenizer = tokenizer
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.prependsBOS = prependsBOS
    }
}
