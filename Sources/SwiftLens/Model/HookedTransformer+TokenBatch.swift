/// Batches of prompts of different lengths (``TokenBatch``): padding masked in attention,
/// positions counted per row, losses over real tokens only — row for row what each prompt
/// gives alone.
extension HookedTransformer {
    /// The tokens of each of `texts`, padded to the longest (with the tokenizer's EOS, else BOS,
    /// else 0 — it is masked either way).
    public func toTokens(_ texts: [String], prependBOS: Bool? = nil, padding: TokenBatch.Padding = .right) throws -> TokenBatch {
        let sequences = try texts.map { try toTokens($0, prependBOS: prependBOS).scalars }
        let pad = tokenizer?.eosTokenID ?? tokenizer?.bosTokenID ?? 0
        return TokenBatch(sequences, padding: padding, padToken: pad)
    }

    /// Logits [batch, pos, d_vocab_out] of a padded batch (those at padded positions are not meaningful).
    public func forward(_ batch: TokenBatch, hooks: [Hook] = []) throws -> Tensor {
        let tokens = try validated(batch.tokens)
        return try run(tokens: tokens, residual: nil, start: 0, stop: config.nLayers, pass: makePass(hooks, plan: plan(batch)))
    }

    /// ``runWithCache(_:names:positions:hooks:memoryBudget:)`` on a padded batch.
    public func runWithCache(_ batch: TokenBatch, names: NameFilter = .all,
                             hooks: [Hook] = []) throws -> (logits: Tensor, cache: ActivationCache) {
        let tokens = try validated(batch.tokens)
        let table = hookPointTable
        let selected = try names.resolve(in: table.names, pointSet: table.set)
        var cache = ActivationCache(layerCount: config.nLayers)
        let logits = try withCaching(selected, positions: nil, into: &cache) { cacheHook in
            try run(tokens: tokens, residual: nil, start: 0, stop: config.nLayers, pass: makePass(hooks + [cacheHook], plan: plan(batch)))
        }
        return (logits, cache)
    }

    /// Next-token losses [batch, pos − 1], 0 where the prediction or its target is padding.
    public func perTokenLoss(_ batch: TokenBatch, hooks: [Hook] = []) throws -> Tensor {
        let logits = try forward(batch, hooks: hooks)
        let losses = try Self.perTokenLoss(logits: logits, tokens: batch.tokens)
        return losses * realTargets(batch)
    }

    /// The mean next-token loss over the real (prediction, target) pairs of the batch.
    public func loss(_ batch: TokenBatch, hooks: [Hook] = []) throws -> Tensor {
        let real = realTargets(batch)
        return try perTokenLoss(batch, hooks: hooks).sum() / real.sum()
    }

    /// 1 where position p and p + 1 of a row are both real, [batch, pos − 1].
    private func realTargets(_ batch: TokenBatch) -> Tensor {
        let (rows, length) = (batch.tokens.shape[0], batch.tokens.shape[1])
        let m = batch.attentionMask.scalars
        var values = [Float](repeating: 0, count: rows * max(length - 1, 0))
        for b in 0..<rows {
            for p in 0..<max(length - 1, 0) where m[b * length + p] != 0 && m[b * length + p + 1] != 0 {
                values[b * (length - 1) + p] = 1
            }
        }
        return Tensor(shape: [rows, max(length - 1, 0)], values: values)
    }

    private func plan(_ batch: TokenBatch) -> ForwardPlan {
        var plan = ForwardPlan()
        plan.attentionMask = batch.attentionMask
        plan.rowPositions = batch.rowPositions
        return plan
    }
}
