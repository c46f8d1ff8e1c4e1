/// A seeded source of training sequences.
public protocol TokenStream {
    /// Token ids lie in `0 ..< vocabularySize`.
    var vocabularySize: Int { get }
    /// Tokens per sequence (n_ctx + 1 for next-token training on n_ctx inputs).
    var sequenceLength: Int { get }
    /// The next `size` sequences, [size, sequenceLength].
    mutating func nextBatch(_ size: Int) -> IntTensor
    /// The same kind of stream restarted from `seed`: where evaluators draw a fixed held-out
    /// set that does not overlap the training batches.
    ///
    /// The default returns a copy of this stream as it stands, whose batches are the ones
    /// training is about to see; seeded streams override it.
    func reseeded(_ seed: UInt64) -> Self
}

extension TokenStream {
    public func reseeded(_ seed: UInt64) -> Self { self }
}
