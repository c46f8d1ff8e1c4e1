/// The feed-forward layer and its hooks: `mlp.hook_pre` [batch, pos, d_mlp] = x·W_in + b_in,
/// `mlp.hook_post` = act(pre). Gated (LLaMA): `hook_pre` = x·W_gate, `hook_pre_linear` = x·W_in,
/// `hook_post` = act(pre) ⊙ pre_linear + b_in (the bias after the product, as in TransformerLens).
public struct MLP {
    /// `W_in`, [d_model, d_mlp].
    public var wIn: Tensor
    /// `b_in`, [d_mlp].
    public var bIn: Tensor
    /// `W_gate` (gated MLPs), [d_model, d_mlp].
    public var wGate: Tensor?
    /// `W_out`, [d_mlp, d_model].
    public var wOut: Tensor
    /// `b_out`, [d_model].
    public var bOut: Tensor
    public let activation: Activation
    public let layer: Int
    let packs = PackedWeights()

    /// [batch, pos, d_model] → [batch, pos, d_model] (before `hook_mlp_out`).
    func callAsFunction(_ x: Tensor, hooks: HookRunner) throws -> Tensor {
        let rows = x.count / wIn.shape[0]
        let post: Tensor
        if let wGate {
            let pre = try hooks.fire(.mlpPre(layer), x.matmul(wGate))
            let linear = try hooks.fire(.mlpPreLinear(layer), x.matmul(wIn))
            post = try hooks.fire(.mlpPost(layer), pre.activation(activation) * linear + bIn)
        } else {
            let pre = try hooks.fire(.mlpPre(layer), x.matmul(wIn, bias: bIn, packed: packs.get(0, wIn, rows: rows)))
            post = try hooks.fire(.mlpPost(layer), pre.activation(activation))
        }
        return post.matmul(wOut, bias: bOut, packed: packs.get(2, wOut, rows: rows))
    }

    mutating func visitParameters(_ prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        try body(prefix + ".W_in", &wIn)
        try body(prefix + ".b_in", &bIn)
        if var g = wGate { try body(prefix + ".W_gate", &g); wGate = g }
        try body(prefix + ".W_out", &wOut)
        try body(prefix + ".b_out", &bOut)
    }
}
