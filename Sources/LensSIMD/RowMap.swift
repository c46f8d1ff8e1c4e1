// Element-wise maps over contiguous rows, 8 lanes at a time. The tail goes through the same
// vector closure (padded), so every element gets identical rounding wherever it sits.
// `@inlinable` so the closure is inlined into each kernel even in debug builds.

/// out[i] = f(x[i]) for i < n; `out` may alias `x`.
@inlinable @inline(__always)
public func mapRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                   _ f: (Float8) -> Float8) {
    var i = 0
    while i + 8 <= n { store8(f(load8(x + i)), out + i); i += 8 }
    if i < n {
        var tail = Float8()
        for j in 0..<(n - i) { tail[j] = x[i + j] }
        let r = f(tail)
        for j in 0..<(n - i) { out[i + j] = r[j] }
    }
}

/// out[i] = f(a[i], b[i]) for i < n; `out` may alias either input.
@inlinable @inline(__always)
public func mapRows(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                    _ n: Int, _ f: (Float8, Float8) -> Float8) {
    var i = 0
    while i + 8 <= n { store8(f(load8(a + i), load8(b + i)), out + i); i += 8 }
    if i < n {
        var ta = Float8(), tb = Float8()
        for j in 0..<(n - i) { ta[j] = a[i + j]; tb[j] = b[i + j] }
        let r = f(ta, tb)
        for j in 0..<(n - i) { out[i + j] = r[j] }
    }
}
