/// TransformerLens's `evals.induction_loss`, on tokens you supply: the mean next-token loss over
/// the second copy of repeated tokens [batch, 2L], from position L + 1 of the per-token loss —
/// the predictions of tokens L + 2 … 2L − 1, each of which an induction head can copy from the
/// first half. TL draws the tokens itself (uniform ids, its first token overwritten by BOS);
/// pass such tokens to reproduce it.
///
/// One number, so a `Float` (analyses return scalars as `Float`; `model.loss(_:)` stays a
/// `Tensor` because training differentiates it). The same slicing as a sweep metric is
/// `SweepMetric.inductionLoss(tokens:)`.
///
/// ```swift
/// let rrt = RepeatedRandomTokens.batch(count: 8, length: 32, vocabularySize: model.config.dVocab, seed: 0)
/// let clean = try InductionLoss.measure(model, repeatedTokens: rrt)
/// let ablated = try InductionLoss.measure(model, repeatedTokens: rrt, hooks: [.zeroAblateHead(Head(layer: 1, head: 0))])
/// ```
public enum InductionLoss {
    /// The induction loss of `model` on `tokens` [batch, 2L] (or [2L]) — or [batch, 1 + 2L], a
    /// BOS before the two copies (``RepeatedRandomTokens/batch(count:length:vocabularySize:seed:bos:)``)
    /// — with `hooks` attached for the forward pass.
    /// - Throws: model errors for bad tokens; ``AnalysisError/invalidShape(what:expected:found:)``
    ///   for fewer than 6 tokens per row.
    public static func measure(_ model: HookedTransformer, repeatedTokens tokens: IntTensor, hooks: [Hook] = []) throws -> Float {
        try measure(perTokenLoss: model.perTokenLoss(tokens, hooks: hooks))
    }

    /// The induction loss from a per-token loss [batch, 2L − 1] (or [2L − 1]) of repeated
    /// tokens: the mean of `loss[:, L + 1 ...]`; or from [batch, 2L] (BOS + two copies): the
    /// mean of `loss[:, L + 1 ..< 2L]`, the predictions of the second copy's tokens after its first.
    public static func measure(perTokenLoss loss: Tensor) throws -> Float {
        try mean(of: loss, at: predictionPositions)
    }

    /// The mean of a per-token loss of repeated tokens over the positions `positions` picks for
    /// the sequence length (the per-token loss is one shorter).
    private static func mean(of loss: Tensor, at positions: (_ sequenceLength: Int) -> Range<Int>) throws -> Float {
        let rows = loss.rank == 1 ? loss.reshaped(1, -1) : loss
        guard rows.rank == 2, rows.shape[0] > 0, rows.shape[1] >= 5 else {
            throw AnalysisError.invalidShape(what: "the per-token loss",
                                             expected: "[batch, 2L − 1] or [batch, 2L] with L ≥ 3 (from repeated tokens [batch, 2L] or [batch, 1 + 2L])",
                                             found: loss.shape)
        }
        let range = positions(rows.shape[1] + 1)
        return rows[.all, .stride(range.lowerBound, range.upperBound)].mean().scalar
    }

    /// The positions of the per-token loss (position p predicts token p + 1) that the induction
    /// loss averages, for repeated sequences of `sequenceLength` tokens (2L, or 2L + 1 with a
    /// BOS): L + 1 ..< sequenceLength − 1, as TransformerLens's `loss_per_token[:, L + 1:]`.
    /// The one definition of the slice, shared with `SweepMetric.inductionLoss(tokens:)`.
    public static func predictionPositions(sequenceLength: Int) -> Range<Int> {
        (sequenceLength / 2 + 1)..<max(sequenceLength / 2 + 1, sequenceLength - 1)
    }

    /// The control beside the induction loss: the mean loss of predicting the first copy's own
    /// tokens (after its first), where no earlier copy exists — a head whose ablation raises
    /// this too breaks the model generally, not copying in particular.
    /// - Throws: as ``measure(perTokenLoss:)``.
    public static func firstCopyLoss(perTokenLoss loss: Tensor) throws -> Float {
        try mean(of: loss, at: firstCopyPositions)
    }

    /// The positions of the per-token loss that predict the first copy's tokens r_1 … r_{L−1}:
    /// 0 ..< L − 1 for 2L tokens, 1 ..< L after a BOS (2L + 1 tokens; position 0, the BOS,
    /// predicts r_0, which nothing can). The one definition, shared with
    /// `SweepMetric.firstCopyLoss(tokens:)`.
    public static func firstCopyPositions(sequenceLength: Int) -> Range<Int> {
        let prefix = sequenceLength % 2, half = sequenceLength / 2
        return prefix..<max(prefix, half - 1 + prefix)
    }
}
