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

/// out = f(pre) ⊙ linear element-wise — a gated MLP's neurons (LLaMA's SiLU(x·W_gate) ⊙
/// x·W_in) in one pass instead of two, on two threads above `rowParallelThreshold` elements.
/// Each element is computed exactly as `activationForward` followed by a multiply computes it.
/// `out` may alias either input.
public func gatedActivationForward(_ f: ActivationKernel, _ pre: UnsafePointer<Float>, _ linear: UnsafePointer<Float>,
                                   _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let parts = n >= rowParallelThreshold ? min(KernelThreads.count, 2) : 1
    let (px, pl, po) = (SendablePointer(pre), SendablePointer(linear), SendablePointer(out))
    parallelFor(parts) { t in
        let r = splitRange(n, parts: parts, index: t, align: 8)
        let (x, l, o, count) = (px.raw + r.lowerBound, pl.raw + r.lowerBound, po.raw + r.lowerBound, r.count)
        switch f {
        case .tanhGELU:
            mapRows(x, l, o, count) { v, w in
                let u = Float8(repeating: sqrt2OverPi) * v.addingProduct(v * v * v, Float8(repeating: geluCubic))
                return 0.5 * v * (1 + tanh8(u)) * w
            }
        case .erfGELU:
            mapRows(x, l, o, count) { v, w in 0.5 * v * (1 + erf8(v * invSqrt2)) * w }
        case .silu:
            mapRows(x, l, o, count) { v, w in v * sigmoid8(v) * w }
        case .relu:
            mapRows(x, l, o, count) { v, w in v.replacing(with: 0, where: v .< 0) * w }
        }
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

/// Rotary position embedding in the "rotate half" form (LLaMA, GPT-NeoX) over the heads of a
/// [batch, pos, head, d_head] query or key, in one pass: with h = rotaryDim / 2, each head row
/// x becomes x[i]·cos[i] + t[i]·sin[i] for i < rotaryDim, t = (−x[h ..< 2h], x[0 ..< h]), and
/// x[i] beyond rotaryDim — element for element what TransformerLens's
/// `x·cos + rotate_half(x)·sin` computes in five passes. The sines and cosines of position p
/// are rows p (`perBatchTables` false: [pos, rotaryDim]) or b·pos + p (true: [batch, pos,
/// rotaryDim], a padded batch) of `sin` / `cos`. Rows run on two threads above
/// `rowParallelThreshold` elements. `out` must not alias `x`.
public func rotateHalfForward(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, batch: Int, positions: Int,
                              heads: Int, dHead: Int, rotaryDim: Int, sin: UnsafePointer<Float>, cos: UnsafePointer<Float>,
                              perBatchTables: Bool) {
    let h = rotaryDim / 2
    let rows = batch * positions * heads
    let (px, po, ps, pc) = (SendablePointer(x), SendablePointer(out), SendablePointer(sin), SendablePointer(cos))
    forRows(rows, dHead) { range in
        for r in range {
            let p = (r / heads) % positions
            let slot = perBatchTables ? (r / (heads * positions)) * positions + p : p
            let (x, o) = (UnsafePointer(px.raw + r * dHead), po.raw + r * dHead)
            let (s, c) = (UnsafePointer(ps.raw + slot * rotaryDim), UnsafePointer(pc.raw + slot * rotaryDim))
            var i = 0
            if h % 8 == 0 {
                while i < h {
                    let (x1, x2) = (load8(x + i), load8(x + h + i))
                    store8(x1 * load8(c + i) + (-x2) * load8(s + i), o + i)
                    store8(x2 * load8(c + h + i) + x1 * load8(s + h + i), o + h + i)
                    i += 8
                }
            }
            while i < h {
                o[i] = x[i] * c[i] + (-x[h + i]) * s[i]
                o[h + i] = x[h + i] * c[h + i] + x[i] * s[h + i]
                i += 1
            }
            for j in rotaryDim..<dHead { o[j] = x[j] }
        }
    }
}
