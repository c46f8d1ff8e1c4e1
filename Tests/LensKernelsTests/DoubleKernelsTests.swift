import LensKernels
import Testing

/// The Double kernels behind SwiftLens's `DoubleMatrix` decompositions against plain loops, with
/// unit and non-unit strides and lengths around the 4-way unrolling.
@Suite struct DoubleKernelsTests {
    static func values(_ n: Int, seed: Int) -> [Double] { (0..<n).map { Double(($0 * 37 + seed * 11) % 23) / 7 - 1.5 } }

    @Test(arguments: [0, 1, 3, 4, 5, 9, 64])
    func vectorKernels(n: Int) {
        for (incX, incY) in [(1, 1), (3, 2)] {
            let x = Self.values(n * incX, seed: 1), y = Self.values(n * incY, seed: 2)
            let want = (0..<n).reduce(0.0) { $0 + x[$1 * incX] * y[$1 * incY] }
            #expect(abs(ddot(n, x, incX, y, incY) - want) < 1e-12, "ddot n \(n) strides \(incX), \(incY)")

            var z = y
            daxpy(n, -0.75, x, incX, &z, incY)
            #expect((0..<(n * incY)).allSatisfy { i in z[i] == (i % incY == 0 ? y[i] - 0.75 * x[i / incY * incX] : y[i]) })

            var (a, b) = (x, y)
            let (c, s) = (0.6, 0.8)
            drotate(n, &a, incX, &b, incY, c: c, s: s)
            for i in 0..<n {
                #expect(abs(a[i * incX] - (c * x[i * incX] - s * y[i * incY])) < 1e-15)
                #expect(abs(b[i * incY] - (s * x[i * incX] + c * y[i * incY])) < 1e-15)
            }
        }
    }

    @Test func gemmAndReflect() {
        let (m, n, k) = (5, 7, 3)
        let a = Self.values(m * k, seed: 3), b = Self.values(k * n, seed: 4)
        var c = [Double](repeating: 99, count: m * n)
        dgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
        for i in 0..<m { for j in 0..<n {
            #expect(abs(c[i * n + j] - (0..<k).reduce(0.0) { $0 + a[i * k + $1] * b[$1 * n + j] }) < 1e-12)
        } }

        // Three rows of a 3 × 4 matrix (stride 1) and two columns of it (stride 4).
        let original = Self.values(12, seed: 5)
        var rows = original
        rows.withUnsafeMutableBufferPointer { p in
            dreflect(4, p.baseAddress!, p.baseAddress! + 4, p.baseAddress! + 8, stride: 1, u: (1, 0.5, -2), w: (0.3, 0.2, 0.1))
        }
        for j in 0..<4 {
            let t = original[j] + 0.5 * original[4 + j] - 2 * original[8 + j]
            #expect(abs(rows[j] - (original[j] - 0.3 * t)) < 1e-14 && abs(rows[8 + j] - (original[8 + j] - 0.1 * t)) < 1e-14)
        }
        var columns = original
        columns.withUnsafeMutableBufferPointer { p in
            dreflect(3, p.baseAddress!, p.baseAddress! + 1, nil, stride: 4, u: (2, 1, 0), w: (1, -1, 0))
        }
        for i in 0..<3 {
            let t = 2 * original[i * 4] + original[i * 4 + 1]
            #expect(abs(columns[i * 4] - (original[i * 4] - t)) < 1e-14 && abs(columns[i * 4 + 1] - (original[i * 4 + 1] + t)) < 1e-14)
            #expect(columns[i * 4 + 2] == original[i * 4 + 2])
        }
    }
}
