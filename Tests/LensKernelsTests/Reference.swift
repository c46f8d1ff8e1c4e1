import Foundation

/// Naive double-precision references and small helpers shared by the kernel tests.
enum Reference {
    /// Deterministic pseudo-random floats in [-scale, scale).
    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    /// C = alpha·op(A)·op(B) + beta·C in double, row-major with leading dimensions.
    static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                     b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                out[i * ldc + j] = Float(Double(alpha) * s + old)
            }
        }
        return out
    }

    /// Largest |a − b| / (1 + |b|) over the arrays.
    static func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        var worst: Float = 0
        for (x, y) in zip(a, b) {
            if x == y { continue }
            if x.isNaN || y.isNaN { return .infinity }
            worst = max(worst, abs(x - y) / (1 + abs(y)))
        }
        return worst
    }

    /// Central finite difference of a scalar double function along each coordinate of x.
    static func numericalGradient(_ x: [Double], h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
        (0..<x.count).map { i in
            var up = x, down = x
            up[i] += h
            down[i] -= h
            return (f(up) - f(down)) / (2 * h)
        }
    }
}
