import Foundation

/// Random windows of a tokenised text: each sequence is `sequenceLength` consecutive tokens
/// from a uniformly random offset.
public struct TextDataset: TokenStream {
    public let tokens: [Int]
    public let vocabularySize: Int
    public let sequenceLength: Int
    private var generator: RandomGenerator

    /// - Throws: ``DataError`` if the text is shorter than one sequence.
    public init(text: String, tokenizer: TextTokenizer, sequenceLength: Int, seed: UInt64) throws {
        tokens = tokenizer.encode(text)
        vocabularySize = tokenizer.vocabularySize
        self.sequenceLength = sequenceLength
        generator = RandomGenerator(seed: seed)
        guard tokens.count > sequenceLength else {
            throw DataError.textTooShort(tokens: tokens.count, needed: sequenceLength + 1)
        }
    }

    public mutating func nextBatch(_ size: Int) -> IntTensor {
        var values: [Int] = []
        for _ in 0..<size {
            let start = generator.nextInt(below: tokens.count - sequenceLength + 1)
            values += tokens[start..<(start + sequenceLength)]
        }
        return IntTensor(shape: [size, sequenceLength], values: values)
    }

    /// The same text with the window sampler restarted from `seed`.
    public func reseeded(_ seed: UInt64) -> TextDataset {
        var copy = self
        copy.generator = RandomGenerator(seed: seed)
        return copy
    }
}
