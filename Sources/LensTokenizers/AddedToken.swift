/// A token matched in the raw text before pre-tokenization (`<|endoftext|>`, `<|im_start|>`):
/// its text becomes this one id and is never split or merged.
///
/// The fields are Hugging Face's `added_tokens` entries. Matching is leftmost-longest over all
/// added tokens, as `tokenizers` does; the segments between matches are pre-tokenized
/// separately (so an added token also acts as a text boundary for `\s+(?!\S)`).
public struct AddedToken: Sendable, Hashable {
    /// The exact text matched.
    public var content: String
    public var id: Int
    /// Special tokens (control tokens) can be skipped when decoding; others are ordinary text.
    public var special: Bool
    /// The match also swallows the whitespace before it (`lstrip`).
    public var leftStrip: Bool
    /// The match also swallows the whitespace after it (`rstrip`).
    public var rightStrip: Bool
    /// Only matched when not inside a word (no letter, digit or `_` touching either end).
    public var singleWord: Bool
    /// Hugging Face matches normalized added tokens in a second pass, after the others; kept
    /// for that ordering (there is no normalizer here, so the text is the same).
    public var normalized: Bool

    public init(_ content: String, id: Int, special: Bool = true, leftStrip: Bool = false, rightStrip: Bool = false,
                singleWord: Bool = false, normalized: Bool = false) {
        self.content = content
        self.id = id
        self.special = special
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.singleWord = singleWord
        self.normalized = normalized
    }
}
