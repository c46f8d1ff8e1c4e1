import LensSIMD

/// A matrix B (k×n, row-major, optionally in column groups) copied once into the panels the
/// GEMM micro-kernel reads: a weight used many times. Packing B costs one pass over it per
/// call, ~10% of a 128-row product, so a weight kept in this form skips that pass; and since
/// this copy is self-sufficient (1–4-row products read the panels too, and ``unpack(into:)``
/// restores the original layout), a model can keep its weights in this form *only*, at the
/// memory of one copy.
///
/// Layout: k-blocks of `kcBlock` rows; within a block of kc rows, column panels of 16 columns
/// (the last zero-padded), each panel kc rows × 16 floats, row-major. Element (p, j) of a block
/// starting at row p0 is at `p0·paddedColumns + (j / 16)·16·kc + (p − p0)·16 + j % 16`.
public final class PackedMatrix: @unchecked Sendable {
    public let k: Int, n: Int
    /// The source layout, kept so that ``unpack(into:)`` writes it back exactly.
    let ldb: Int
    let groups: (size: Int, stride: Int)?
    private let storage: UnsafeMutablePointer<Float>
    /// The slab `storage` is carved from (see ``WeightMemory``).
    private let memory: WeightMemory
    private let paddedColumns: Int

    /// Packs B (`k`×`n`, row stride `ldb`, optionally in column groups — see
    /// `sgemm(columnGroups:)`). B is only read here; nothing refers to it afterwards.
    ///
    /// With `transposed`, `b` holds Bᵀ: `n` rows of `k` (row stride `ldb`) — the layout of a
    /// `nn.Linear` weight or of a tied unembedding read from the embedding — packed without a
    /// transposed copy; ``unpack(into:)`` then writes B itself, k×n row-major.
    public init(b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int, columnGroups: (size: Int, stride: Int)? = nil,
                transposed: Bool = false) {
        precondition(!transposed || columnGroups == nil, "PackedMatrix: column groups of a transposed source are not supported")
        self.k = k
        self.n = n
        self.ldb = transposed ? n : ldb
        self.groups = columnGroups
        paddedColumns = roundUp(n, nr)
        let (raw, memory) = WeightMemory.allocate(byteCount: k * paddedColumns * 4)
        self.memory = memory
        storage = raw.bindMemory(to: Float.self, capacity: max(1, k * paddedColumns))
        let o = Operands(transA: false, transB: transposed, k: k, alpha: 1, a: SendablePointer(storage), lda: 0,
                         b: SendablePointer(UnsafeMutablePointer(mutating: b)), ldb: ldb, beta: 0,
                         c: SendablePointer(storage), ldc: 0, groupSize: columnGroups?.size ?? 0,
                         groupStride: columnGroups?.stride ?? 0)
        var p0 = 0
        while p0 < k {
            let kc = min(kcBlock, k - p0)
            packB(o, panels(k0: p0), p0: p0, kc: kc, j0: 0, nc: n)
            p0 += kc
        }
    }


    /// The panels of the k-block starting at row `k0` (a multiple of kc): kc·16 floats per panel.
    func panels(k0: Int) -> UnsafeMutablePointer<Float> { storage + k0 * paddedColumns }

    /// Bytes held by the packed copy.
    public var byteCount: Int { k * paddedColumns * 4 }

    /// Writes B back in the layout it was packed from (row stride and column groups as given
    /// to the initializer): `destination` must hold that layout's extent.
    public func unpack(into destination: UnsafeMutablePointer<Float>) {
        var p0 = 0
        while p0 < k {
            let kc = min(kcBlock, k - p0)
            let block = panels(k0: p0)
            for j in 0..<n {
                let column = groups.map { (j / $0.size) * $0.stride + j % $0.size } ?? j
                var source = block + (j / nr) * nr * kc + j % nr
                var target = destination + p0 * ldb + column
                for _ in 0..<kc {
                    target.pointee = source.pointee
                    source += nr
                    target += ldb
                }
            }
            p0 += kc
        }
    }

    /// The operands of a product with this matrix as B (B is read from the panels only).
    func operands(a: UnsafePointer<Float>, lda: Int, alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>,
                  ldc: Int) -> Operands {
        Operands(transA: false, transB: false, k: k, alpha: alpha, a: SendablePointer(UnsafeMutablePointer(mutating: a)),
                 lda: lda, b: SendablePointer(storage), ldb: paddedColumns, beta: beta, c: SendablePointer(c), ldc: ldc,
                 groupSize: 0, groupStride: 0)
    }

    /// C[rows, cols] = alpha · A · B + beta · C for one to four rows of A, reading B's panels
    /// once (a matrix-vector product is bound by reading B, so each panel row serves every
    /// row of A). `cols` must start at a multiple of 16.
    func smallProduct(rows m: Int, a: UnsafePointer<Float>, lda: Int, alpha: Float, beta: Float,
                      c: UnsafeMutablePointer<Float>, ldc: Int, cols: Range<Int>) {
        precondition(m >= 1 && m <= 4 && cols.lowerBound % nr == 0, "smallProduct: 1–4 rows and panel-aligned columns")
        // Rows past m alias row 0: four accumulator pairs whatever m is, extra results dropped.
        let a1 = a + (m > 1 ? lda : 0), a2 = a + (m > 2 ? 2 * lda : 0), a3 = a + (m > 3 ? 3 * lda : 0)
        var j0 = cols.lowerBound
        if m == 1 {
            // One row (a decoded token): two panels at a time, four independent accumulator
            // chains reading two streams of B — more loads in flight, which is what a product
            // bound by reading B from memory needs.
            while j0 + nr < cols.upperBound {
                let zero = Float8(repeating: 0)
                var (l0, h0, l1, h1) = (zero, zero, zero, zero)
                var p0 = 0
                while p0 < k {
                    let kc = min(kcBlock, k - p0)
                    var first = UnsafePointer(panels(k0: p0) + (j0 / nr) * nr * kc)
                    var second = first + nr * kc
                    for p in p0..<(p0 + kc) {
                        let x = Float8(repeating: a[p])
                        l0 = l0.addingProduct(x, load8(first))
                        h0 = h0.addingProduct(x, load8(first + 8))
                        l1 = l1.addingProduct(x, load8(second))
                        h1 = h1.addingProduct(x, load8(second + 8))
                        first += nr
                        second += nr
                    }
                    p0 += kc
                }
                let width = min(2 * nr, cols.upperBound - j0)
                let row = c + j0
                for j in 0..<width {
                    let sum: Float = j < 8 ? l0[j] : j < 16 ? h0[j - 8] : j < 24 ? l1[j - 16] : h1[j - 24]
                    let value = alpha * sum
                    row[j] = beta == 0 ? value : value + beta * row[j]
                }
                j0 += 2 * nr
            }
        }
        while j0 < cols.upperBound {
            let zero = Float8(repeating: 0)
            var (l0, h0, l1, h1, l2, h2, l3, h3) = (zero, zero, zero, zero, zero, zero, zero, zero)
            var p0 = 0
            while p0 < k {
                let kc = min(kcBlock, k - p0)
                var panel = UnsafePointer(panels(k0: p0) + (j0 / nr) * nr * kc)
                if m == 1 {
                    for p in p0..<(p0 + kc) {
                        let x0 = Float8(repeating: a[p])
                        l0 = l0.addingProduct(x0, load8(panel))
                        h0 = h0.addingProduct(x0, load8(panel + 8))
                        panel += nr
                    }
                } else {
                    for p in p0..<(p0 + kc) {
                        let lo = load8(panel), hi = load8(panel + 8)
                        let x0 = Float8(repeating: a[p]), x1 = Float8(repeating: a1[p])
                        let x2 = Float8(repeating: a2[p]), x3 = Float8(repeating: a3[p])
                        l0 = l0.addingProduct(x0, lo); h0 = h0.addingProduct(x0, hi)
                        l1 = l1.addingProduct(x1, lo); h1 = h1.addingProduct(x1, hi)
                        l2 = l2.addingProduct(x2, lo); h2 = h2.addingProduct(x2, hi)
                        l3 = l3.addingProduct(x3, lo); h3 = h3.addingProduct(x3, hi)
                        panel += nr
                    }
                }
                p0 += kc
            }
            let width = min(nr, cols.upperBound - j0)
            let results = [(l0, h0), (l1, h1), (l2, h2), (l3, h3)]
            for r in 0..<m {
                let row = c + r * ldc + j0
                let (lo, hi) = results[r]
                for j in 0..<width {
                    let value = alpha * (j < 8 ? lo[j] : hi[j - 8])
                    row[j] = beta == 0 ? value : value + beta * row[j]
                }
            }
            j0 += nr
        }
    }
}

/// `C = alpha · A · B + beta · C` with B packed beforehand (see ``PackedMatrix``).
public func sgemm(m: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, packed b: PackedMatrix,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int? = nil) {
    let (n, k) = (b.n, b.k)
    if m <= 0 || n <= 0 { return }
    if k <= 0 || alpha == 0 {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
        }
        return
    }
    // One to four rows are bound by reading B, not by arithmetic: they are split across the
    // workers once B is large enough to outweigh a dispatch (~128 KB), where the flop count
    // alone would keep a token's 576×1536 product on one core (half the memory bandwidth).
    let parallel = m <= 4 ? k * n >= 1 << 15 : 2 * m * n * k >= gemmParallelThreshold
    let workers = parallel ? min(threads ?? KernelThreads.count, 2) : 1
    if m <= 4 {
        let split = workers > 1 && n >= 64 ? workers : 1
        let (sa, sc) = (SendablePointer(UnsafeMutablePointer(mutating: a)), SendablePointer(c))
        parallelFor(split) { t in
            let cols = splitRange(n, parts: split, index: t, align: nr)
            guard !cols.isEmpty else { return }
            b.smallProduct(rows: m, a: sa.raw, lda: lda, alpha: alpha, beta: beta, c: sc.raw, ldc: ldc, cols: cols)
        }
        return
    }
    let o = b.operands(a: a, lda: lda, alpha: alpha, beta: beta, c: c, ldc: ldc)
    packedParallel(o, m: m, n: n, workers: workers, prepacked: b)
}
