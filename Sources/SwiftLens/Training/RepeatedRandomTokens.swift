/// Repeated random tokens: `length` distinct tokens (so each has exactly one earlier copy in
/// the second half), then the same tokens again — the standard probe for induction heads.
public enum RepeatedRandomTokens {
    /// [count, 2·length] sequences (no BOS), or [count, 1 + 2·length] with `bos` first — as
    /// TransformerLens's `evals` builds them for a pretrained model, whose first position is
    /// its attention sink. Token ids in 0..<vocabularySize (the BOS id is excluded from the
    /// random ones).
    public static func batch(count: Int, length: Int, vocabularySize: Int, seed: UInt64, bos: Int? = nil) -> IntTensor {
        let available = vocabularySize - (bos.map { $0 >= 0 && $0 < vocabularySize ? 1 : 0 } ?? 0)
        precondition(length <= available, "repeated random tokens need length (\(length)) ≤ vocabulary (\(available))")
        var generator = RandomGenerator(seed: seed)
        var values: [Int] = []
        for _ in 0..<count {
            var half = generator.sampleWithoutReplacement(length, from: available)
            // Skip the BOS id: ids at or above it move up by one.
            if let bos { half = half.map { $0 >= bos ? $0 + 1 : $0 } }
            values += (bos.map { [$0] } ?? []) + half + half
        }
        return IntTensor(shape: [count, 2 * length + (bos == nil ? 0 : 1)], values: values)
    }
}
