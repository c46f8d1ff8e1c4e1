import LensKernels
import Testing

/// The packed form a model keeps its weights in: products of every row count (1–4 rows take the
/// panel GEMV) against a double-precision reference, column groups, k across k-blocks, and
/// unpacking back to the exact source layout.
@Suite struct PackedMatrixTests {
    /// On one and two threads. From 149 rows on, one thread computes several row blocks (with 4-
    /// and 6-row panel remainders) whose A is packed once into a slot per (k-block, row block)
    /// and read by every later 384-column block of C, the last one too narrow to pack A for.
    @Test(arguments: [1, 2, 3, 4, 5, 7, 33, 149, 301])
    func productsMatchTheReference(m: Int) {
        for (n, k) in [(17, 5), (40, 300), (3090, 20), (64, 513), (3 * 384 + 40, 600)] {
            let a = Reference.random(m * k, seed: UInt64(m * 7 + n))
            let b = Reference.random(k * n, seed: UInt64(k))
            let c0 = Reference.random(m * n, seed: 3)
            let expected = Reference.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 0.5, a: a, lda: k, b: b, ldb: n,
                                          beta: 1, c: c0, ldc: n)
            let packed = b.withUnsafeBufferPointer { PackedMatrix(b: $0.baseAddress!, ldb: n, k: k, n: n) }
            for threads in [1, 2] {
                var c = c0
                a.withUnsafeBufferPointer { pa in
                    c.withUnsafeMutableBufferPointer { pc in
                        KernelThreads.with(threads) {
                            sgemm(m: m, alpha: 0.5, a: pa.baseAddress!, lda: k, packed: packed, beta: 1, c: pc.baseAddress!, ldc: n,
                                  threads: threads)
                        }
                    }
                }
                #expect(Reference.maxRelativeError(c, expected) < 1e-5, "m=\(m) n=\(n) k=\(k) threads=\(threads)")
            }
        }
    }

    /// Products big enough to be split across threads — tall ones by rows, wide ones (an
    /// unembedding) by column blocks taken as threads free up — give exactly the one-thread
    /// result, and the reference's.
    @Test func threadSplitsGiveTheOneThreadResult() {
        for (m, k, n) in [(404, 64, 40), (200, 33, 4 * 3072 + 5)] {
            let a = Reference.random(m * k, seed: UInt64(m)), b = Reference.random(k * n, seed: UInt64(n))
            let packed = b.withUnsafeBufferPointer { PackedMatrix(b: $0.baseAddress!, ldb: n, k: k, n: n) }
            func product(threads: Int) -> [Float] {
                var c = [Float](repeating: .nan, count: m * n)
                a.withUnsafeBufferPointer { pa in
                    c.withUnsafeMutableBufferPointer { pc in
                        KernelThreads.with(threads) {
                            sgemm(m: m, a: pa.baseAddress!, lda: k, packed: packed, c: pc.baseAddress!, ldc: n, threads: threads)
                        }
                    }
                }
                return c
            }
            let split = product(threads: 2)
            #expect(split == product(threads: 1), "\(m)×\(k)×\(n)")
            let expected = Reference.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                                          beta: 0, c: [Float](repeating: 0, count: m * n), ldc: n)
            #expect(Reference.maxRelativeError(split, expected) < 1e-5, "\(m)×\(k)×\(n)")
        }
    }

    @Test func unpackRestoresTheSourceLayoutExactly() {
        // Plain [k, n], and [head, d, d_head] read as [d, head·d_head] in column groups.
        let (k, n) = (300, 37)
        let plain = Reference.random(k * n, seed: 9)
        let packed = plain.withUnsafeBufferPointer { PackedMatrix(b: $0.baseAddress!, ldb: n, k: k, n: n) }
        var back = [Float](repeating: .nan, count: k * n)
        back.withUnsafeMutableBufferPointer { packed.unpack(into: $0.baseAddress!) }
        #expect(back == plain)

        let (heads, d, dh) = (3, 270, 12)
        let perHead = Reference.random(heads * d * dh, seed: 10)
        let grouped = perHead.withUnsafeBufferPointer {
            PackedMatrix(b: $0.baseAddress!, ldb: dh, k: d, n: heads * dh, columnGroups: (dh, d * dh))
        }
        var restored = [Float](repeating: .nan, count: perHead.count)
        restored.withUnsafeMutableBufferPointer { grouped.unpack(into: $0.baseAddress!) }
        #expect(restored == perHead)
        // And the grouped product reads each head's block as its columns.
        let x = Reference.random(2 * d, seed: 11)
        var y = [Float](repeating: 0, count: 2 * heads * dh)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                sgemm(m: 2, a: px.baseAddress!, lda: d, packed: grouped, c: py.baseAddress!, ldc: heads * dh)
            }
        }
        for row in 0..<2 {
            for h in 0..<heads {
                for j in 0..<dh {
                    let want = (0..<d).reduce(0.0) { $0 + Double(x[row * d + $1]) * Double(perHead[h * d * dh + $1 * dh + j]) }
                    #expect(abs(Double(y[row * heads * dh + h * dh + j]) - want) < 1e-4)
                }
            }
        }
    }
}
