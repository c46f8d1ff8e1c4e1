/// The result of a full run: logits and the next-token loss.
public struct ModelOutput {
    /// [batch, pos, d_vocab_out]
    public let logits: Tensor
    /// Cross-entropy of predicting token p+1 at position p, [batch, pos − 1].
    public let perTokenLoss: Tensor
    /// Mean of `perTokenLoss` (a scalar tensor).
    public var loss: Tensor { perTokenLoss.mean() }
}

