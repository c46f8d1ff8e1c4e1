/// The feed-forward layer and its hooks: `mlp.hook_pre` [batch, pos, d_mlp] = x·W_in + b_in,
/// `mlp.hook_post` = act(pre). Gated (LLaMA): `hook_pre` = x·W_gate, `hook_pre_linear` = x·W_in,
/// `hook_post` = act(pre) ⊙ pre_linear + b_in (the bias after the product, as in TransformerLens).
/// SoLU with a norm (`solu_ln`): `hook_mid` [batch, pos, d_mlp] = solu(pre), then the MLP's own
/// LayerNorm over d_mlp (`mlp.ln`, hooks `mlp.ln.hook_scale` [batch, pos, 1] and
/// `mlp.ln.hook_normalized` [batch, pos, d_mlp]), and `hook_post` = ln(mid).
public struct MLP {
    var input: Weight
    var gate: Weight?
    var output: Weight
    /// `b_in`, [d_mlp].
    public var bIn: Tensor
    /// `b_out`, [d_model].
    public var bOut: Tensor
    public let activation: Activation
    public let layer: Int
    /// `mlp.hook_pre` [batch, pos, d_mlp].
    public let prePoint: HookPoint
    /// `mlp.hook_pre_linear` [batch, pos, d_mlp] (gated MLPs).
    public let preLinearPoint: HookPoint?
    /// `mlp.hook_mid` [batch, pos, d_mlp]: the activation before `ln` (`solu_ln` only).
    public let midPoint: HookPoint?
    /// `mlp.ln`, the LayerNorm over d_mlp after the activation (`solu_ln` only): with weight
    /// and bias `mlp.ln.w`, `mlp.ln.b` [d_mlp] in an `LN` model, `LNPre` otherwise.
    public var ln: LayerNorm?
    /// `mlp.hook_post` [batch, pos, d_mlp]: the neurons.
    public let postPoint: HookPoint

    /// `normalization` is the model's `normalization_type` (which kind of `mlp.ln` a
    /// `solu_ln` MLP gets), `eps` its epsilon.
    init(layer: Int, width: Int, hidden: Int, gated: Bool, activation: Activation,
         normalization: HookedTransformerConfig.Normalization?, eps: Float, parameters: ParameterSource) throws {
        let p = "blocks.\(layer).mlp"
        self.layer = layer
        self.activation = activation
        input = try parameters.weight(p + ".W_in", [width, hidden])
        bIn = try parameters(p + ".b_in", .bias, [hidden])
        gate = gated ? try parameters.weight(p + ".W_gate", [width, hidden]) : nil
        output = try parameters.weight(p + ".W_out", [hidden, width])
        bOut = try parameters(p + ".b_out", .bias, [width])
        prePoint = HookPoint(.mlpPre(layer), .neurons)
        preLinearPoint = gated ? HookPoint(.mlpPreLinear(layer), .neurons) : nil
        if activation.isLayerNormActivation {
            // TransformerLens: LayerNorm if normalization_type is "LN", LayerNormPre otherwise.
            midPoint = HookPoint(.mlpMid(layer), .neurons)
            ln = try LayerNorm(kind: normalization == .layerNorm ? .layerNorm : .layerNormPre, width: hidden, eps: eps,
                               prefix: p + ".ln", normalizedLayout: .neurons, parameters: parameters)
        } else {
            midPoint = nil
            ln = nil
        }
        postPoint = HookPoint(.mlpPost(layer), .neurons)
    }

    /// `W_in`, [d_model, d_mlp].
    public var wIn: Tensor { get { input.tensor } set { input.tensor = newValue } }
    /// `W_gate` (gated MLPs), [d_model, d_mlp].
    public var wGate: Tensor? {
        get { gate?.tensor }
        set { if let newValue { gate?.tensor = newValue } }
    }
    /// `W_out`, [d_mlp, d_model].
    public var wOut: Tensor { get { output.tensor } set { output.tensor = newValue } }

    /// The MLP's hook points in firing order.
    var hookPoints: [HookPoint] {
        [prePoint] + (preLinearPoint.map { [$0] } ?? []) + (midPoint.map { [$0] } ?? []) + (ln?.hookPoints ?? []) + [postPoint]
    }

    /// [batch, pos, d_model] → [batch, pos, d_model] (before `hook_mlp_out`).
    func callAsFunction(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let post: Tensor
        if let gate, let preLinearPoint {
            let pre = try pass.fire(prePoint, gate.apply(x))
            let linear = try pass.fire(preLinearPoint, input.apply(x))
            let neurons = activation.applyGated(pre, times: linear)
            // LLaMA's b_in is zero: adding it would be a pass over every neuron for nothing.
            let addsBias = bIn.isTracked || !bIn.isAllZeros
            post = try pass.fire(postPoint, addsBias ? neurons + bIn : neurons)
        } else {
            let pre = try pass.fire(prePoint, input.apply(x, bias: bIn))
            if let midPoint, let ln {
                let mid = try pass.fire(midPoint, activation.apply(pre))
                post = try pass.fire(postPoint, ln(mid, pass: pass))
            } else {
                post = try pass.fire(postPoint, activation.apply(pre))
            }
        }
        return output.apply(post, bias: bOut)
    }

    mutating func visitParameters(_ prefix: String, _ body: ParameterVisitor) rethrows {
        try visit(prefix + ".W_in", &input, body)
        try visit(prefix + ".b_in", .bias, &bIn, body)
        if var g = gate {
            try visit(prefix + ".W_gate", &g, body)
            gate = g
        }
        try visit(prefix + ".W_out", &output, body)
        try visit(prefix + ".b_out", .bias, &bOut, body)
        try ln?.visitParameters(prefix + ".ln", body)
    }
}
