import LensKernels
import Testing

/// Weights kept in their GGUF block format: for every format, products of every row count
/// (each few-row kernel and the packed path) against the dequantised matrix in double precision,
/// the weights the products decode bit for bit equal to ``BlockFormat/dequantize``, and the
/// matrix's own dequantisation (rows, transposed, reordered rows).
///
/// Blocks are random bytes — every bit pattern is a valid block — except the binary16 scales,
/// kept finite and moderate so that products are finite (the gguf-py fixtures in
/// LensFormatsTests cover NaN and infinite scales).
@Suite struct QuantizedMatrixTests {
    /// Byte offsets of the binary16 scale fields of one block.
    static func scaleOffsets(_ format: BlockFormat) -> [Int] {
        switch format {
        case .F32, .F16, .BF16: []
        case .Q8_0, .Q4_0, .Q5_0: [0]
        case .Q4_1, .Q5_1, .Q4_K, .Q5_K: [0, 2]
        case .Q2_K: [80, 82]
        case .Q3_K: [108]
        case .Q6_K: [208]
        }
    }

    /// `n` random rows of `k` elements in `format`.
    static func randomBlocks(_ format: BlockFormat, n: Int, k: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 7
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 16
        }
        /// A finite binary16 of magnitude in [2⁻⁶, 2⁻²), either sign.
        func scale() -> UInt16 { UInt16(next() & 0x8000) | UInt16(9 + next() % 4) << 10 | UInt16(next() & 0x3FF) }
        var bytes = (0..<(n * format.rowByteCount(k))).map { _ in UInt8(truncatingIfNeeded: next()) }
        func put(_ value: UInt16, at offset: Int) {
            bytes[offset] = UInt8(value & 0xFF)
            bytes[offset + 1] = UInt8(value >> 8)
        }
        switch format {
        case .F32:
            for i in 0..<(n * k) {
                let v = (Float(next() % 2_000_001) / 1_000_000 - 1).bitPattern
                for b in 0..<4 { bytes[4 * i + b] = UInt8(truncatingIfNeeded: v >> (8 * b)) }
            }
        case .F16:
            for i in 0..<(n * k) { put(UInt16(next() & 0x8000) | UInt16(8 + next() % 8) << 10 | UInt16(next() & 0x3FF), at: 2 * i) }
        case .BF16:
            for i in 0..<(n * k) { put(UInt16(next() & 0x8000) | UInt16(120 + next() % 8) << 7 | UInt16(next() & 0x7F), at: 2 * i) }
        default:
            for block in 0..<(bytes.count / format.bytesPerBlock) {
                for offset in scaleOffsets(format) { put(scale(), at: block * format.bytesPerBlock + offset) }
            }
        }
        return bytes
    }

    static func matrix(_ format: BlockFormat, n: Int, k: Int, seed: UInt64) -> QuantizedMatrix {
        let bytes = randomBlocks(format, n: n, k: k, seed: seed)
        return bytes.withUnsafeBytes { QuantizedMatrix(format: format, n: n, k: k, bytes: $0.baseAddress!) }
    }

    static func dequantized(_ w: QuantizedMatrix) -> [Float] {
        var values = [Float](repeating: .nan, count: w.n * w.k)
        values.withUnsafeMutableBufferPointer { w.dequantize(into: $0.baseAddress!) }
        return values
    }

    /// k values valid for a format: whole blocks, crossing the 256-wide k-blocks of the packed
    /// GEMM, and (plain formats) not multiples of 32.
    static func depths(_ format: BlockFormat) -> [Int] {
        switch format.blockSize {
        case 1: [1, 37, 300]
        case 32: [32, 96, 544]
        default: [256, 768]
        }
    }

    /// C = alpha · X · Wᵀ + beta · C through `sgemm(quantized:)` at 1 and 2 threads, against the
    /// dequantised W in double precision, with row strides wider than the rows.
    static func checkProduct(_ w: QuantizedMatrix, m: Int, alpha: Float, beta: Float, seed: UInt64) {
        let (n, k) = (w.n, w.k)
        let lda = k + 3, ldc = n + 5
        let x = Reference.random(m * lda, seed: seed)
        let c0 = Reference.random(m * ldc, seed: seed + 1)
        let weights = dequantized(w)
        var expected = c0, bound = [Double](repeating: 0, count: m * ldc)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let term = Double(x[i * lda + p]) * Double(weights[j * k + p])
                    s += term
                    magnitude += abs(term)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c0[i * ldc + j])
                expected[i * ldc + j] = Float(Double(alpha) * s + old)
                bound[i * ldc + j] = abs(Double(alpha)) * magnitude + abs(old)
            }
        }
        for threads in [1, 2] {
            // beta = 0 must not read C: start from NaN.
            var c = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : c0
            KernelThreads.with(threads) {
                x.withUnsafeBufferPointer { px in
                    c.withUnsafeMutableBufferPointer { pc in
                        sgemm(m: m, alpha: alpha, a: px.baseAddress!, lda: lda, quantized: w, beta: beta, c: pc.baseAddress!,
                              ldc: ldc, threads: threads)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    let e = abs(Double(c[i * ldc + j]) - Double(expected[i * ldc + j])) / max(bound[i * ldc + j], 1e-30)
                    worst = max(worst, e.isNaN ? .infinity : e)
                }
                for j in n..<ldc where beta == 0 {
                    #expect(c[i * ldc + j].isNaN, "wrote outside C's rows")
                }
            }
            #expect(worst <= 1e-5, "\(w.format) m=\(m) n=\(n) k=\(k) threads=\(threads): relative error \(worst)")
        }
    }

    @Test(arguments: BlockFormat.allCases)
    func fewRowProductsMatchTheDequantisedMatrix(_ format: BlockFormat) {
        let depths = Self.depths(format)
        for (index, (n, k)) in [(5, depths[0]), (70, depths[1]), (300, depths.last!)].enumerated() {
            let w = Self.matrix(format, n: n, k: k, seed: UInt64(17 + index))
            for m in [1, 2, 3, 4, 5, 8] {
                Self.checkProduct(w, m: m, alpha: m % 2 == 0 ? 1 : 0.5, beta: m == 3 ? 0.25 : 0, seed: UInt64(m))
            }
        }
    }

    @Test(arguments: BlockFormat.allCases)
    func manyRowProductsMatchTheDequantisedMatrix(_ format: BlockFormat) {
        let depths = Self.depths(format)
        for (index, (n, k)) in [(17, depths[0]), (70, depths.last!)].enumerated() {
            let w = Self.matrix(format, n: n, k: k, seed: UInt64(29 + index))
            for m in [9, 37, 128] {
                Self.checkProduct(w, m: m, alpha: m == 37 ? 0.5 : 1, beta: m == 9 ? 0 : 1, seed: UInt64(m))
            }
        }
    }

    /// With one-hot rows of X, C holds single weights exactly (every other product is 0), so
    /// both product paths must reproduce the dequantised weights exactly (a −0 weight may come
    /// out +0: the sum starts from +0).
    @Test(arguments: BlockFormat.allCases)
    func productsDecodeExactlyTheDequantisedWeights(_ format: BlockFormat) {
        let k = Self.depths(format)[1], n = 21
        let w = Self.matrix(format, n: n, k: k, seed: 5)
        let weights = Self.dequantized(w)
        for rows in [1, 8, k] where rows <= k {
            // Row i of X is the unit vector e_{p(i)}, p spread over k.
            let positions = (0..<rows).map { rows == k ? $0 : ($0 * 37 + 11) % k }
            var x = [Float](repeating: 0, count: rows * k)
            for (i, p) in positions.enumerated() { x[i * k + p] = 1 }
            var c = [Float](repeating: .nan, count: rows * n)
            x.withUnsafeBufferPointer { px in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(m: rows, a: px.baseAddress!, lda: k, quantized: w, c: pc.baseAddress!, ldc: n, threads: 2)
                }
            }
            var mismatches = 0
            for (i, p) in positions.enumerated() {
                for j in 0..<n where c[i * n + j] != weights[j * k + p] { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(format) rows=\(rows): \(mismatches) weights differ from dequantize")
        }
    }

    @Test(arguments: BlockFormat.allCases)
    func dequantizesRowsTransposedAndReordered(_ format: BlockFormat) {
        let k = Self.depths(format)[1], n = 19
        let bytes = Self.randomBlocks(format, n: n, k: k, seed: 3)
        let rowBytes = format.rowByteCount(k)
        let w = bytes.withUnsafeBytes { QuantizedMatrix(format: format, n: n, k: k, bytes: $0.baseAddress!) }
        #expect(w.byteCount == n * rowBytes && rowBytes == k / format.blockSize * format.bytesPerBlock)
        w.withUnsafeBytes { #expect(Array($0) == bytes) }

        // The whole matrix equals BlockFormat.dequantize of the same bytes.
        var direct = [Float](repeating: 0, count: n * k)
        bytes.withUnsafeBytes { raw in
            direct.withUnsafeMutableBufferPointer { format.dequantize(raw.baseAddress!, count: n * k, into: $0.baseAddress!) }
        }
        let all = Self.dequantized(w)
        #expect(all.map(\.bitPattern) == direct.map(\.bitPattern))

        // Transposed [k, n].
        var transposed = [Float](repeating: .nan, count: k * n)
        transposed.withUnsafeMutableBufferPointer { w.dequantizeTransposed(into: $0.baseAddress!) }
        #expect((0..<(k * n)).allSatisfy { transposed[$0].bitPattern == all[($0 % n) * k + $0 / n].bitPattern })

        // A few rows, into a wider stride.
        var some = [Float](repeating: .nan, count: 3 * (k + 2))
        some.withUnsafeMutableBufferPointer { w.dequantize(rows: 4..<7, into: $0.baseAddress!, ld: k + 2) }
        #expect((0..<3).allSatisfy { r in (0..<k).allSatisfy { some[r * (k + 2) + $0].bitPattern == all[(4 + r) * k + $0].bitPattern } })

        // Rows taken in another order: row i of the new matrix is row order[i] of the bytes.
        let order = (0..<n).map { ($0 * 7 + 3) % n }
        let reordered = bytes.withUnsafeBytes { raw in
            QuantizedMatrix(format: format, n: n, k: k) { raw.baseAddress! + order[$0] * rowBytes }
        }
        let back = Self.dequantized(reordered)
        #expect((0..<n).allSatisfy { i in (0..<k).allSatisfy { back[i * k + $0].bitPattern == all[order[i] * k + $0].bitPattern } })
    }

    @Test func blockGeometry() {
        #expect(BlockFormat.Q4_1.rowByteCount(576) == 18 * 20)
        #expect(BlockFormat.Q8_0.rowByteCount(576) == 612)
        #expect(BlockFormat.Q6_K.rowByteCount(512) == 420)
        #expect(BlockFormat.F16.rowByteCount(7) == 14)
        #expect(BlockFormat.allCases.map(\.description) == ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                                                            "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"])
    }
}
