/// Repeated random tokens: `length` distinct tokens (so each has exactly one earlier copy in
/// the second half), then the same tokens again — the standard probe for induction heads.
public enum RepeatedRandomTokens {
    /// [count, 2·length] sequences; token ids in 0..<vocabularySize; no BOS.
    public static func batch(count: Int, length: Int, vocabularySize: Int, seed: UInt64) -> IntTensor {
        precondition(length <= vocabularySize, "repeated random tokens need length (\(length)) ≤ vocabulary (\(vocabularySize))")
        var generator = RandomGenerator(seed: seed)
        var values: [Int] = []
        for _ in 0..<count {
            let half = generator.sampleWithoutReplacement(length, from: vocabularySize)
            values += half + half
        }
        return IntTensor(shape: [count, 2 * length], values: values)
    }
}
