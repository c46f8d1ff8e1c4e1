/// What a generation produced, row by row: the prompt's tokens, the new ones, their text and
/// why each row stopped.
public struct Generation: Sendable {
    /// Why a row stopped.
    public enum StopReason: Sendable, Equatable {
        /// It produced an end-of-sequence token (the last of ``Generation/newTokens``).
        case endOfSequence
        /// Its text came to contain this stop string.
        case stopString(String)
        /// It reached `maxNewTokens`.
        case maxNewTokens
    }

    /// Each row's prompt, as token ids (without padding).
    public let promptTokens: [[Int]]
    /// Each row's generated token ids.
    public let newTokens: [[Int]]
    /// Each row's generated text (empty without a tokenizer).
    public let texts: [String]
    public let stopReasons: [StopReason]

    /// Each row's whole sequence: prompt and generated tokens.
    public var tokens: [[Int]] { zip(promptTokens, newTokens).map { $0 + $1 } }
    /// The first row's generated text.
    public var text: String { texts.first ?? "" }
}
