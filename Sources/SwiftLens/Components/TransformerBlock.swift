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

    /// [batch, pos, d_model] → [batch, pos, d_model]. `shortformerPositions` (if given) is added
    /// to the query and key inputs only.
    ///
    /// With `queryRows` (see ``canRestrictQueries(_:)``) only those positions come out,
    /// [batch, queryRows.count, d_model]: their queries attend to the keys and values of
    /// positions ..< queryRows.upperBound, and the MLP runs on them alone — all a metric reading
    /// those positions' logits needs from the last block.
    func callAsFunction(_ input: Tensor, shortformerPositions: Tensor?, hooks: HookRunner,
                        queryRows: Range<Int>? = nil) throws -> Tensor {
        var residPre = try hooks.fire(.residPre(layer), input)
        let normalized = try ln1.map { try $0(residPre, scaleName: .scale(layer, .ln1), normalizedName: .normalized(layer, .ln1), hooks: hooks) }
            ?? residPre
        let queryKeyInput = shortformerPositions.map { normalized + $0 } ?? normalized
        let attnOut = try hooks.fire(.attnOut(layer), attn(query: queryKeyInput, key: queryKeyInput, value: normalized, hooks: hooks,
                                                           queryRows: queryRows))
        if let rows = queryRows { residPre = residPre[.all, rows] }
        guard let mlp else {
            return try hooks.fire(.residPost(layer), residPre + attnOut)
        }
        if parallel {
            let mlpIn = try hooks.fire(.mlpIn(layer), residPre)
            let mlpOut = try hooks.fire(.mlpOut(layer), mlp(normalize2(mlpIn, hooks), hooks: hooks))
            return try hooks.fire(.residPost(layer), residPre + attnOut + mlpOut)
        }
        let residMid = try hooks.fire(.residMid(layer), residPre + attnOut)
        let mlpIn = try hooks.fire(.mlpIn(layer), residMid)
        let mlpOut = try hooks.fire(.mlpOut(layer), mlp(normalize2(mlpIn, hooks), hooks: hooks))
        return try hooks.fire(.residPost(layer), residMid + mlpOut)
    }

    /// Whether the block may run with `queryRows`: nothing is attached to any of its points
    /// after the first norm, so no hook would see the shorter tensors, and nothing after q, k
    /// and v is resumed (those three are cut down to the rows).
    func canRestrictQueries(_ hooks: HookRunner) -> Bool {
        let early: Set<HookName> = [.residPre(layer), .scale(layer, .ln1), .normalized(layer, .ln1)]
        let cut: Set<HookName> = [.q(layer), .k(layer), .v(layer)]
        return hookPoints().allSatisfy { name in
            early.contains(name) || (!hooks.isHooked(name) && (cut.contains(name) || hooks.resumeValues[name] == nil))
        }
    }

    private func normalize2(_ x: Tensor, _ hooks: HookRunner) throws -> Tensor {
        try ln2.map { try $0(x, scaleName: .scale(layer, .ln2), normalizedName: .normalized(layer, .ln2), hooks: hooks) } ?? x
    }

    /// The hook points of this block in firing order.
    func hookPoints() -> [HookName] {
        let l = layer
        var names: [HookName] = [.residPre(l)]
        if ln1 != nil { names += [.scale(l, .ln1), .normalized(l, .ln1)] }
        names += [.q(l), .k(l), .v(l)]
        if attn.rotary != nil { names += [.rotQ(l), .rotK(l)] }
        if attn.smear != nil { names.append(.smearedK(l)) }
        names += [.attnScores(l), .pattern(l), .z(l), .result(l), .attnOut(l)]
        guard let mlp else { return names + [.residPost(l)] }
        if !parallel { names.append(.residMid(l)) }
        names.append(.mlpIn(l))
        if ln2 != nil { names += [.scale(l, .ln2), .normalized(l, .ln2)] }
        names.append(.mlpPre(l))
        if mlp.wGate != nil { names.append(.mlpPreLinear(l)) }
        return names + [.mlpPost(l), .mlpOut(l), .residPost(l)]
    }

    mutating func visitParameters(grouped: Bool, _ body: (String, inout Tensor) throws -> Void) rethrows {
        let p = "blocks.\(layer)"
        try ln1?.visitParameters(p + ".ln1", body)
        try ln2?.visitParameters(p + ".ln2", body)
        try attn.visitParameters(p + ".attn", grouped: grouped, body)
        try mlp?.visitParameters(p + ".mlp", body)
    }
}
