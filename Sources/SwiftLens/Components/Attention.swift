/// Multi-head causal self-attention (with grouped-query and rotary variants) and its hooks:
/// `hook_q`, `hook_k`, `hook_v` [batch, pos, head, d_head] (k and v have the key/value heads),
/// `hook_rot_q`, `hook_rot_k` (rotary), `hook_attn_scores` and `hook_pattern` [batch, head,
/// query_pos, key_pos] (masked scores −inf), `hook_z` [batch, pos, head, d_head] and
/// `hook_result` [batch, pos, head, d_model] (per-head output without `b_O`).
///
/// Speed: q/k/v are one GEMM each that reads `W_Q` [head, d_model, d_head] in place as the
/// [d_model, head·d_head] matrix it is; the per-head products read the [batch, pos, head,
/// d_head] activations in place; `hook_result` is computed only when something is attached to
/// it, otherwise z meets `W_O` in one GEMM. No weight or activation is permuted.
public struct Attention {
    /// `W_Q`, [head, d_model, d_head].
    public var wQ: Tensor
    /// `W_K` (`_W_K` with grouped-query attention), [kv_head, d_model, d_head].
    public var wK: Tensor
    /// `W_V` (`_W_V` with grouped-query attention), [kv_head, d_model, d_head].
    public var wV: Tensor
    /// `W_O`, [head, d_head, d_model].
    public var wO: Tensor
    /// `b_Q`, [head, d_head].
    public var bQ: Tensor
    /// `b_K`, [kv_head, d_head].
    public var bK: Tensor
    /// `b_V`, [kv_head, d_head].
    public var bV: Tensor
    /// `b_O`, [d_model].
    public var bO: Tensor
    /// Smeared-key mixing logits α, [kv_head] (models with `smear_keys`; nil otherwise).
    public var smear: Tensor?

    public let layer: Int
    public let heads: Int
    /// Key/value heads (fewer than `heads` with grouped-query attention).
    public let keyValueHeads: Int
    /// What the scores are divided by (√d_head unless configured otherwise).
    public let divisor: Float
    public let causal: Bool
    public let rotary: Rotary?
    let packs = PackedWeights()

    /// Runs attention on the (normalised) inputs, [batch, pos, d_model] each, and returns the
    /// attention output before `hook_attn_out` (Σ heads + b_O), [batch, pos, d_model].
    ///
    /// With `queryRows` only those positions are queried, against the keys and values of
    /// positions ..< queryRows.upperBound, and the output is [batch, queryRows.count, d_model]
    /// (the last block of a run whose metric reads a few positions). q, k and v taken whole from
    /// a resumed run are cut down likewise; no hook may be attached to them then.
    func callAsFunction(query xq: Tensor, key xk: Tensor, value xv: Tensor, hooks: HookRunner,
                        queryRows: Range<Int>? = nil) throws -> Tensor {
        let seen = queryRows.map { ..<$0.upperBound }
        func cut(_ x: Tensor, _ rows: (some TensorIndexConvertible)?, to count: Int?) -> Tensor {
            guard let rows, let count, x.shape[1] != count else { return x }
            return x[.all, rows]
        }
        var q = try hooks.fire(.q(layer), project(cut(xq, queryRows, to: queryRows?.count), wQ, bQ, slot: 0))
        var k = try hooks.fire(.k(layer), project(cut(xk, seen, to: queryRows?.upperBound), wK, bK, slot: 1))
        var v = try hooks.fire(.v(layer), project(cut(xv, seen, to: queryRows?.upperBound), wV, bV, slot: 2))
        q = cut(q, queryRows, to: queryRows?.count)
        k = cut(k, seen, to: queryRows?.upperBound)
        v = cut(v, seen, to: queryRows?.upperBound)
        if let rotary {
            q = try hooks.fire(.rotQ(layer), rotary(q, startingAt: k.shape[1] - q.shape[1]))
            k = try hooks.fire(.rotK(layer), rotary(k, startingAt: 0))
        }
        if let smear {
            // k_j ← σ(α)·k_j + (1 − σ(α))·k_{j−1} per head; position 0 keeps its key.
            let previous = Tensor.concatenate([k[.all, ..<1], k[.all, ..<(-1)]], axis: 1)
            let mix = smear.sigmoid().reshaped(1, 1, -1, 1)
            k = try hooks.fire(.smearedK(layer), mix * k + (1 - mix) * previous)
        }
        if keyValueHeads != heads {
            k = k.repeatedInterleave(heads / keyValueHeads, axis: 2)
            v = v.repeatedInterleave(heads / keyValueHeads, axis: 2)
        }
        let scores = try hooks.fire(.attnScores(layer), Tensor.attentionScores(queries: q, keys: k, divisor: divisor, causal: causal))
        // The causal softmax skips the masked half, unless a hook may have unmasked it.
        let causalScores = causal && !hooks.needsGraph(.attnScores(layer))
        let pattern = try hooks.fire(.pattern(layer), causalScores ? scores.causalSoftmax() : scores.softmax())
        // Skipping the pattern's masked half is valid unless a hook may have written there.
        let z = try hooks.fire(.z(layer), Tensor.attentionMix(pattern: pattern, values: v,
                                                              causal: causal && !hooks.needsGraph(.pattern(layer))))
        // hook_result costs a per-head product, so it is computed only when something is
        // attached to it; the output is then its sum over heads (as in TransformerLens with
        // use_attn_result), which differs from the fused product by float rounding (~1e-7).
        if hooks.isHooked(.result(layer)) {
            let result = try hooks.fire(.result(layer), z.perHeadMatmul(wO))
            return result.sum(axis: 2) + bO
        }
        let (batch, positions, h, dHead) = (z.shape[0], z.shape[1], z.shape[2], z.shape[3])
        let flatO = wO.reshaped(h * dHead, -1)
        return z.reshaped(batch, positions, h * dHead).matmul(flatO, bias: bO, packed: packs.get(3, flatO, rows: batch * positions))
    }

    /// x [batch, pos, d_model] · w [head, d_model, d_head] + b → [batch, pos, head, d_head].
    private func project(_ x: Tensor, _ w: Tensor, _ b: Tensor, slot: Int) -> Tensor {
        x.projectedToHeads(w, bias: b, packed: packs.get(slot, w, rows: x.count / w.shape[1], heads: true))
    }

    mutating func visitParameters(_ prefix: String, grouped: Bool, _ body: (String, inout Tensor) throws -> Void) rethrows {
        let kv = grouped ? "_" : ""
        try body(prefix + ".W_Q", &wQ)
        try body(prefix + ".\(kv)W_K", &wK)
        try body(prefix + ".\(kv)W_V", &wV)
        try body(prefix + ".W_O", &wO)
        try body(prefix + ".b_Q", &bQ)
        try body(prefix + ".\(kv)b_K", &bK)
        try body(prefix + ".\(kv)b_V", &bV)
        try body(prefix + ".b_O", &bO)
        if var a = smear { try body(prefix + ".smear", &a); smear = a }
    }
}
