// SIMD8<Float> building blocks shared by every kernel family.
//
// Everything here is `@inlinable @inline(__always)`: debug builds compile one file at a time and
// never inline across files of a module, but they do inline `@inlinable` code imported from
// another module. Keeping these helpers in their own module therefore lets each kernel file of
// `LensKernels` run at full speed in a debug `swift test` (measured: a SIMD exp called across
// files ran at 0.86 ns/element, inlined at 0.58).
//
// Clamping uses `replacing(with:where:)` with `.<`/`.>` masks, never `clamped`/`pointwiseMin`,
// which are out-of-line calls on Linux (6x slower exp).

/// Eight `Float` lanes: one AVX2 register on x86_64, two NEON registers on arm64.
public typealias Float8 = SIMD8<Float>

/// Loads 8 consecutive floats from `p` (no alignment required).
@inlinable @inline(__always)
public func load8(_ p: UnsafePointer<Float>) -> Float8 {
    UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
}

/// Loads 8 consecutive floats from `p` (no alignment required).
@inlinable @inline(__always)
public func load8(_ p: UnsafeMutablePointer<Float>) -> Float8 {
    UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
}

/// Stores 8 floats at `p` (no alignment required).
@inlinable @inline(__always)
public func store8(_ v: Float8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self)
}

/// Sum of the 8 lanes (pairwise, so the rounding matches a tree reduction).
@inlinable @inline(__always)
public func horizontalSum(_ v: Float8) -> Float {
    let h = v.lowHalf + v.highHalf
    let q = h.lowHalf + h.highHalf
    return q[0] + q[1]
}

/// Largest of the 8 lanes (NaN lanes are ignored unless all are NaN).
@inlinable @inline(__always)
public func horizontalMax(_ v: Float8) -> Float {
    var m = v[0]
    for i in 1..<8 where v[i] > m { m = v[i] }
    return m
}

/// Lane-wise maximum without the out-of-line `pointwiseMax` call.
@inlinable @inline(__always)
public func max8(_ a: Float8, _ b: Float8) -> Float8 {
    a.replacing(with: b, where: b .> a)
}

/// Lane-wise minimum without the out-of-line `pointwiseMin` call.
@inlinable @inline(__always)
public func min8(_ a: Float8, _ b: Float8) -> Float8 {
    a.replacing(with: b, where: b .< a)
}

/// The range of `exp` on floats: below `expLowerLimit` e^x is under the smallest normal float
/// (the result is flushed to 0), above `expUpperLimit` it overflows.
public let expLowerLimit: Float = -87.33654, expUpperLimit: Float = 88.72283

/// Cephes `expf` core for x already clamped to the float range: x = n·ln 2 + r with
/// n = round(x / ln 2), e^r by a degree-7 polynomial. Returns e^r and n (as integer lanes).
@inlinable @inline(__always)
func expReduced(_ x: Float8) -> (mantissa: Float8, exponent: SIMD8<Int32>) {
    // The 1.5·2^23 shifter rounds x/ln 2 to an integer that then sits in the low mantissa bits.
    let shifter = Float8(repeating: 12582912.0)
    let shifted = shifter.addingProduct(x, Float8(repeating: 1.44269504088896341))
    let n = shifted - shifter
    var r = x.addingProduct(n, Float8(repeating: -0.693359375))
    r = r.addingProduct(n, Float8(repeating: 2.12194440e-4))
    var p = Float8(repeating: 1.3981999507e-3).addingProduct(Float8(repeating: 1.9875691500e-4), r)
    p = Float8(repeating: 8.3334519073e-3).addingProduct(p, r)
    p = Float8(repeating: 4.1665795894e-2).addingProduct(p, r)
    p = Float8(repeating: 1.6666665459e-1).addingProduct(p, r)
    p = Float8(repeating: 5.0000001201e-1).addingProduct(p, r)
    let y = (r + 1).addingProduct(p, r * r)
    let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: SIMD8<Int32>.self)
    return (y, ni)
}

/// 2^n from exponent bits, for n in [−126, 127].
@inlinable @inline(__always)
func exp2Integer(_ n: SIMD8<Int32>) -> Float8 {
    unsafeBitCast((n &+ 127) &<< 23, to: Float8.self)
}

/// e^x on 8 lanes: Cephes `expf` polynomial after reduction by ln 2, max relative error about
/// 1.2e-7 (float precision) over [-87, 88]. Exact 0 below −87.34 (so `exp(−inf) == 0`, as a
/// masked softmax needs), +inf above 88.72, NaN propagates.
@inlinable @inline(__always)
public func exp8(_ x: Float8) -> Float8 {
    var xc = x.replacing(with: expUpperLimit, where: x .> expUpperLimit)
    xc = xc.replacing(with: expLowerLimit, where: xc .< expLowerLimit)
    let (y, n) = expReduced(xc)
    // n reaches 128 near the top of the range: build 2^n in two halves.
    let half = n &>> 1
    var result = y * exp2Integer(half) * exp2Integer(n &- half)
    result = result.replacing(with: 0, where: x .< expLowerLimit)
    return result.replacing(with: .infinity, where: x .> expUpperLimit)
}

/// e^x for x ≤ 0 on 8 lanes — what softmax, log-sum-exp and cross-entropy need after
/// subtracting the row maximum. The same polynomial as `exp8` without the upper clamp and with
/// a single exponent construction (n ≥ −126 keeps 2^n normal): softmax went from 1.04 to 0.66
/// ns/element. Exact 0 below −87.34 (so −inf gives 0); NaN propagates. Positive x gives wrong
/// results.
@inlinable @inline(__always)
public func expNonPositive8(_ x: Float8) -> Float8 {
    let (y, n) = expReduced(x.replacing(with: expLowerLimit, where: x .< expLowerLimit))
    return (y * exp2Integer(n)).replacing(with: 0, where: x .< expLowerLimit)
}

/// tanh on 8 lanes as `1 - 2 / (e^{2x} + 1)`; absolute error below 2e-7.
@inlinable @inline(__always)
public func tanh8(_ x: Float8) -> Float8 {
    let e = exp8(x + x)
    return 1 - 2 / (e + 1)
}

/// Logistic sigmoid `1 / (1 + e^{-x})` on 8 lanes.
@inlinable @inline(__always)
public func sigmoid8(_ x: Float8) -> Float8 {
    1 / (1 + exp8(-x))
}

/// erf on 8 lanes: Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7.
@inlinable @inline(__always)
public func erf8(_ x: Float8) -> Float8 {
    let negative = x .< 0
    let ax = x.replacing(with: -x, where: negative)
    let t = 1 / Float8(repeating: 1).addingProduct(ax, 0.3275911)
    var p = Float8(repeating: 1.061405429)
    p = Float8(repeating: -1.453152027).addingProduct(p, t)
    p = Float8(repeating: 1.421413741).addingProduct(p, t)
    p = Float8(repeating: -0.284496736).addingProduct(p, t)
    p = Float8(repeating: 0.254829592).addingProduct(p, t)
    p = p * t
    let y = 1 - p * exp8(-(ax * ax))
    return y.replacing(with: -y, where: negative)
}
