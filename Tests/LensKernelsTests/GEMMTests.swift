import LensKernels
import Testing

/// Every GEMM path (packed 6×16 and 4×16 tiles, edges, GEMV, two threads, batches) against a
/// double-precision triple loop, on ragged shapes and all four transpose combinations.
@Suite struct GEMMTests {
    static let ragged = [1, 5, 6, 7, 15, 16, 17, 33]

    /// Runs sgemm and the reference on one case; returns the max relative error.
    func check(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
               padding: Int = 0, threads: Int? = nil, seed: UInt64 = 1) -> Float {
        let lda = (transA ? m : k) + padding, ldb = (transB ? k : n) + padding, ldc = n + padding
        let a = Reference.random((transA ? k : m) * lda, seed: seed)
        let b = Reference.random((transB ? n : k) * ldb, seed: seed + 1)
        var c = Reference.random(m * ldc, seed: seed + 2)
        if beta == 0 { c = c.map { _ in .nan } }  // beta 0 must not read C
        let expected = Reference.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                      b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                          b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc, threads: threads)
                }
            }
        }
        // Only the m×n window counts; padding columns must be untouched.
        var got: [Float] = [], want: [Float] = []
        for i in 0..<m {
            got += c[(i * ldc)..<(i * ldc + ldc)]
            want += expected[(i * ldc)..<(i * ldc + ldc)]
        }
        if beta == 0 {
            // The padding of C held NaN and must still hold it; compare the window only.
            got = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
            want = (0..<m).flatMap { i in expected[(i * ldc)..<(i * ldc + n)] }
        }
        return Reference.maxRelativeError(got, want)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func raggedShapesAllTransposes(transA: Bool, transB: Bool) {
        var worst: Float = 0
        for m in Self.ragged {
            for n in Self.ragged {
                for k in Self.ragged {
                    worst = max(worst, check(transA: transA, transB: transB, m: m, n: n, k: k, seed: UInt64(m * 10000 + n * 100 + k)))
                }
            }
        }
        #expect(worst < 1e-5, "max relative error \(worst)")
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func crossesEveryBlockingBoundary(transA: Bool, transB: Bool) {
        // k > kc (256), m > mc (144) with a remainder of each panel kind, n > nc (3072).
        for (m, n, k) in [(151, 40, 300), (149, 33, 257), (146, 17, 513), (7, 3090, 20), (32, 48, 64)] {
            let err = check(transA: transA, transB: transB, m: m, n: n, k: k)
            #expect(err < 1e-5, "m=\(m) n=\(n) k=\(k): max relative error \(err)")
        }
    }

    @Test func alphaBetaAndLeadingDimensions() {
        for (alpha, beta) in [(Float(1), Float(1)), (2, 0.5), (-1, 0), (0.5, -2)] {
            for (tA, tB) in [(false, false), (true, true), (true, false)] {
                for (m, n, k) in [(1, 19, 7), (3, 40, 9), (13, 21, 31), (66, 70, 5)] {
                    let err = check(transA: tA, transB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta, padding: 3)
                    #expect(err < 1e-5, "alpha \(alpha) beta \(beta) m=\(m) n=\(n) k=\(k): \(err)")
                }
            }
        }
    }

    @Test func gemvPathForFewRows() {
        for m in 1...4 {
            for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
                for (n, k) in [(1, 1), (7, 3), (64, 5), (97, 130), (300, 64)] {
                    let err = check(transA: tA, transB: tB, m: m, n: n, k: k, beta: 0.25)
                    #expect(err < 1e-5, "m=\(m) n=\(n) k=\(k) tA=\(tA) tB=\(tB): \(err)")
                }
            }
        }
    }

    @Test func twoThreadsMatchOneThreadExactly() {
        // Above the parallel threshold, on both the column and the row split.
        for (m, n, k) in [(128, 256, 64), (300, 20, 400), (2, 4096, 300)] {
            let a = Reference.random(m * k, seed: 7), b = Reference.random(k * n, seed: 8)
            var one = [Float](repeating: 0, count: m * n), two = one
            sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &one, ldc: n, threads: 1)
            sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &two, ldc: n, threads: 2)
            #expect(one == two, "m=\(m) n=\(n) k=\(k)")
            let err = check(transA: false, transB: false, m: m, n: n, k: k, threads: 2)
            #expect(err < 1e-5)
        }
    }

    @Test func columnGroupsReadPerHeadWeightsInPlace() {
        // W [heads, k, g] read as the [k, heads·g] matrix: group sizes that are and are not
        // multiples of the 16-column panel, few rows (GEMV path) and many.
        for (heads, k, g) in [(3, 20, 16), (4, 9, 5), (2, 33, 24), (12, 64, 64)] {
            for m in [1, 3, 7, 50] {
                let n = heads * g
                let w = Reference.random(heads * k * g, seed: UInt64(heads * 100 + g)), a = Reference.random(m * k, seed: 9)
                var dense = [Float](repeating: 0, count: k * n)
                for h in 0..<heads { for p in 0..<k { for j in 0..<g { dense[p * n + h * g + j] = w[(h * k + p) * g + j] } } }
                var c = [Float](repeating: .nan, count: m * n)
                sgemm(m: m, n: n, k: k, a: a, lda: k, b: w, ldb: g, c: &c, ldc: n, columnGroups: (g, k * g))
                let want = Reference.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: dense, ldb: n,
                                          beta: 0, c: [Float](repeating: 0, count: m * n), ldc: n)
                #expect(Reference.maxRelativeError(c, want) < 1e-5, "heads \(heads) k \(k) g \(g) m \(m)")
                // Transposed: C2 [m, k] = A2 [m, n] · denseᵀ, reading the grouped W as Bᵀ.
                let a2 = Reference.random(m * n, seed: 10)
                var c2 = [Float](repeating: .nan, count: m * k)
                sgemm(transB: true, m: m, n: k, k: n, a: a2, lda: n, b: w, ldb: g, c: &c2, ldc: k, columnGroups: (g, k * g))
                var denseT = [Float](repeating: 0, count: n * k)
                for p in 0..<k { for j in 0..<n { denseT[j * k + p] = dense[p * n + j] } }
                let want2 = Reference.gemm(transA: false, transB: false, m: m, n: k, k: n, alpha: 1, a: a2, lda: n, b: denseT, ldb: k,
                                           beta: 0, c: [Float](repeating: 0, count: m * k), ldc: k)
                #expect(Reference.maxRelativeError(c2, want2) < 1e-5, "transposed: heads \(heads) k \(k) g \(g) m \(m)")
            }
        }
    }

    @Test func zeroSizedDimensions() {
        var c: [Float] = [3, 3, 3, 3]
        let a: [Float] = [1, 2], b: [Float] = [1, 2]
        // k = 0: C = beta·C.
        sgemm(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0.5, c: &c, ldc: 2)
        #expect(c == [1.5, 1.5, 1.5, 1.5])
        sgemm(m: 0, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        #expect(c == [1.5, 1.5, 1.5, 1.5])
    }

    @Test func batchedWithSharedOperand() {
        let batch = 5, m = 9, n = 13, k = 17
        for (tA, tB) in [(false, false), (false, true), (true, false)] {
            for sharedB in [false, true] {
                let a = Reference.random(batch * m * k, seed: 11)
                let b = Reference.random((sharedB ? 1 : batch) * k * n, seed: 12)
                var c = [Float](repeating: 0, count: batch * m * n)
                let lda = tA ? m : k, ldb = tB ? k : n
                sgemmBatched(batch: batch, transA: tA, transB: tB, m: m, n: n, k: k, a: a, lda: lda, strideA: m * k,
                             b: b, ldb: ldb, strideB: sharedB ? 0 : k * n, c: &c, ldc: n, strideC: m * n)
                for i in 0..<batch {
                    let ai = Array(a[(i * m * k)..<((i + 1) * m * k)])
                    let bi = sharedB ? b : Array(b[(i * k * n)..<((i + 1) * k * n)])
                    let want = Reference.gemm(transA: tA, transB: tB, m: m, n: n, k: k, alpha: 1, a: ai, lda: lda, b: bi,
                                              ldb: ldb, beta: 0, c: [Float](repeating: 0, count: m * n), ldc: n)
                    let err = Reference.maxRelativeError(Array(c[(i * m * n)..<((i + 1) * m * n)]), want)
                    #expect(err < 1e-5, "item \(i) tA=\(tA) tB=\(tB) shared=\(sharedB): \(err)")
                }
            }
        }
    }
}
