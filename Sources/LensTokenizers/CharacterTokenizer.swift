/// One token per character (Unicode extended grapheme cluster), the vocabulary being the
/// distinct characters of a corpus in sorted order. Characters outside it map to the first
/// token.
public struct CharacterTokenizer: TextTokenizer {
    public let vocabulary: [Character]
    private let index: [Character: Int]

    public init(corpus: String) {
        vocabulary = Array(Set(corpus)).sorted()
        index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    public var vocabularySize: Int { vocabulary.count }
    public func encode(_ text: String) -> [Int] { text.map { index[$0] ?? 0 } }
    public func decode(_ tokens: [Int]) -> String {
        String(tokens.map { vocabulary.indices.contains($0) ? vocabulary[$0] : "?" })
    }
}
