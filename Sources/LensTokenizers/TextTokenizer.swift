/// Turns text into token ids and back.
///
/// Every tokenizer of SwiftLens conforms (``CharacterTokenizer``, ``WhitespaceTokenizer``,
/// ``BPETokenizer``), so datasets and commands can take any of them.
public protocol TextTokenizer {
    /// Number of distinct token ids; every id `encode` returns is in `0..<vocabularySize`.
    var vocabularySize: Int { get }
    /// The token ids of `text`, in order.
    func encode(_ text: String) -> [Int]
    /// The text of `tokens` (ids outside the vocabulary decode to a placeholder, never trap).
    func decode(_ tokens: [Int]) -> String
}
