import Foundation
import LensSIMD

// Element-wise kernels on contiguous rows. A step of 0 for an operand broadcasts its first
// element over the row, which covers "tensor op scalar" and the innermost broadcast dimension.

/// A binary element-wise operation.
public enum BinaryOp: Sendable {
    case add, subtract, multiply, divide, maximum, minimum, power
    /// Comparisons give 1 where the relation holds and 0 elsewhere (0 for NaN operands, except
    /// `notEqual`).
    case greater, greaterOrEqual, less, lessOrEqual, equal, notEqual
}

/// out[i] = a[i·aStep] ∘ b[i·bStep] for i < n, with steps 0 (broadcast) or 1. Above
/// `rowParallelThreshold` elements the two halves run on two threads (a residual-stream add of a
/// 404-token batch is 233 K elements, run once or twice per layer).
public func binary(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ aStep: Int, _ b: UnsafePointer<Float>, _ bStep: Int,
                   _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let parts = n >= rowParallelThreshold ? min(KernelThreads.count, 2) : 1
    if parts == 1 { return binarySerial(op, a, aStep, b, bStep, out, n) }
    let (pa, pb, po) = (SendablePointer(a), SendablePointer(b), SendablePointer(out))
    parallelFor(parts) { t in
        let r = splitRange(n, parts: parts, index: t, align: 8)
        binarySerial(op, pa.raw + r.lowerBound * aStep, aStep, pb.raw + r.lowerBound * bStep, bStep, po.raw + r.lowerBound, r.count)
    }
}

private func binarySerial(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ aStep: Int, _ b: UnsafePointer<Float>, _ bStep: Int,
                          _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    switch op {
    case .add: binaryRow(a, aStep, b, bStep, out, n, { $0 + $1 }, { $0 + $1 })
    case .subtract: binaryRow(a, aStep, b, bStep, out, n, { $0 - $1 }, { $0 - $1 })
    case .multiply: binaryRow(a, aStep, b, bStep, out, n, { $0 * $1 }, { $0 * $1 })
    case .divide: binaryRow(a, aStep, b, bStep, out, n, { $0 / $1 }, { $0 / $1 })
    case .maximum:
        binaryRow(a, aStep, b, bStep, out, n, { x, y in x.replacing(with: y, where: (y .> x) .| (y .!= y)) },
                  { x, y in (y > x || y.isNaN) ? y : x })
    case .minimum:
        binaryRow(a, aStep, b, bStep, out, n, { x, y in x.replacing(with: y, where: (y .< x) .| (y .!= y)) },
                  { x, y in (y < x || y.isNaN) ? y : x })
    case .power:
        for i in 0..<n { out[i] = Foundation.pow(a[i * aStep], b[i * bStep]) }
    case .greater: binaryRow(a, aStep, b, bStep, out, n, { x, y in Float8().replacing(with: 1, where: x .> y) }, { $0 > $1 ? 1 : 0 })
    case .greaterOrEqual:
        binaryRow(a, aStep, b, bStep, out, n, { x, y in Float8().replacing(with: 1, where: x .>= y) }, { $0 >= $1 ? 1 : 0 })
    case .less: binaryRow(a, aStep, b, bStep, out, n, { x, y in Float8().replacing(with: 1, where: x .< y) }, { $0 < $1 ? 1 : 0 })
    case .lessOrEqual:
        binaryRow(a, aStep, b, bStep, out, n, { x, y in Float8().replacing(with: 1, where: x .<= y) }, { $0 <= $1 ? 1 : 0 })
    case .equal: binaryRow(a, aStep, b, bStep, out, n, { x, y in Float8().replacing(with: 1, where: x .== y) }, { $0 == $1 ? 1 : 0 })
    case .notEqual:
        binaryRow(a, aStep, b, bStep, out, n, { x, y in Float8().replacing(with: 1, where: x .!= y) }, { $0 != $1 ? 1 : 0 })
    }
}

@inline(__always)
private func binaryRow(_ a: UnsafePointer<Float>, _ aStep: Int, _ b: UnsafePointer<Float>, _ bStep: Int,
                       _ out: UnsafeMutablePointer<Float>, _ n: Int,
                       _ vector: (Float8, Float8) -> Float8, _ scalar: (Float, Float) -> Float) {
    var i = 0
    switch (aStep, bStep) {
    case (1, 1):
        while i + 8 <= n { store8(vector(load8(a + i), load8(b + i)), out + i); i += 8 }
        while i < n { out[i] = scalar(a[i], b[i]); i += 1 }
    case (1, 0):
        let bv = Float8(repeating: b[0])
        while i + 8 <= n { store8(vector(load8(a + i), bv), out + i); i += 8 }
        while i < n { out[i] = scalar(a[i], b[0]); i += 1 }
    case (0, 1):
        let av = Float8(repeating: a[0])
        while i + 8 <= n { store8(vector(av, load8(b + i)), out + i); i += 8 }
        while i < n { out[i] = scalar(a[0], b[i]); i += 1 }
    default:
        while i < n { out[i] = scalar(a[i * aStep], b[i * bStep]); i += 1 }
    }
}

/// out = a + b (n elements).
@inline(__always)
public func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    binary(.add, a, 1, b, 1, out, n)
}

/// out = a + b with a mutable first operand (in-place accumulation `add(x, y, x, n)`).
@inline(__always)
public func add(_ a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    binary(.add, a, 1, b, 1, out, n)
}

/// y[i] += alpha · x[i].
public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let av = Float8(repeating: alpha)
    var i = 0
    while i + 8 <= n { store8(load8(y + i).addingProduct(av, load8(x + i)), y + i); i += 8 }
    while i < n { y[i] += alpha * x[i]; i += 1 }
}

/// out[i] = alpha · x[i] + beta.
public func affine(_ x: UnsafePointer<Float>, alpha: Float, beta: Float, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    let av = Float8(repeating: alpha), bv = Float8(repeating: beta)
    var i = 0
    while i + 8 <= n { store8(bv.addingProduct(av, load8(x + i)), out + i); i += 8 }
    while i < n { out[i] = alpha * x[i] + beta; i += 1 }
}

/// out[i] = f(x[i]); `out` may alias `x`.
public func unary(_ op: UnaryOp, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    switch op {
    case .negate: mapRow(x, out, n) { -$0 }
    case .abs: mapRow(x, out, n) { v in v.replacing(with: -v, where: v .< 0) }
    case .square: mapRow(x, out, n) { $0 * $0 }
    case .reciprocal: mapRow(x, out, n) { 1 / $0 }
    case .exp: mapRow(x, out, n) { exp8($0) }
    case .tanh: mapRow(x, out, n) { tanh8($0) }
    case .sigmoid: mapRow(x, out, n) { sigmoid8($0) }
    case .sqrt: for i in 0..<n { out[i] = x[i].squareRoot() }
    case .log: for i in 0..<n { out[i] = Foundation.log(x[i]) }
    case .sin: for i in 0..<n { out[i] = Foundation.sin(x[i]) }
    case .cos: for i in 0..<n { out[i] = Foundation.cos(x[i]) }
    case .sign: for i in 0..<n { let v = x[i]; out[i] = v > 0 ? 1 : (v < 0 ? -1 : (v.isNaN ? v : 0)) }
    case .floor: for i in 0..<n { out[i] = x[i].rounded(.down) }
    case .ceil: for i in 0..<n { out[i] = x[i].rounded(.up) }
    case .round: for i in 0..<n { out[i] = x[i].rounded(.toNearestOrEven) }
    }
}

/// out[i] = min(max(x[i], lo), hi); NaN stays NaN.
public func clamp(_ x: UnsafePointer<Float>, lo: Float, hi: Float, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n {
        let v = x[i]
        out[i] = v < lo ? lo : (v > hi ? hi : v)
    }
}

// MARK: - Strided (broadcasting) binary operation

/// out[idx] = a[Σ idx·aStrides] ∘ b[Σ idx·bStrides] over every index of `shape`, `out`
/// contiguous. A stride of 0 broadcasts an operand along that axis.
public func binaryStrided(_ op: BinaryOp, _ a: UnsafePointer<Float>, aStrides: [Int],
                          _ b: UnsafePointer<Float>, bStrides: [Int], shape: [Int], _ out: UnsafeMutablePointer<Float>) {
    let outStrides = contiguousStrides(shape)
    let dims = coalesce(shape: shape, strides: [aStrides, bStrides, outStrides])
    let rank = dims.shape.count
    if rank == 0 {
        binary(op, a, 0, b, 0, out, 1)
        return
    }
    let n = dims.shape[rank - 1]
    let aStep = dims.strides[0][rank - 1], bStep = dims.strides[1][rank - 1]
    forEachRow(dims) { offsets in
        let ao = offsets[0], bo = offsets[1], oo = offsets[2]
        if (aStep == 0 || aStep == 1) && (bStep == 0 || bStep == 1) {
            binary(op, a + ao, aStep, b + bo, bStep, out + oo, n)
        } else {
            for i in 0..<n {
                binary(op, a + ao + i * aStep, 0, b + bo + i * bStep, 0, out + oo + i, 1)
            }
        }
    }
}
