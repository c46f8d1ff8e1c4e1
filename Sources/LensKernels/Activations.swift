import LensSIMD

// MLP activation functions with their derivatives, forward and backward side by side.
// Backward kernels take the forward *input* x and the incoming gradient dy and write
// dx = f'(x) ⊙ dy; they recompute what they need from x rather than saving intermediates.

/// The element-wise activation kernels. (Model configs name them in TransformerLens's words:
/// SwiftLens's `Activation` maps those names onto these.)
public enum ActivationKernel: Sendable, CaseIterable {
    /// The tanh approximation of GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    case tanhGELU
    /// Exact GELU: 0.5·x·(1 + erf(x/√2)).
    case erfGELU
    /// x·σ(x).
    case silu
    /// max(0, x).
    case relu
}

private let sqrt2OverPi: Float = 0.7978845608028654
private let geluCubic: Float = 0.044715
private let invSqrt2: Float = 0.7071067811865476
private let invSqrt2Pi: Float = 0.3989422804014327

/// out = f(x) element-wise; `out` may alias `x`.
public func activationForward(_ f: ActivationKernel, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    switch f {
    case .tanhGELU:
        mapRow(x, out, n) { v in
            let u = Float8(repeating: sqrt2OverPi) * v.addingProduct(v * v * v, Float8(repeating: geluCubic))
            return 0.5 * v * (1 + tanh8(u))
        }
    case .erfGELU:
        mapRow(x, out, n) { v in 0.5 * v * (1 + erf8(v * invSqrt2)) }
    case .silu:
        mapRow(x, out, n) { v in v * sigmoid8(v) }
    case .relu:
        mapRow(x, out, n) { v in v.replacing(with: 0, where: v .< 0) }
    }
}

/// dx = f'(x) ⊙ dy element-wise; `dx` may alias `dy`.
public func activationBackward(_ f: ActivationKernel, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                               _ dx: UnsafeMutablePointer<Float>, _ n: Int) {
    switch f {
    case .tanhGELU:
        mapRows(x, dy, dx, n) { v, g in
            let v2 = v * v
            let u = Float8(repeating: sqrt2OverPi) * v.addingProduct(v2 * v, Float8(repeating: geluCubic))
            let t = tanh8(u)
            let du = Float8(repeating: sqrt2OverPi) * Float8(repeating: 1).addingProduct(v2, Float8(repeating: 3 * geluCubic))
            return g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
        }
    case .erfGELU:
        mapRows(x, dy, dx, n) { v, g in
            let cdf = 0.5 * (1 + erf8(v * invSqrt2))
            let pdf = Float8(repeating: invSqrt2Pi) * exp8(-0.5 * v * v)
            return g * cdf.addingProduct(v, pdf)
        }
    case .silu:
        mapRows(x, dy, dx, n) { v, g in
            let s = sigmoid8(v)
            return g * s * (1 + v * (1 - s))
        }
    case .relu:
        mapRows(x, dy, dx, n) { v, g in g.replacing(with: 0, where: v .<= 0) }
    }
}
