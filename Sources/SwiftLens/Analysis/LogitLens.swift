/// The logit lens (nostalgebraist 2020; TransformerLens §8.5): what the model would predict if
/// the residual stream stopped after each layer. Each row of
/// `cache.accumulatedResid(applyLN: true)` — `ln_final` re-run on that partial residual — is
/// unembedded with `W_U` and `b_U`, so the last row (`final_post`) is the model's own logits.
///
/// ```swift
/// let (_, cache) = try model.runWithCache(tokens)
/// let lens = try cache.logitLens()
/// let losses = try lens.loss(tokens: tokens)   // [n_components]: one mean loss per layer, falling with depth
/// ```
public struct LogitLens {
    /// `0_pre`, (`0_mid`,) `1_pre`, …, `final_post`.
    public let labels: [String]
    /// [n_components, batch, pos, d_vocab_out] (`pos` absent when one position was selected).
    public let logits: Tensor
    /// Whether every position was kept (needed for the next-token loss).
    let allPositions: Bool

    /// The logit lens of a cache made by `runWithCache` (any positions selection of it); the
    /// public entry is ``ActivationCache/logitLens(includeMid:positions:)``.
    init(cache: ActivationCache, includeMid: Bool, positions: TensorIndex) throws {
        let model = try cache.attachedModel()
        let stack = try cache.accumulatedResid(includeMid: includeMid, applyLN: true, positions: positions)
        labels = stack.labels
        logits = stack.tensor.matmul(model.unembed.wU, bias: model.unembed.bU)
        let length = try cache.residual(into: 0, positions: .all).shape.dropLast().last ?? 0
        allPositions = !positions.dropsAxis && positions.resolved(extent: length) == Array(0..<length)
    }

    /// The next-token cross-entropy at each layer, [n_components, batch, pos − 1] (position p
    /// predicts `tokens[:, p + 1]`, as `HookedTransformer.perTokenLoss`).
    /// - Throws: ``CacheAnalysisError`` if positions were selected or `tokens` is not the
    ///   [batch, pos] the cache was made from.
    public func perTokenLoss(tokens: IntTensor) throws -> Tensor {
        let tokens = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard allPositions else {
            throw CacheAnalysisError.invalidArgument("the next-token loss needs every position; this logit lens selected positions")
        }
        guard tokens.rank == 2, tokens.shape == Array(logits.shape[1...2]) else {
            throw CacheAnalysisError.shapeMismatch("tokens", expected: "[batch, pos] = \(Array(logits.shape[1...2]))", found: tokens.shape)
        }
        return Tensor.stack(try (0..<labels.count).map { i in
            try HookedTransformer.perTokenLoss(logits: logits[i], tokens: tokens)
        })
    }

    /// The mean next-token loss at each layer, [n_components].
    public func loss(tokens: IntTensor) throws -> Tensor {
        try perTokenLoss(tokens: tokens).mean(axes: [1, 2])
    }

    /// The `k` highest-logit tokens at each layer and position, best first:
    /// [n_components, batch, pos, k].
    public func topTokens(_ k: Int = 1) throws -> IntTensor {
        let vocabulary = logits.shape[logits.rank - 1]
        guard k >= 1 && k <= vocabulary else {
            throw CacheAnalysisError.invalidArgument("topTokens: k must be in 1...\(vocabulary); found \(k)")
        }
        let rows = logits.count / vocabulary
        var ids: [Int] = []
        ids.reserveCapacity(rows * k)
        logits.withUnsafeBufferPointer { p in
            // One pass per row keeping the k best in order (O(d_vocab · k), no full sort); equal
            // logits keep the lower token id first.
            for r in 0..<rows {
                let base = r * vocabulary
                var best: [Int] = []
                for t in 0..<vocabulary {
                    let value = p[base + t]
                    if best.count == k && !(value > p[base + best[k - 1]]) { continue }
                    var slot = best.count
                    while slot > 0 && value > p[base + best[slot - 1]] { slot -= 1 }
                    best.insert(t, at: slot)
                    if best.count > k { best.removeLast() }
                }
                ids += best
            }
        }
        return IntTensor(shape: Array(logits.shape.dropLast()) + [k], values: ids)
    }
}
