// Double-precision vector kernels for SwiftLens's `DoubleMatrix` decompositions (Jacobi SVD and
// eigendecomposition, Householder QR, PCA Gram matrices). They are O(n³) loops over short
// vectors; kept in this module, which is compiled optimised in every configuration, they run
// ~50× faster in a debug build than the same loops written in SwiftLens. Vectors are strided:
// element i of x is x[i·incX].

/// Σ x[i·incX]·y[i·incY] for i < n.
public func ddot(_ n: Int, _ x: UnsafePointer<Double>, _ incX: Int, _ y: UnsafePointer<Double>, _ incY: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var i = 0
    if incX == 1 && incY == 1 {
        while i + 4 <= n {
            s0 += x[i] * y[i]; s1 += x[i + 1] * y[i + 1]; s2 += x[i + 2] * y[i + 2]; s3 += x[i + 3] * y[i + 3]
            i += 4
        }
        while i < n { s0 += x[i] * y[i]; i += 1 }
    } else {
        while i < n { s0 += x[i * incX] * y[i * incY]; i += 1 }
    }
    return (s0 + s1) + (s2 + s3)
}

/// y[i·incY] += alpha·x[i·incX] for i < n.
public func daxpy(_ n: Int, _ alpha: Double, _ x: UnsafePointer<Double>, _ incX: Int, _ y: UnsafeMutablePointer<Double>, _ incY: Int) {
    if incX == 1 && incY == 1 {
        for i in 0..<n { y[i] += alpha * x[i] }
    } else {
        for i in 0..<n { y[i * incY] += alpha * x[i * incX] }
    }
}

/// The plane rotation (x, y) ← (c·x − s·y, s·x + c·y), elementwise over n strided pairs.
public func drotate(_ n: Int, _ x: UnsafeMutablePointer<Double>, _ incX: Int, _ y: UnsafeMutablePointer<Double>, _ incY: Int,
                    c: Double, s: Double) {
    for i in 0..<n {
        let (a, b) = (x[i * incX], y[i * incY])
        x[i * incX] = c * a - s * b
        y[i * incY] = s * a + c * b
    }
}

/// C = A·B for row-major A [m, k] (row stride lda), B [k, n] (ldb) and C [m, n] (ldc), which is
/// overwritten.
public func dgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                  c: UnsafeMutablePointer<Double>, ldc: Int) {
    for i in 0..<m {
        let row = c + i * ldc
        row.update(repeating: 0, count: n)
        for l in 0..<k {
            let x = a[i * lda + l]
            if x == 0 { continue }
            let bRow = b + l * ldb
            for j in 0..<n { row[j] += x * bRow[j] }
        }
    }
}

/// A small Householder-like update on two or three strided vectors x0, x1, (x2), as in the
/// double-shift QR step of `hqr`: for i < n, t = u0·x0[i] + u1·x1[i] (+ u2·x2[i]), then
/// x0[i] −= t·w0, x1[i] −= t·w1 (, x2[i] −= t·w2).
public func dreflect(_ n: Int, _ x0: UnsafeMutablePointer<Double>, _ x1: UnsafeMutablePointer<Double>, _ x2: UnsafeMutablePointer<Double>?,
                     stride: Int, u: (Double, Double, Double), w: (Double, Double, Double)) {
    if let x2 {
        for i in 0..<n {
            let o = i * stride
            let t = u.0 * x0[o] + u.1 * x1[o] + u.2 * x2[o]
            x2[o] -= t * w.2
            x1[o] -= t * w.1
            x0[o] -= t * w.0
        }
    } else {
        for i in 0..<n {
            let o = i * stride
            let t = u.0 * x0[o] + u.1 * x1[o]
            x1[o] -= t * w.1
            x0[o] -= t * w.0
        }
    }
}
