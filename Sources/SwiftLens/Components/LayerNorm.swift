/// The normalisations of TransformerLens: LayerNorm (`LN`, with weight and bias), `LNPre`
/// (without), RMSNorm (`RMS`, with weight) and `RMSPre` (without).
///
/// Hooks: `hook_scale` [batch, pos, 1] = √(var + eps) (LayerNorm, after centring) or
/// √(mean(x²) + eps) (RMS); `hook_normalized` [batch, pos, d_model] ([batch, pos, d_mlp] for the
/// `mlp.ln` of a `solu_ln` MLP, which normalises the neurons). **2.x semantics:** for
/// LayerNorm `hook_normalized` includes the weight and bias (TransformerLens 3+ moved it before
/// them); for RMSNorm it is before the weight in both, and the norm returns it times the weight.
///
/// Without a hook that could replace `hook_scale` (or read its gradient) the fused kernel
/// computes everything in one pass; otherwise the norm is composed from tensor operations so a
/// replaced scale flows into the output, exactly as in TransformerLens's graph.
///
/// The norm's maths lives here only: ``centred(_:)``, ``scale(of:)`` and
/// ``folded(weight:bias:)`` are what analyses and the sweep's closed forms build on.
public struct LayerNorm {
    public let kind: HookedTransformerConfig.Normalization
    /// `w`, [d_model] (LN and RMS; [d_mlp] for `mlp.ln`).
    public var w: Tensor?
    /// `b`, [d_model] (LN only; [d_mlp] for `mlp.ln`).
    public var b: Tensor?
    public let eps: Float
    /// `…hook_scale` [batch, pos, 1].
    public let scalePoint: HookPoint
    /// `…hook_normalized` [batch, pos, d_model] ([batch, pos, d_mlp] for `mlp.ln`).
    public let normalizedPoint: HookPoint

    /// A norm of `kind` over `width` features whose hook points are `prefix.hook_scale` and
    /// `prefix.hook_normalized` (`prefix` also names its parameters: `blocks.0.ln1.w`);
    /// `normalizedLayout` is the layout of `hook_normalized` (`.neurons` for `mlp.ln`).
    init(kind: HookedTransformerConfig.Normalization, width: Int, eps: Float, prefix: String,
         normalizedLayout: ActivationLayout = .residual, parameters: ParameterSource) throws {
        self.kind = kind
        self.eps = eps
        scalePoint = HookPoint(HookName(prefix + ".hook_scale"), .scale)
        normalizedPoint = HookPoint(HookName(prefix + ".hook_normalized"), normalizedLayout)
        w = kind == .layerNorm || kind == .rms ? try parameters(prefix + ".w", .normWeight, [width]) : nil
        b = kind == .layerNorm ? try parameters(prefix + ".b", .normBias, [width]) : nil
    }

    var isRMS: Bool { kind == .rms || kind == .rmsPre }

    /// The norm's hook points in firing order.
    var hookPoints: [HookPoint] { [scalePoint, normalizedPoint] }

    /// Applies the norm to [..., width], firing the two hooks.
    func callAsFunction(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
        let normalized: Tensor
        if pass.needsGraph(scalePoint.name) {
            let centered = centred(x)
            let scale = try pass.fire(scalePoint, (centered.square().mean(axis: -1, keepDims: true) + eps).sqrt())
            var n = centered / scale
            if !isRMS, let w { n = n * w }
            if !isRMS, let b { n = n + b }
            normalized = try pass.fire(normalizedPoint, n)
        } else if isRMS {
            let (n, scale) = x.rmsNormWithScale(eps: eps)
            _ = try pass.fire(scalePoint, scale)
            normalized = try pass.fire(normalizedPoint, n)
        } else {
            let (n, scale) = x.layerNormWithScale(weight: w, bias: b, eps: eps)
            _ = try pass.fire(scalePoint, scale)
            normalized = try pass.fire(normalizedPoint, n)
        }
        if isRMS, let w { return normalized * w }
        return normalized
    }

    /// x [..., d_model] centred over d_model (LayerNorm), or x itself (RMS).
    public func centred(_ x: Tensor) -> Tensor {
        isRMS ? x : x - x.mean(axis: -1, keepDims: true)
    }

    /// The scale σ(x) the norm divides by, [..., 1].
    public func scale(of x: Tensor) -> Tensor {
        (centred(x).square().mean(axis: -1, keepDims: true) + eps).sqrt()
    }

    /// The norm followed by a linear map, `norm(x)·weight + bias`, written as
    /// `centred(x)/σ(x) · W' + c`: returns W' = diag(w)·weight [d_model, n] and c = b·weight +
    /// bias [n] (W' = weight and c = bias for a norm without weight and bias).
    public func folded(weight: Tensor, bias: Tensor) -> (weight: Tensor, offset: Tensor) {
        let scaled = w.map { weight * $0.reshaped(-1, 1) } ?? weight
        let offset = b.map { $0.reshaped(1, -1).matmul(weight).reshaped(-1) + bias } ?? bias
        return (scaled, offset)
    }

    mutating func visitParameters(_ prefix: String, _ body: ParameterVisitor) rethrows {
        try visit(prefix + ".w", .normWeight, &w, body)
        try visit(prefix + ".b", .normBias, &b, body)
    }
}
