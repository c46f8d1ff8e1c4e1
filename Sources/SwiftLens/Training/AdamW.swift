import Foundation

/// AdamW with PyTorch's semantics (`torch.optim.AdamW`), for parameters keyed by name:
///
///     p ← p · (1 − lr·weight_decay)
///     m ← m + (1 − β₁)·(g − m),   v ← β₂·v + (1 − β₂)·g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Deterministic: the same gradients give bit-identical updates on every run.
public struct AdamW {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Number of updates taken (t in the bias corrections).
    public private(set) var step = 0
    private var moments: [String: (m: [Float], v: [Float])] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Applies one update to `parameters` from `gradients` (same names and shapes; parameters
    /// without a gradient are left alone). `learningRate` overrides the stored rate for this step
    /// (schedules).
    public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor], learningRate lr: Float? = nil) {
        step += 1
        let lr = lr ?? learningRate
        // As PyTorch: the bias corrections in double precision, then used as float scalars.
        let bc1 = 1 - Foundation.pow(Double(beta1), Double(step)), bc2 = 1 - Foundation.pow(Double(beta2), Double(step))
        let stepSize = Float(Double(lr) / bc1), bc2Root = Float(bc2.squareRoot())
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, 1 - lr * weightDecay)
        for name in parameters.keys.sorted() {
            guard let g = gradients[name], var p = parameters[name] else { continue }
            precondition(g.shape == p.shape, "AdamW: gradient of \(name) has shape \(g.shape), parameter \(p.shape)")
            var state = moments[name] ?? ([Float](repeating: 0, count: p.count), [Float](repeating: 0, count: p.count))
            g.withUnsafeBufferPointer { gp in
                p.withUnsafeMutableBufferPointer { pp in
                    state.m.withUnsafeMutableBufferPointer { mp in
                        state.v.withUnsafeMutableBufferPointer { vp in
                            for i in 0..<pp.count {
                                let gi = gp[i]
                                pp[i] *= decay
                                mp[i] += (1 - b1) * (gi - mp[i])  // PyTorch's lerp
                                vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                                pp[i] -= stepSize * mp[i] / (vp[i].squareRoot() / bc2Root + eps)
                            }
                        }
                    }
                }
            }
            moments[name] = state
            parameters[name] = p
        }
    }
}

/// Scales `gradients` so that their global L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`: factor maxNorm / (norm + 1e-6) when that is below 1). Returns the norm
/// before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: inout [String: Tensor], maxNorm: Float) -> Float {
    var total: Double = 0
    for name in gradients.keys.sorted() {
        gradients[name]!.withUnsafeBufferPointer { for x in $0 { total += Double(x) * Double(x) } }
    }
    let norm = Float(total.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for name in gradients.keys { gradients[name] = gradients[name]! * factor }
    }
    return norm
}
