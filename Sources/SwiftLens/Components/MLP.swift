/// The feed-forward layer and its hooks: `mlp.hook_pre` [batch, pos, d_mlp] = x·W_in + b_in,
/// `mlp.hook_post` = act(pre). Gated (LLaMA): `hook_pre` = x·W_gate, `hook_pre_linear` = x·W_in,
/// `hook_post` = act(pre) ⊙ pre_linear + b_in (the bias after the product, as in TransformerLens).
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
    /// `mlp.hook_post` [batch, pos, d_mlp]: the neurons.
    public let postPoint: HookPoint

    init(layer: Int, width: Int, hidden: Int, gated: Bool, activation: Activation,
         parameters: ParameterSource) throws {
        let p = "blocks.\(layer).mlp"
        self.layer = layer
        self.activation = activation
        input = Weight(try parameters(p + ".W_in", .weight, [width, hidden]))
        bIn = try parameters(p + ".b_in", .bias, [hidden])
        gate = gated ? Weight(try parameters(p + ".W_gate", .weight, [width, hidden])) : nil
        output = Weight(try parameters(p + ".W_out", .weight, [hidden, width]))
        bOut = try parameters(p + ".b_out", .bias, [width])
        prePoint = HookPoint(.mlpPre(layer), .neurons)
        preLinearPoint = gated ? HookPoint(.mlpPreLinear(layer), .neurons) : nil
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
    var hookPoints: [HookPoint] { [prePoint] + (preLinearPoint.map { [$0] } ?? []) + [postPoint] }

    /// [batch, pos, d_model] → [batch, pos, d_model] (before `hook_mlp_out`).
    func callAsFunction(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let post: Tensor
        if let gate, let preLinearPoint {
            let pre = try pass.fire(prePoint, gate.apply(x))
            let linear = try pass.fire(preLinearPoint, input.apply(x))
            post = try pass.fire(postPoint, pre.activation(activation.kernel) * linear + bIn)
        } else {
            let pre = try pass.fire(prePoint, input.apply(x, bias: bIn))
            post = try pass.fire(postPoint, pre.activation(activation.kernel))
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
    }
}
