/// Multi-head causal self-attention (with grouped-query and rotary variants) and its hooks:
/// `hook_q`, `hook_k`, `hook_v` [batch, pos, head, d_head] (k and v have the key/value heads),
/// `hook_rot_q`, `hook_rot_k` (rotary), `hook_attn_scores` and `hook_pattern` [batch, head,
/// query_pos, key_pos] (masked scores −inf), `hook_z` [batch, pos, head, d_head] and
/// `hook_result` [batch, pos, head, d_model] (per-head output without `b_O`).
///
/// Speed: q/k/v are one GEMM each that reads `W_Q` [head, d_model, d_head] as the
/// [d_model, head·d_head] matrix it is (see ``Weight``); the per-head products read the
/// [batch, pos, head, d_head] activations in place; `hook_result` is computed only when
/// something is attached to it, otherwise z meets `W_O` in one GEMM. No weight or activation
/// is permuted.
public struct Attention {
    var query: Weight
    var key: Weight
    var value: Weight
    var output: Weight
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
    /// Whether k and v are stored as TransformerLens's grouped `_W_K` / `_W_V`.
    let grouped: Bool
    /// The hook points this attention fires.
    public let points: Points

    /// The hook points of one attention layer, declared once with their layouts.
    public struct Points: Sendable {
        public let q, k, v: HookPoint
        public let rotQ, rotK, smearedK: HookPoint?
        public let scores, pattern, z, result: HookPoint

        init(layer l: Int, heads: Int, keyValueHeads: Int, rotary: Bool, smear: Bool) {
            q = HookPoint(.q(l), .perHead(heads: heads))
            k = HookPoint(.k(l), .perHead(heads: keyValueHeads))
            v = HookPoint(.v(l), .perHead(heads: keyValueHeads))
            rotQ = rotary ? HookPoint(.rotQ(l), .perHead(heads: heads)) : nil
            rotK = rotary ? HookPoint(.rotK(l), .perHead(heads: keyValueHeads)) : nil
            smearedK = smear ? HookPoint(.smearedK(l), .perHead(heads: keyValueHeads)) : nil
            scores = HookPoint(.attnScores(l), .pattern(heads: heads))
            pattern = HookPoint(.pattern(l), .pattern(heads: heads))
            z = HookPoint(.z(l), .perHead(heads: heads))
            result = HookPoint(.result(l), .perHead(heads: heads))
        }

        /// In firing order.
        public var all: [HookPoint] {
            [q, k, v] + [rotQ, rotK, smearedK].compactMap { $0 } + [scores, pattern, z, result]
        }
    }

    init(layer: Int, width: Int, heads: Int, keyValueHeads: Int, headWidth: Int, grouped: Bool, smearKeys: Bool,
         divisor: Float, causal: Bool, rotary: Rotary?, parameters: ParameterSource) throws {
        let p = "blocks.\(layer).attn", kv = grouped ? "_" : ""
        let (h, d, dh) = (heads, width, headWidth)
        query = try parameters.weight(p + ".W_Q", [h, d, dh], layout: .toHeads)
        key = try parameters.weight(p + ".\(kv)W_K", [keyValueHeads, d, dh], layout: .toHeads)
        value = try parameters.weight(p + ".\(kv)W_V", [keyValueHeads, d, dh], layout: .toHeads)
        output = try parameters.weight(p + ".W_O", [h, dh, d], layout: .fromHeads)
        bQ = try parameters(p + ".b_Q", .bias, [h, dh])
        bK = try parameters(p + ".\(kv)b_K", .bias, [keyValueHeads, dh])
        bV = try parameters(p + ".\(kv)b_V", .bias, [keyValueHeads, dh])
        bO = try parameters(p + ".b_O", .bias, [d])
        smear = smearKeys ? try parameters(p + ".smear", .smear, [keyValueHeads]) : nil
        self.layer = layer
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.divisor = divisor
        self.causal = causal
        self.rotary = rotary
        self.grouped = grouped
        points = Points(layer: layer, heads: heads, keyValueHeads: keyValueHeads, rotary: rotary != nil, smear: smearKeys)
    }

    /// `W_Q`, [head, d_model, d_head].
    public var wQ: Tensor { get { query.tensor } set { query.tensor = newValue } }
    /// `W_K` (`_W_K` with grouped-query attention), [kv_head, d_model, d_head].
    public var wK: Tensor { get { key.tensor } set { key.tensor = newValue } }
    /// `W_V` (`_W_V` with grouped-query attention), [kv_head, d_model, d_head].
    public var wV: Tensor { get { value.tensor } set { value.tensor = newValue } }
    /// `W_O`, [head, d_head, d_model].
    public var wO: Tensor { get { output.tensor } set { output.tensor = newValue } }

    /// Runs attention on the (normalised) inputs, [batch, pos, d_model] each, and returns the
    /// attention output before `hook_attn_out` (Σ heads + b_O), [batch, pos, d_model].
    ///
    /// With `queryRows` only those positions are queried, against the keys and values of
    /// positions ..< queryRows.upperBound, and the output is [batch, queryRows.count, d_model]
    /// (the last block of a run whose metric reads a few positions). q, k and v resumed whole
    /// from another run are cut down likewise; no hook may be attached to them then.
    func callAsFunction(query xq: Tensor, key xk: Tensor, value xv: Tensor, pass: ForwardPass,
                        queryRows: Range<Int>?) throws -> Tensor {
        let seen = queryRows.map { 0..<$0.upperBound }
        /// The rows of a [batch, pos, …] tensor the queries (or keys) need.
        func cut(_ x: Tensor, _ rows: Range<Int>?) -> Tensor {
            guard let rows, x.shape[1] != rows.count else { return x }
            return x[.all, rows]
        }
        var q = cut(try pass.fire(points.q, query.apply(cut(xq, queryRows), bias: bQ)), queryRows)
        var k = cut(try pass.fire(points.k, key.apply(cut(xk, seen), bias: bK)), seen)
        var v = cut(try pass.fire(points.v, value.apply(cut(xv, seen), bias: bV)), seen)
        let cache = pass.plan.keyValueCache
        if let rotary, let rotQ = points.rotQ, let rotK = points.rotK {
            if let positions = pass.plan.rowPositions {
                let queryPositions = q.shape[1] == positions.shape[1] ? positions : positions[.all, queryRows ?? 0..<q.shape[1]]
                q = try pass.fire(rotQ, rotary(q, positions: queryPositions))
                k = try pass.fire(rotK, rotary(k, positions: positions[.all, ..<k.shape[1]]))
            } else {
                let offset = pass.positionOffset
                q = try pass.fire(rotQ, rotary(q, startingAt: offset + k.shape[1] - q.shape[1]))
                k = try pass.fire(rotK, rotary(k, startingAt: offset))
            }
        }
        if let smear, let smearedK = points.smearedK {
            // k_j ← σ(α)·k_j + (1 − σ(α))·k_{j−1} per head; position 0 keeps its key; with a
            // cache the first new key mixes in the last cached one (before smearing).
            let first = cache?.lastUnsmearedKey(layer: layer) ?? k[.all, ..<1]
            var previous = Tensor.concatenate([first, k[.all, ..<(-1)]], axis: 1)
            if let mask = pass.plan.attentionMask {
                // A row's first real token follows padding: like position 0, it keeps its key.
                let starts = Self.rowStarts(mask, offset: pass.positionOffset, count: k.shape[1])
                previous = previous * (1 - starts) + k * starts
            }
            cache?.stageLastUnsmearedKey(k[.all, (-1)...], layer: layer)
            let mix = smear.sigmoid().reshaped(1, 1, -1, 1)
            k = try pass.fire(smearedK, mix * k + (1 - mix) * previous)
        }
        // With a cache, attention reads the first `keyCount` positions of its buffers (cached +
        // new), or copies of them when something is differentiated.
        var keyCount: Int?
        if let cache {
            let cached = pass.positionOffset
            let (kb, vb, count) = cache.append(layer: layer, keys: k, values: v)
            if q.isTracked || k.isTracked || v.isTracked {
                // Differentiated: the earlier positions are constants, this pass's keys and
                // values stay the live (tracked) tensors.
                if cached > 0 {
                    k = Tensor.concatenate([kb[.all, ..<cached], k], axis: 1)
                    v = Tensor.concatenate([vb[.all, ..<cached], v], axis: 1)
                }
            } else {
                (k, v, keyCount) = (kb, vb, count)
            }
        }
        let keys = keyCount ?? k.shape[1]
        // Grouped key-value heads are read in place unless something is differentiated, which
        // needs the expanded copies.
        let differentiated = q.isTracked || k.isTracked || v.isTracked
        if keyValueHeads != heads && differentiated {
            k = k.repeatedInterleave(heads / keyValueHeads, axis: 2)
            v = v.repeatedInterleave(heads / keyValueHeads, axis: 2)
        }
        var raw = Tensor.attentionScores(queries: q, keys: k, keyCount: keyCount, divisor: divisor, causal: causal)
        if let mask = pass.plan.attentionMask {
            raw = raw + Self.paddingBias(mask.shape[1] == keys ? mask : mask[.all, ..<keys], queries: q.shape[1])
        }
        let scores = try pass.fire(points.scores, raw)
        // The causal softmax skips the masked half, unless a hook may have unmasked it.
        let causalScores = causal && !pass.needsGraph(points.scores.name)
        let pattern = try pass.fire(points.pattern, causalScores ? scores.causalSoftmax() : scores.softmax())
        if pattern.isTracked {
            // A hook made the pattern differentiable: the values must be exactly its keys', expanded.
            if v.shape[1] != keys { v = v[.all, ..<keys] }
            if v.shape[2] != heads { v = v.repeatedInterleave(heads / keyValueHeads, axis: 2) }
        }
        // Skipping the pattern's masked half is valid unless a hook may have written there.
        let z = try pass.fire(points.z, Tensor.attentionMix(pattern: pattern, values: v,
                                                            causal: causal && !pass.needsGraph(points.pattern.name)))
        // hook_result costs a per-head product, so it is computed only when something is
        // attached to it; the output is then its sum over heads (as in TransformerLens with
        // use_attn_result), which differs from the fused product by float rounding (~1e-7).
        if pass.isHooked(points.result.name) {
            let result = try pass.fire(points.result, z.perHeadMatmul(wO))
            return result.sum(axis: 2) + bO
        }
        return output.apply(z, bias: bO)
    }

    /// −inf where a real query would attend to a padded key, 0 elsewhere, [batch, 1, queries,
    /// keys] for `mask` [batch, keys] whose last `queries` positions are the queries (all of
    /// them without a cache). Padded queries are left unmasked: their rows are never read, and
    /// a row with every key masked would be NaN.
    static func paddingBias(_ mask: IntTensor, queries: Int) -> Tensor {
        let (batch, length) = (mask.shape[0], mask.shape[1])
        let m = mask.scalars, first = length - queries
        return Tensor(shape: [batch, 1, queries, length]) { out in
            for b in 0..<batch {
                for q in 0..<queries {
                    let real = m[b * length + first + q] != 0
                    for k in 0..<length {
                        out[(b * queries + q) * length + k] = real && m[b * length + k] == 0 ? -.infinity : 0
                    }
                }
            }
        }
    }

    /// 1 where position offset + p of a row is real and follows padding (its row's first real
    /// token), else 0: [batch, count, 1, 1] for `mask` [batch, ≥ offset + count].
    static func rowStarts(_ mask: IntTensor, offset: Int, count: Int) -> Tensor {
        let (batch, length) = (mask.shape[0], mask.shape[1])
        let m = mask.scalars
        return Tensor(shape: [batch, count, 1, 1]) { out in
            for b in 0..<batch {
                for p in 0..<count {
                    let j = offset + p
                    out[b * count + p] = j > 0 && m[b * length + j] != 0 && m[b * length + j - 1] == 0 ? 1 : 0
                }
            }
        }
    }

    /// The [d_model, (heads + 2·kv_heads)·d_head] map x ↦ [q | k | v] (before rotary) and its
    /// bias: what a closed form needs to carry a residual change into this layer's q, k and v.
    func queryKeyValueMap() -> (weight: Tensor, bias: Tensor) {
        let d = query.shape[1]
        let weight = Tensor.concatenate([wQ, wK, wV].map { $0.permuted(1, 0, 2).reshaped(d, -1) }, axis: 1)
        let bias = Tensor.concatenate([bQ, bK, bV].map { $0.reshaped(-1) }, axis: 0)
        return (weight, bias)
    }

    mutating func visitParameters(_ prefix: String, _ body: ParameterVisitor) rethrows {
        let kv = grouped ? "_" : ""
        try visit(prefix + ".W_Q", &query, body)
        try visit(prefix + ".\(kv)W_K", &key, body)
        try visit(prefix + ".\(kv)W_V", &value, body)
        try visit(prefix + ".W_O", &output, body)
        try visit(prefix + ".b_Q", .bias, &bQ, body)
        try visit(prefix + ".\(kv)b_K", .bias, &bK, body)
        try visit(prefix + ".\(kv)b_V", .bias, &bV, body)
        try visit(prefix + ".b_O", .bias, &bO, body)
        try visit(prefix + ".smear", .smear, &smear, body)
    }
}
