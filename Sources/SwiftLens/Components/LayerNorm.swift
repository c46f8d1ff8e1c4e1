/// The normalisations of TransformerLens: LayerNorm (`LN`, with weight and bias), `LNPre`
/// (without), RMSNorm (`RMS`, with weight) and `RMSPre` (without).
///
/// Hooks: `hook_scale` [batch, pos, 1] = √(var + eps) (LayerNorm, after centring) or
/// √(mean(x²) + eps) (RMS); `hook_normalized` [batch, pos, d_model]. **2.x semantics:** for
/// LayerNorm `hook_normalized` includes the weight and bias (TransformerLens 3+ moved it before
/// them); for RMSNorm it is before the weight in both, and the norm returns it times the weight.
///
/// Without a hook that could replace `hook_scale` (or read its gradient) the fused kernel
/// computes everything in one pass; otherwise the norm is composed from tensor operations so a
/// replaced scale flows into the output, exactly as in TransformerLens's graph.
public struct LayerNorm {
    public let kind: HookedTransformerConfig.Normalization
    /// `w`, [d_model] (LN and RMS).
    public var w: Tensor?
    /// `b`, [d_model] (LN only).
    public var b: Tensor?
    public let eps: Float

    var isRMS: Bool { kind == .rms || kind == .rmsPre }

    /// Applies the norm to [..., d_model], firing the two hooks.
    func callAsFunction(_ x: Tensor, scaleName: HookName, normalizedName: HookName, hooks: HookRunner) throws -> Tensor {
        let normalized: Tensor
        if hooks.needsGraph(scaleName) {
            let centered = isRMS ? x : x - x.mean(axis: -1, keepDims: true)
            let scale = try hooks.fire(scaleName, (centered.square().mean(axis: -1, keepDims: true) + eps).sqrt())
            var n = centered / scale
            if !isRMS, let w { n = n * w }
            if !isRMS, let b { n = n + b }
            normalized = try hooks.fire(normalizedName, n)
        } else if isRMS {
            let (n, scale) = x.rmsNormWithScale(eps: eps)
            _ = try hooks.fire(scaleName, scale)
            normalized = try hooks.fire(normalizedName, n)
        } else {
            let (n, scale) = x.layerNormWithScale(weight: w, bias: b, eps: eps)
            _ = try hooks.fire(scaleName, scale)
            normalized = try hooks.fire(normalizedName, n)
        }
        if isRMS, let w { return normalized * w }
        return normalized
    }

    mutating func visitParameters(_ prefix: String, _ body: (String, inout Tensor) throws -> Void) rethrows {
        if var t = w { try body(prefix + ".w", &t); w = t }
        if var t = b { try body(prefix + ".b", &t); b = t }
    }
}
