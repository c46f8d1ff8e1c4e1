/// One residual block, threading the residual stream through its hook points:
///
///     resid_pre → ln1 → attn → attn_out → resid_mid → mlp_in → ln2 → mlp → mlp_out → resid_post
///
/// Attention-only blocks go straight from `attn_out` to `resid_post = resid_pre + attn_out`;
/// parallel blocks (GPT-J) feed `ln2(resid_pre)` to the MLP and add both outputs. As in
/// TransformerLens, `hook_mlp_in` edits reach the MLP's input only, not the residual stream.
public struct TransformerBlock {
    public var ln1: LayerNorm?
    public var attn: Attention
    public var ln2: LayerNorm?
    public var mlp: MLP?
    public let layer: Int
    /// GPT-J style: attention and MLP read the same residual.
    public let parallel: Bool
    /// `hook_resid_pre`, `hook_attn_out`, `hook_resid_mid` (sequential MLP blocks), `hook_mlp_in`,
    /// `hook_mlp_out` (MLP blocks) and `hook_resid_post`, all [batch, pos, d_model].
    let residPre, attnOut, residPost: HookPoint
    let residMid, mlpIn, mlpOut: HookPoint?

    init(layer: Int, ln1: LayerNorm?, attn: Attention, ln2: LayerNorm?, mlp: MLP?, parallel: Bool) {
        self.layer = layer
        self.ln1 = ln1
        self.attn = attn
        self.ln2 = ln2
        self.mlp = mlp
        self.parallel = parallel
        residPre = HookPoint(.residPre(layer), .residual)
        attnOut = HookPoint(.attnOut(layer), .residual)
        residPost = HookPoint(.residPost(layer), .residual)
        residMid = mlp != nil && !parallel ? HookPoint(.residMid(layer), .residual) : nil
        mlpIn = mlp != nil ? HookPoint(.mlpIn(layer), .residual) : nil
        mlpOut = mlp != nil ? HookPoint(.mlpOut(layer), .residual) : nil
    }

    /// The hook points of this block in firing order, from the points its parts declare.
    public var hookPoints: [HookPoint] {
        var points = [residPre] + (ln1?.hookPoints ?? []) + attn.points.all + [attnOut]
        guard let mlp else { return points + [residPost] }
        points += [residMid, mlpIn].compactMap { $0 } + (ln2?.hookPoints ?? []) + mlp.hookPoints
        return points + [mlpOut!, residPost]
    }

    /// [batch, pos, d_model] → [batch, pos, d_model]. `shortformerPositions` (if given) is added
    /// to the query and key inputs only.
    ///
    /// When the pass restricts this block's queries (``ForwardPass/queryRows(layer:)``), only
    /// those positions come out, [batch, rows, d_model]: their queries attend to the keys and
    /// values of all positions before, and the MLP runs on them alone — all a metric reading
    /// those positions' logits needs from the last block.
    func callAsFunction(_ input: Tensor, shortformerPositions: Tensor?, pass: ForwardPass) throws -> Tensor {
        let queryRows = pass.queryRows(layer: layer)
        var resid = try pass.fire(residPre, input)
        let normalized = try ln1.map { try $0(resid, pass: pass) } ?? resid
        let queryKeyInput = shortformerPositions.map { normalized + $0 } ?? normalized
        let attention = try pass.fire(attnOut, attn(query: queryKeyInput, key: queryKeyInput, value: normalized, pass: pass,
                                                    queryRows: queryRows))
        if let rows = queryRows { resid = resid[.all, rows] }
        guard let mlp, let mlpIn, let mlpOut else {
            return try pass.fire(residPost, resid + attention)
        }
        if parallel {
            let input = try pass.fire(mlpIn, resid)
            let out = try pass.fire(mlpOut, mlp(ln2.map { try $0(input, pass: pass) } ?? input, pass: pass))
            return try pass.fire(residPost, resid + attention + out)
        }
        let mid = try pass.fire(residMid!, resid + attention)
        let input = try pass.fire(mlpIn, mid)
        let out = try pass.fire(mlpOut, mlp(ln2.map { try $0(input, pass: pass) } ?? input, pass: pass))
        return try pass.fire(residPost, mid + out)
    }

    /// Whether this block may compute only some query positions in `pass`: nothing observes or
    /// changes any of its points after the first norm — no hook would see the shorter tensors —
    /// except q, k and v taken whole from a resumed run (they are cut down to the rows).
    func canRestrictQueries(_ pass: ForwardPass) -> Bool {
        let early = Set([residPre] + (ln1?.hookPoints ?? [])).map(\.name)
        let cut: Set<HookName> = [attn.points.q.name, attn.points.k.name, attn.points.v.name]
        return hookPoints.allSatisfy { point in
            early.contains(point.name)
                || (!pass.isHooked(point.name) && (cut.contains(point.name) || pass.plan.resumed[point.name] == nil))
        }
    }

    mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        let p = "blocks.\(layer)"
        try ln1?.visitParameters(p + ".ln1", body)
        try ln2?.visitParameters(p + ".ln2", body)
        try attn.visitParameters(p + ".attn", body)
        try mlp?.visitParameters(p + ".mlp", body)
    }
}
