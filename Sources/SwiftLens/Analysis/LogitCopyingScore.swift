/// The behavioural copying score of each head (Olsson et al. 2022, "copying: the head's output
/// increases the logit corresponding to the attended-to token", from its definition of an
/// induction head), measured on repeated random tokens
/// x = [p_0 … p_{P−1}, r_0 … r_{L−1}, r_0 … r_{L−1}] after a prefix of P tokens (P = 0: no
/// prefix; P = 1: a BOS, as TransformerLens's `evals` builds them for pretrained models, whose
/// first position is their attention sink). Positions below count from the start of the
/// sequence, so the second copy is i ∈ [P + L, P + 2L).
///
/// Definition implemented, for head (l, h):
///
///     copy(l, h) = mean over b and i ∈ [P + L, P + 2L) of  u_{b,i} · (W_U[:, t_{b,i}] − mean_t W_U[:, t])
///
/// - t_{b,i} = x_b[i − L + 1], the token an induction head attends to from position i (the token
///   after the earlier copy of x_b[i]), i.e. the token it should copy and predict;
/// - u_{b,i} is the head's output `hook_result[b, i, h]` (z·W_O, without b_O) as it reaches the
///   unembedding: through `ln_final` linearised at the cached scale — centred (LayerNorm),
///   divided by `ln_final.hook_scale[b, i]` and multiplied by the norm's weight (its bias is
///   not the head's). In a model without a final norm u is the head output itself.
/// - Grouped-query attention needs nothing special: `hook_result` is per query head (query
///   head h reads the values of key-value head h / (n_heads / n_kv_heads) and writes through
///   its own slice of W_O), so each of the n_heads scores is that query head's own.
///
/// Why this form:
/// - Direct logit attribution with the frozen final-norm scale is exact and additive: summed
///   over every component of the residual it gives the logits up to `b_U` and the norm's bias.
///   Keeping the norm's weight (which TransformerLens's `logit_attrs` leaves out because it
///   assumes weights folded into W_U) makes the number right for unprocessed models too; on a
///   processed (LNPre) model the two coincide.
/// - Subtracting the mean over the vocabulary removes what the head adds to every logit
///   equally, which the softmax ignores: a head that raised all logits alike would otherwise
///   look like a copier. Positive = the head raises the attended-to token above an average
///   token (copying), negative = it suppresses it (anti-copying), in logit units.
/// - Only second-copy positions are used: there the token to copy is known.
///
/// The weight-based copying scores (OV eigenvalue positivity, top-1 diagonal accuracy; §1.2
/// items 2–3) read the weights only: ``OVCopyingScores``, `model.ovCopyingScores()`.
public enum LogitCopyingScore {
    /// Why the score cannot be measured.
    public enum CopyingError: Error, CustomStringConvertible, Equatable {
        case notRepeated(batch: Int, position: Int)
        case oddLength(Int)
        case invalidPrefix(Int, length: Int)

        public var description: String {
            switch self {
            case let .notRepeated(b, p):
                "the copying score needs repeated tokens (second half = first half); sequence \(b) differs at position \(p)"
            case let .oddLength(n):
                "the copying score needs repeated tokens of even length ≥ 2 ([r, r], after the prefix); found length \(n)"
            case let .invalidPrefix(prefix, length):
                "the copying score needs a prefix of 0 ≤ P < \(length) − 1 tokens before [r, r]; found P = \(prefix)"
            }
        }
    }

    /// The copying score of every head, [n_layers, n_heads], averaged over the batch, in logit
    /// units.
    /// - Parameters:
    ///   - tokens: repeated random tokens [batch, P + 2L] (or [P + 2L]); see `RepeatedRandomTokens`
    ///     (its `bos:` builds P = 1).
    ///   - prefix: P, the number of tokens before the first copy (1 for a BOS); default 0.
    ///   - cache: a cache of `model` on `tokens` with the head results (or `z`) of every layer
    ///     and `ln_final.hook_scale`; computed if absent.
    ///   - hooks: hooks for the forward pass when no cache is given (e.g. an ablation).
    /// - Throws: ``CopyingError`` when the tokens are not [prefix, r, r]; model and cache errors.
    public static func measure(_ model: HookedTransformer, repeatedTokens tokens: IntTensor, prefix: Int = 0,
                               cache: ActivationCache? = nil, hooks: [Hook] = []) throws -> Tensor {
        let rows = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard rows.rank == 2 else { throw ModelError.invalidTokensShape(tokens.shape) }
        let (batch, length) = (rows.shape[0], rows.shape[1])
        guard prefix >= 0 && prefix <= length - 2 else { throw CopyingError.invalidPrefix(prefix, length: length) }
        guard (length - prefix) % 2 == 0 else { throw CopyingError.oddLength(length - prefix) }
        let half = (length - prefix) / 2
        let second = prefix + half
        for b in 0..<batch {
            for i in second..<length where rows[b, i] != rows[b, i - half] {
                throw CopyingError.notRepeated(batch: b, position: i)
            }
        }
        let layers = model.config.nLayers
        var source: ActivationCache
        if let cache {
            source = cache
            if source.model == nil { source.model = model }
        } else {
            var names: [HookName] = (0..<layers).map { .result($0) }
            if model.lnFinal != nil { names.append(.finalScale) }
            source = try model.cache(rows, names: .only(names), hooks: hooks)
        }

        // Targets t_{b,i} = x_b[i − L + 1] for i in [P + L, P + 2L): [batch, L].
        let targets = rows[.all, .stride(prefix + 1, second + 1)]
        // Unembedding directions centred over the vocabulary, gathered per target: [batch, L, d_model].
        let wU = model.unembed.wU
        let centredRows = (wU - wU.mean(axis: 1, keepDims: true)).transposed(0, 1)
        let directions = centredRows.indexSelect(targets, axis: 0)

        // The final norm, linearised at the cached scale: [batch, L, 1, 1] divisor, weight [d_model].
        var divisor: Tensor?
        if model.lnFinal != nil {
            let scale = try source.tensor(.finalScale)
            guard scale.shape == [batch, length, 1] else {
                throw CacheAnalysisError.shapeMismatch("\(HookName.finalScale)", expected: "[\(batch), \(length), 1] for these tokens",
                                                       found: scale.shape)
            }
            divisor = scale[.all, .stride(second, nil)].unsqueezed(axis: -1)
        }
        var scores: [Float] = []
        for l in 0..<layers {
            let results = try source.headResults(layer: l)
            guard results.rank == 4, Array(results.shape.prefix(2)) == [batch, length] else {
                throw CacheAnalysisError.shapeMismatch("the head results of layer \(l)",
                                                       expected: "[\(batch), \(length), n_heads, d_model] for these tokens",
                                                       found: results.shape)
            }
            let u = throughFinalNorm(results[.all, .stride(second, nil)], of: model, dividedBy: divisor)   // [batch, L, head, d_model]
            let perHead = einsum("bihd,bid->h", u, directions) / Float(batch * half)
            scores += perHead.scalars
        }
        return Tensor(shape: [layers, model.config.nHeads], values: scores)
    }

    /// Head outputs [..., d_model] as they reach the unembedding: through `ln_final` linearised
    /// at the cached scale — centred (LayerNorm only), divided by `divisor` (the cached
    /// `ln_final.hook_scale`, broadcastable to `outputs`) and multiplied by the norm's weight.
    /// Unchanged for a model without a final norm. Shared with ``CopySuppressionScores``.
    static func throughFinalNorm(_ outputs: Tensor, of model: HookedTransformer, dividedBy divisor: Tensor?) -> Tensor {
        guard let norm = model.lnFinal, let divisor else { return outputs }
        var u = norm.isRMS ? outputs : outputs - outputs.mean(axis: -1, keepDims: true)
        u = u / divisor
        if let w = norm.w { u = u * w }
        return u
    }
}
