import LensSIMD

// Reductions over contiguous floats. Swift never reassociates a scalar `sum += x[i]` loop, so it
// does not vectorise; these use four independent SIMD8 accumulators instead (32 lanes in flight
// hide the 3–4 cycle add latency).

/// Σ x[i] for i < n.
public func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var a0 = Float8(), a1 = Float8(), a2 = Float8(), a3 = Float8()
    var i = 0
    while i + 32 <= n {
        a0 += load8(x + i); a1 += load8(x + i + 8); a2 += load8(x + i + 16); a3 += load8(x + i + 24)
        i += 32
    }
    while i + 8 <= n { a0 += load8(x + i); i += 8 }
    var s = horizontalSum((a0 + a1) + (a2 + a3))
    while i < n { s += x[i]; i += 1 }
    return s
}

/// Σ x[i]·y[i] for i < n.
public func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var a0 = Float8(), a1 = Float8(), a2 = Float8(), a3 = Float8()
    var i = 0
    while i + 32 <= n {
        a0 = a0.addingProduct(load8(x + i), load8(y + i))
        a1 = a1.addingProduct(load8(x + i + 8), load8(y + i + 8))
        a2 = a2.addingProduct(load8(x + i + 16), load8(y + i + 16))
        a3 = a3.addingProduct(load8(x + i + 24), load8(y + i + 24))
        i += 32
    }
    while i + 8 <= n { a0 = a0.addingProduct(load8(x + i), load8(y + i)); i += 8 }
    var s = horizontalSum((a0 + a1) + (a2 + a3))
    while i < n { s += x[i] * y[i]; i += 1 }
    return s
}

/// dot for a mutable `x` (avoids a conversion at call sites that hold mutable pointers).
@inline(__always)
public func dot(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    dot(UnsafePointer(x), UnsafePointer(y), n)
}

/// max x[i] for i < n (−inf for n = 0; NaN if any element is NaN).
public func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m0 = Float8(repeating: -.infinity), m1 = m0
    var sawNaN = Float8()
    var i = 0
    while i + 16 <= n {
        let v0 = load8(x + i), v1 = load8(x + i + 8)
        m0 = max8(m0, v0); m1 = max8(m1, v1)
        sawNaN = sawNaN.replacing(with: 1, where: (v0 .!= v0) .| (v1 .!= v1))
        i += 16
    }
    var m = horizontalMax(max8(m0, m1))
    if horizontalMax(sawNaN) > 0 { return .nan }
    while i < n {
        let v = x[i]
        if v.isNaN { return .nan }
        if v > m { m = v }
        i += 1
    }
    return m
}

/// Index of the first largest element of x[0..<n] (NaN counts as largest, as in PyTorch).
public func argmax(_ x: UnsafePointer<Float>, _ n: Int) -> Int { argExtreme(x, n, largest: true) }

/// Index of the first smallest element of x[0..<n] (NaN counts as smallest).
public func argmin(_ x: UnsafePointer<Float>, _ n: Int) -> Int { argExtreme(x, n, largest: false) }

@inline(__always)
private func argExtreme(_ x: UnsafePointer<Float>, _ n: Int, largest: Bool) -> Int {
    guard n > 0 else { return 0 }
    var best = 0
    var value = x[0]
    if value.isNaN { return 0 }
    for i in 1..<n {
        let v = x[i]
        if v.isNaN { return i }
        if largest ? v > value : v < value { value = v; best = i }
    }
    return best
}

/// The kind of reduction along one axis.
public enum AxisReduction: Sendable {
    case sum, max, min
}

/// Reduces the middle axis of a `[outer, n, inner]` array into `[outer, inner]`.
///
/// For `.max` / `.min`, `indices` (if given, `[outer, inner]`) receives the position along the
/// axis of the first extreme value, which the backward pass routes the gradient to.
public func reduceAxis(_ kind: AxisReduction, _ x: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
                       _ out: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int>? = nil) {
    for o in 0..<outer {
        let src = x + o * n * inner
        let dst = out + o * inner
        if inner == 1 {
            switch kind {
            case .sum: dst[0] = sum(src, n)
            case .max:
                let i = argmax(src, n)
                dst[0] = n > 0 ? src[i] : -.infinity
                indices?[o] = i
            case .min:
                let i = argmin(src, n)
                dst[0] = n > 0 ? src[i] : .infinity
                indices?[o] = i
            }
            continue
        }
        switch kind {
        case .sum:
            dst.update(repeating: 0, count: inner)
            for j in 0..<n { add(dst, src + j * inner, dst, inner) }
        case .max, .min:
            let isMax = kind == .max
            let idx = indices.map { $0 + o * inner }
            if n == 0 {
                dst.update(repeating: isMax ? -.infinity : .infinity, count: inner)
                continue
            }
            dst.update(from: src, count: inner)
            idx?.update(repeating: 0, count: inner)
            for j in 1..<n {
                let row = src + j * inner
                for i in 0..<inner {
                    let v = row[i], cur = dst[i]
                    if cur.isNaN { continue }
                    if v.isNaN || (isMax ? v > cur : v < cur) {
                        dst[i] = v
                        idx?[i] = j
                    }
                }
            }
        }
    }
}
