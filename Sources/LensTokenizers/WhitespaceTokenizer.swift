/// One token per whitespace-separated word, the vocabulary being `<unk>` followed by the
/// distinct words of a corpus in sorted order. Decoding joins words with single spaces.
public struct WhitespaceTokenizer: TextTokenizer {
    public let vocabulary: [String]
    private let index: [String: Int]

    public init(corpus: String) {
        vocabulary = ["<unk>"] + Array(Set(corpus.split(whereSeparator: \.isWhitespace).map(String.init))).sorted()
        index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
    }

    public var vocabularySize: Int { vocabulary.count }
    public func encode(_ text: String) -> [Int] {
        text.split(whereSeparator: \.isWhitespace).map { index[String($0)] ?? 0 }
    }
    public func decode(_ tokens: [Int]) -> String {
        tokens.map { vocabulary.indices.contains($0) ? vocabulary[$0] : "<unk>" }.joined(separator: " ")
    }
}
