import Foundation
import LensSIMD

// Single-precision matrix multiplication, row-major, BLAS-style:
//
//     C = alpha · op(A) · op(B) + beta · C        op(A): m×k, op(B): k×n, C: m×n
//
// One packed micro-kernel serves every transpose (the transposes live in the packing routines),
// so the forward `X·W`, and the backward `dY·Wᵀ` and `Xᵀ·dY` all run at full speed.
//
// Design (after Goto & van de Geijn 2008, "Anatomy of High-Performance Matrix Multiplication",
// and BLIS; measured on a 2-core Zen 3 against numpy/OpenBLAS, README.md § Performance):
// - a 6×16 register tile of 12 `SIMD8` accumulators updated with explicit FMA (`addingProduct`;
//   Swift never contracts `a*b+c`), B streamed in 16-wide panels, A in 6-row panels;
// - cache blocking kc = 256 (a 6×256 A panel and a 256×16 B panel fit in L1), mc = 144 rows of A
//   per L2 block, nc = 3072 columns of B per L3 block (384 when B is prepacked, so that the block
//   of C stays in L2 across the k-blocks; A is then packed once per call);
// - M ≤ 4 takes a GEMV path: packing costs more than the arithmetic when A has a row or two;
// - two threads split the columns, each packing its own panels, with one fork per call, and only
//   above `parallelThreshold` flops; a prepacked B (a model's weight) is split into row parts
//   instead, and a wide B (an unembedding) into column blocks, twice or more as many parts as
//   threads, taken by whichever thread is free: a worker that wakes late then costs one part
//   rather than leaving the caller waiting for half the product (on a sweep of SmolLM2's 270
//   heads the caller's wait fell from 7.4 s to 2.2 s).

let mr = 6, nr = 16
let kcBlock = 256, mcBlock = 144, ncBlock = 3072

/// Columns of C per block when B is prepacked. Packing B is what makes a wide block pay; with B
/// already packed, a narrow block keeps its part of C (rows × 384 floats, 300 KB for 200 rows)
/// in L2 across the k-blocks instead of re-reading it from memory for each: the unembedding of
/// 200 rows (200×576×49152) ran at 84 GFLOP/s on one thread with 3072 columns, 99 with 384.
let prepackedColumnBlock = 384

/// Below this many flops (2·m·n·k) a call stays on one thread: the fork/join and the second
/// packing cost more than they save.
public let gemmParallelThreshold = 1 << 21

/// `C = alpha · op(A) · op(B) + beta · C` for row-major matrices.
///
/// - Parameters:
///   - transA: `false`: A is stored m×k with row stride `lda`; `true`: A is stored k×m.
///   - transB: `false`: B is stored k×n with row stride `ldb`; `true`: B is stored n×k.
///   - beta: when 0, C is not read (it may hold garbage or NaN).
///   - threads: upper bound on worker threads; `nil` means `KernelThreads.count`.
///   - columnGroups: the stored B's columns come in groups of `size` whose starts are `stride`
///     floats apart: column c is at `(c / size)·stride + c % size` within a row. This reads
///     TransformerLens's `W_Q` [head, d_model, d_head] as the [d_model, head·d_head] matrix
///     (size d_head, stride d_model·d_head, ldb d_head) without copying it — as B, or, with
///     `transB`, as Bᵀ (the backward pass).
public func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int? = nil,
                  columnGroups: (size: Int, stride: Int)? = nil) {
    precondition(columnGroups == nil || columnGroups!.size > 0, "columnGroups needs a positive group size")
    if m <= 0 || n <= 0 { return }
    if k <= 0 || alpha == 0 {
        scaleMatrix(c, rows: m, cols: n, ld: ldc, beta: beta)
        return
    }
    let flops = 2 * m * n * k
    let workers = flops >= gemmParallelThreshold ? min(threads ?? KernelThreads.count, 2) : 1
    let operands = Operands(transA: transA, transB: transB, k: k, alpha: alpha, a: SendablePointer(a), lda: lda,
                            b: SendablePointer(b), ldb: ldb, beta: beta, c: SendablePointer(c), ldc: ldc,
                            groupSize: columnGroups?.size ?? 0, groupStride: columnGroups?.stride ?? 0)
    if m <= 4 && !(transB && columnGroups != nil) {
        // GEMV-like: split columns between workers.
        let split = workers > 1 && n >= 64 ? workers : 1
        parallelFor(split) { t in
            let cols = splitRange(n, parts: split, index: t, align: 16)
            smallM(operands, rows: 0..<m, cols: cols)
        }
        return
    }
    packedParallel(operands, m: m, n: n, workers: workers, prepacked: nil)
}

/// Writes the B panels of one block — op(B)[p0 ..< p0+kc, j0 ..< j0+nc] in `packB`'s layout —
/// from a source other than `Operands.b`: a ``QuantizedMatrix`` decodes its blocks into them.
typealias PanelFiller = @Sendable (_ dst: UnsafeMutablePointer<Float>, _ p0: Int, _ kc: Int, _ j0: Int, _ nc: Int) -> Void

/// The fewest rows of A a row part of a prepacked product gets: below this, streaming all of B
/// once more per part costs more than the balance gains.
private let rowPartMinimum = 48

/// The packed path on `workers` threads: a wide B in column blocks and a tall product with a
/// prepacked B in row parts, both taken dynamically; otherwise columns split (each worker packing
/// its own panels) unless C is too narrow, then rows. B's panels come from `prepacked`, else
/// `fill`, else are packed from `o.b`.
func packedParallel(_ o: Operands, m: Int, n: Int, workers: Int, prepacked: PackedMatrix?, fill: PanelFiller? = nil) {
    if workers == 1 {
        packed(o, rows: 0..<m, cols: 0..<n, prepacked: prepacked, fill: fill)
    } else if n >= 4 * ncBlock {
        // Wide (the unembedding): one part per column block, claimed by whichever thread is
        // free, so a worker that starts late costs a block, not half the product. A is packed
        // once per column block anyway, so the finer split packs nothing twice.
        let parts = (n + ncBlock - 1) / ncBlock
        parallelFor(parts) { t in
            packed(o, rows: 0..<m, cols: splitRange(n, parts: parts, index: t, align: nr), prepacked: prepacked, fill: fill)
        }
    } else if prepacked != nil && m >= 2 * workers * rowPartMinimum {
        // Tall, with B already packed: row parts, twice as many as workers, claimed as threads
        // free up. Each part packs only its own rows of A (a column split packs all of A on
        // every worker) and reads the shared panels of B, which stay in cache between parts.
        let parts = 2 * workers
        parallelFor(parts) { t in
            packed(o, rows: splitRange(m, parts: parts, index: t, align: mr), cols: 0..<n, prepacked: prepacked, fill: fill)
        }
    } else if n >= 2 * nr * 2 {
        parallelFor(workers) { t in
            packed(o, rows: 0..<m, cols: splitRange(n, parts: workers, index: t, align: nr), prepacked: prepacked, fill: fill)
        }
    } else {
        parallelFor(workers) { t in
            packed(o, rows: splitRange(m, parts: workers, index: t, align: mr), cols: 0..<n, prepacked: prepacked, fill: fill)
        }
    }
}

/// A batch of independent products `C[i] = alpha · op(A[i]) · op(B[i]) + beta · C[i]`, with the
/// i-th matrices at `a + i·strideA`, `b + i·strideB`, `c + i·strideC`. A stride of 0 reuses one
/// operand for every item (broadcasting). Items are spread over threads; each item runs on one
/// thread, which suits attention's many small per-head products.
public func sgemmBatched(batch: Int, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                         alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, strideA: Int,
                         b: UnsafePointer<Float>, ldb: Int, strideB: Int,
                         beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int,
                         threads: Int? = nil) {
    sgemmBatched(count: batch, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads) { i in
        (i * strideA, i * strideB, i * strideC)
    }
}

/// A batch of independent products whose i-th operands start at `a + offsets(i).a`,
/// `b + offsets(i).b`, `c + offsets(i).c`: any layout, e.g. the heads of a `[batch, pos, head,
/// d_head]` activation read in place with `lda = heads · d_head`. Items must write disjoint
/// parts of C. Items are spread over threads, each item on one thread.
public func sgemmBatched(count: Int, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                         alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int? = nil,
                         offsets: @Sendable (Int) -> (a: Int, b: Int, c: Int)) {
    if count <= 0 || m <= 0 || n <= 0 { return }
    if count == 1 {
        let o = offsets(0)
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a + o.a, lda: lda, b: b + o.b, ldb: ldb,
              beta: beta, c: c + o.c, ldc: ldc, threads: threads)
        return
    }
    let flops = 2 * m * n * k * count
    let workers = flops >= gemmParallelThreshold ? min(threads ?? KernelThreads.count, 2, count) : 1
    let pa = SendablePointer(a), pb = SendablePointer(b), pc = SendablePointer(c)
    parallelFor(workers) { t in
        for i in splitRange(count, parts: workers, index: t) {
            let o = offsets(i)
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                  a: pa.raw + o.a, lda: lda, b: pb.raw + o.b, ldb: ldb,
                  beta: beta, c: pc.raw + o.c, ldc: ldc, threads: 1)
        }
    }
}

/// The arguments of one call, bundled so worker closures capture one `Sendable` value.
struct Operands: Sendable {
    let transA: Bool, transB: Bool, k: Int, alpha: Float
    let a: SendablePointer, lda: Int
    let b: SendablePointer, ldb: Int
    let beta: Float
    let c: SendablePointer, ldc: Int
    /// Column groups of B (0: none); see `sgemm(columnGroups:)`.
    let groupSize: Int, groupStride: Int

    /// Offset of B's column `j` within a row.
    @inline(__always) func bColumn(_ j: Int) -> Int {
        groupSize == 0 ? j : (j / groupSize) * groupStride + j % groupSize
    }

    /// Whether 16-column panels starting at multiples of 16 stay inside one column group.
    var panelsContiguous: Bool { groupSize == 0 || groupSize % 16 == 0 }

    /// op(A)[i, p]
    @inline(__always) func aPointer(_ i: Int, _ p: Int) -> UnsafeMutablePointer<Float> {
        transA ? a.raw + p * lda + i : a.raw + i * lda + p
    }
}

/// C = beta · C (C = 0 when beta is 0, whatever C held).
private func scaleMatrix(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, beta: Float) {
    for i in 0..<rows {
        let row = c + i * ld
        if beta == 0 {
            row.update(repeating: 0, count: cols)
        } else if beta != 1 {
            for j in 0..<cols { row[j] *= beta }
        }
    }
}

// MARK: - Packed path

/// The blocked algorithm over one rectangle of C. Packing buffers come from a pool so large
/// calls do not page-fault fresh allocations every time.
private func packed(_ o: Operands, rows: Range<Int>, cols: Range<Int>, prepacked: PackedMatrix? = nil,
                    fill: PanelFiller? = nil) {
    if rows.isEmpty || cols.isEmpty { return }
    let kc0 = min(kcBlock, o.k)
    let ncMax = min(ncBlock, roundUp(cols.count, nr))
    let mcMax = min(mcBlock, roundUp(rows.count, mr))
    let layout = APacking(rows: rows.count, k: o.k, kc: kc0, mc: mcMax,
                          once: prepacked != nil && cols.count > prepackedColumnBlock)
    let bCount = prepacked == nil ? kc0 * ncMax : 0, aCount = layout.floats
    // Small products pack into the stack: the pool's lock costs more than their arithmetic.
    if bCount + aCount <= smallPackingFloats {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: bCount + aCount) { scratch in
            let base = scratch.baseAddress!
            packedBlocks(o, rows: rows, cols: cols, prepacked: prepacked, fill: fill, bufferB: base, bufferA: base + bCount,
                         aPacking: layout)
        }
        return
    }
    let bufferB = ScratchPool.shared.take(max(bCount, 16))
    let bufferA = ScratchPool.shared.take(aCount)
    defer {
        ScratchPool.shared.give(bufferB)
        ScratchPool.shared.give(bufferA)
    }
    packedBlocks(o, rows: rows, cols: cols, prepacked: prepacked, fill: fill, bufferB: bufferB.pointer,
                 bufferA: bufferA.pointer, aPacking: layout)
}

/// Where the packed blocks of A go. Normally one (mc × kc) block is packed at a time and
/// repacked for every column block of C. With a prepacked B the column blocks are narrow
/// (`prepackedColumnBlock`), so A is packed `once`: every (k-block, row-block) pair into a slot
/// of its own, on the first column block, and read from there by the rest (on the unembedding,
/// ~3% faster than packing A 128 times).
private struct APacking {
    let once: Bool
    /// Row blocks of `mc` rows.
    let rowBlocks: Int
    /// Floats per slot: a block of up to mc rows padded by the `PanelPlan` (at most 2 more
    /// rows) times kc.
    let slot: Int
    let kc: Int
    /// Floats of the buffer.
    let floats: Int

    init(rows: Int, k: Int, kc: Int, mc: Int, once: Bool) {
        self.once = once
        self.kc = kc
        rowBlocks = (rows + mcBlock - 1) / mcBlock
        slot = (mc + 2) * kc
        floats = once ? rowBlocks * ((k + kc - 1) / kc) * slot : kc * mc
    }

    /// The packed block of rows `ic` (relative to the rectangle's first) and k-block `pc`.
    func block(_ buffer: UnsafeMutablePointer<Float>, ic: Int, pc: Int) -> UnsafeMutablePointer<Float> {
        once ? buffer + ((pc / kc) * rowBlocks + ic / mcBlock) * slot : buffer
    }
}

/// Up to this many columns of C per block, A is read in place rather than packed.
private let directAColumns = 128

/// Packing buffers up to this many floats (64 KB) go on the stack.
private let smallPackingFloats = 16 * 1024

/// The blocked loops of `packed` with its packing buffers.
private func packedBlocks(_ o: Operands, rows: Range<Int>, cols: Range<Int>, prepacked: PackedMatrix?, fill: PanelFiller?,
                          bufferB: UnsafeMutablePointer<Float>, bufferA aBuffer: UnsafeMutablePointer<Float>,
                          aPacking: APacking) {
    let columnBlock = prepacked == nil ? ncBlock : prepackedColumnBlock
    var jc = cols.lowerBound
    while jc < cols.upperBound {
        let nc = min(columnBlock, cols.upperBound - jc)
        var pc = 0
        while pc < o.k {
            let kc = min(kcBlock, o.k - pc)
            let beta = pc == 0 ? o.beta : 1
            // Prepacked panels of this k-block start at column jc of the full packed matrix.
            let panels = prepacked.map { $0.panels(k0: pc) + jc * kc } ?? bufferB
            if prepacked == nil {
                if let fill { fill(bufferB, pc, kc, jc, nc) } else { packB(o, bufferB, p0: pc, kc: kc, j0: jc, nc: nc) }
            }
            // With few column panels an A block is reused too little to repay packing it: the
            // micro-kernel then reads A in place (full row panels; edges are still packed).
            let directA = !aPacking.once && nc <= directAColumns
            var ic = rows.lowerBound
            while ic < rows.upperBound {
                let mc = min(mcBlock, rows.upperBound - ic)
                let bufferA = aPacking.block(aBuffer, ic: ic - rows.lowerBound, pc: pc)
                if !directA && (!aPacking.once || jc == cols.lowerBound) { packA(o, bufferA, i0: ic, mc: mc, p0: pc, kc: kc) }
                let plan = PanelPlan(rows: mc)
                var jr = 0
                while jr < nc {
                    let nTile = min(nr, nc - jr)
                    let bPanel = panels + jr * kc
                    for panel in 0..<plan.count {
                        let (start, height) = plan[panel]
                        let mTile = min(height, mc - start)
                        let cTile = o.c.raw + (ic + start) * o.ldc + jc + jr
                        if mTile == height && nTile == nr {
                            let (aPanel, rs, ps) = directA
                                ? (UnsafePointer(o.aPointer(ic + start, pc)), o.transA ? 1 : o.lda, o.transA ? o.lda : 1)
                                : (UnsafePointer(bufferA + start * kc), 1, height)
                            if height == 6 {
                                microKernel6(kc, aPanel, rowStride: rs, stepStride: ps, bPanel, cTile, o.ldc, o.alpha, beta)
                            } else {
                                microKernel4(kc, aPanel, rowStride: rs, stepStride: ps, bPanel, cTile, o.ldc, o.alpha, beta)
                            }
                        } else {
                            if directA { packA(o, bufferA + start * kc, i0: ic + start, mc: mTile, p0: pc, kc: kc) }
                            edgeKernel(kc, bufferA + start * kc, bPanel, cTile, o.ldc, o.alpha, beta, height, mTile, nTile)
                        }
                    }
                    jr += nr
                }
                ic += mc
            }
            pc += kc
        }
        jc += nc
    }
}

@inline(__always) func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }

/// How a block of rows is cut into A panels of height 6 or 4. Padding a remainder up to 6 rows
/// wastes up to 5/6 of a tile (a 32-row matrix ran at 87% of numpy); ending in 4-row tiles
/// instead wastes at most one row. A remainder of r rows after the 6-row panels:
/// 0 → none, 4 → one 4, 2 → the last 6 becomes 4 + 4, 1 → the last 6 becomes 4 + 3 (padded to 4),
/// 3 → one padded 4, 5 → one padded 6.
private struct PanelPlan {
    /// Six-row panels, then up to two four-row panels.
    private let sixes: Int
    private let fours: Int

    init(rows: Int) {
        var sixes = rows / 6
        var fours = 0
        switch rows % 6 {
        case 0: break
        case 1, 2: if sixes > 0 { sixes -= 1; fours = 2 } else { fours = 1 }
        case 3, 4: fours = 1
        default: sixes += 1
        }
        self.sixes = sixes
        self.fours = fours
    }

    var count: Int { sixes + fours }
    subscript(i: Int) -> (start: Int, height: Int) {
        i < sixes ? (6 * i, 6) : (6 * sixes + 4 * (i - sixes), 4)
    }
}

/// Packs op(A)[i0 ..< i0+mc, p0 ..< p0+kc] into panels of the `PanelPlan`: a panel of height h
/// starting at row s occupies h·kc floats at offset s·kc and holds, for each p, the h values
/// op(A)[i0+s ..< i0+s+h, p] contiguously. Rows past the end are zero.
private func packA(_ o: Operands, _ dst: UnsafeMutablePointer<Float>, i0: Int, mc: Int, p0: Int, kc: Int) {
    let plan = PanelPlan(rows: mc)
    for panel in 0..<plan.count {
        let (start, height) = plan[panel]
        let rowsHere = min(height, mc - start)
        let out = dst + start * kc
        if o.transA {
            // op(A)[i, p] = a[p·lda + i]: consecutive i are contiguous.
            var src = o.a.raw + p0 * o.lda + i0 + start
            var d = out
            if rowsHere == 6 {
                for _ in 0..<kc {
                    d[0] = src[0]; d[1] = src[1]; d[2] = src[2]; d[3] = src[3]; d[4] = src[4]; d[5] = src[5]
                    src += o.lda; d += 6
                }
            } else if rowsHere == 4 && height == 4 {
                for _ in 0..<kc {
                    d[0] = src[0]; d[1] = src[1]; d[2] = src[2]; d[3] = src[3]
                    src += o.lda; d += 4
                }
            } else {
                for _ in 0..<kc {
                    for r in 0..<height { d[r] = r < rowsHere ? src[r] : 0 }
                    src += o.lda; d += height
                }
            }
        } else if rowsHere == 6 {
            let s0 = o.a.raw + (i0 + start) * o.lda + p0
            let s1 = s0 + o.lda, s2 = s1 + o.lda, s3 = s2 + o.lda, s4 = s3 + o.lda, s5 = s4 + o.lda
            var d = out
            for p in 0..<kc {
                d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p]
                d += 6
            }
        } else if rowsHere == 4 && height == 4 {
            let s0 = o.a.raw + (i0 + start) * o.lda + p0
            let s1 = s0 + o.lda, s2 = s1 + o.lda, s3 = s2 + o.lda
            var d = out
            for p in 0..<kc {
                d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]
                d += 4
            }
        } else {
            for r in 0..<height {
                if r < rowsHere {
                    let src = o.a.raw + (i0 + start + r) * o.lda + p0
                    for p in 0..<kc { out[p * height + r] = src[p] }
                } else {
                    for p in 0..<kc { out[p * height + r] = 0 }
                }
            }
        }
    }
}

/// Packs op(B)[p0 ..< p0+kc, j0 ..< j0+nc] into 16-column panels: panel c holds, for each p,
/// the 16 values op(B)[p, j0+16c ..< j0+16c+16] contiguously. Missing columns are zero.
func packB(_ o: Operands, _ dst: UnsafeMutablePointer<Float>, p0: Int, kc: Int, j0: Int, nc: Int) {
    var panel = 0
    if !o.transB {
        // Row by row: each row of B is read contiguously (the weights of a model are streamed
        // from memory, where a row-wise read is what the prefetcher serves best) and its
        // 16-float pieces go to their panels. The full panels first; a ragged last panel below.
        let fullPanels = o.panelsContiguous ? nc / nr : 0
        if fullPanels > 0 {
            let rowStart = o.b.raw + p0 * o.ldb
            if o.groupSize == 0 {
                var src = rowStart + j0
                for p in 0..<kc {
                    var d = dst + p * nr
                    var s = src
                    for _ in 0..<fullPanels {
                        store8(load8(s), d)
                        store8(load8(s + 8), d + 8)
                        s += nr
                        d += nr * kc
                    }
                    src += o.ldb
                }
            } else {
                for p in 0..<kc {
                    let row = rowStart + p * o.ldb
                    var d = dst + p * nr
                    for c in 0..<fullPanels {
                        let s = row + o.bColumn(j0 + c * nr)
                        store8(load8(s), d)
                        store8(load8(s + 8), d + 8)
                        d += nr * kc
                    }
                }
            }
            panel = fullPanels * nr
        }
    }
    while panel < nc {
        let colsHere = min(nr, nc - panel)
        let out = dst + panel * kc
        if !o.transB {
            var row = o.b.raw + p0 * o.ldb
            var d = out
            for _ in 0..<kc {
                for j in 0..<nr { d[j] = j < colsHere ? row[o.bColumn(j0 + panel + j)] : 0 }
                row += o.ldb; d += nr
            }
        } else if colsHere == nr {
            // op(B)[p, j] = b[j·ldb + p]: the panel's 16 columns are 16 contiguous rows of b,
            // read side by side so that each packed row is written whole.
            // With column groups the stored columns are the k index: p goes through bColumn.
            let r0 = o.b.raw + (j0 + panel) * o.ldb
            let l = o.ldb
            var d = out
            for p in 0..<kc {
                let q = r0 + o.bColumn(p0 + p)
                store8(Float8(q[0], q[l], q[2 * l], q[3 * l], q[4 * l], q[5 * l], q[6 * l], q[7 * l]), d)
                store8(Float8(q[8 * l], q[9 * l], q[10 * l], q[11 * l], q[12 * l], q[13 * l], q[14 * l], q[15 * l]), d + 8)
                d += nr
            }
        } else {
            for j in 0..<nr {
                if j < colsHere {
                    let src = o.b.raw + (j0 + panel + j) * o.ldb
                    for p in 0..<kc { out[p * nr + j] = src[o.bColumn(p0 + p)] }
                } else {
                    for p in 0..<kc { out[p * nr + j] = 0 }
                }
            }
        }
        panel += nr
    }
}

/// The 6×16 register tile: C[0..<6, 0..<16] = alpha · Σ_p a[p] ⊗ b[p] + beta · C.
///
/// Row r of A at step p is `a[r·rowStride + p·stepStride]`: packed panels have (1, 6); an
/// unpacked row-major A has (lda, 1); an unpacked transposed A (1, lda).
@inline(__always)
private func microKernel6(_ kc: Int, _ a: UnsafePointer<Float>, rowStride rs: Int, stepStride ps: Int,
                         _ b: UnsafeMutablePointer<Float>,
                         _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float) {
    var c00 = Float8(), c01 = Float8(), c10 = Float8(), c11 = Float8()
    var c20 = Float8(), c21 = Float8(), c30 = Float8(), c31 = Float8()
    var c40 = Float8(), c41 = Float8(), c50 = Float8(), c51 = Float8()
    let r1 = rs, r2 = 2 * rs, r3 = 3 * rs, r4 = 4 * rs, r5 = 5 * rs
    var pa = a, pb = UnsafePointer(b)
    for _ in 0..<kc {
        let b0 = load8(pb), b1 = load8(pb + 8)
        var av = Float8(repeating: pa[0])
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = Float8(repeating: pa[r1])
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = Float8(repeating: pa[r2])
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = Float8(repeating: pa[r3])
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        av = Float8(repeating: pa[r4])
        c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
        av = Float8(repeating: pa[r5])
        c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
        pa += ps; pb += nr
    }
    let al = Float8(repeating: alpha)
    if beta == 0 {
        var r = c
        store8(c00 * al, r); store8(c01 * al, r + 8); r += ldc
        store8(c10 * al, r); store8(c11 * al, r + 8); r += ldc
        store8(c20 * al, r); store8(c21 * al, r + 8); r += ldc
        store8(c30 * al, r); store8(c31 * al, r + 8); r += ldc
        store8(c40 * al, r); store8(c41 * al, r + 8); r += ldc
        store8(c50 * al, r); store8(c51 * al, r + 8)
    } else {
        let be = Float8(repeating: beta)
        var r = c
        @inline(__always) func update(_ x0: Float8, _ x1: Float8, _ row: UnsafeMutablePointer<Float>) {
            store8((load8(row) * be).addingProduct(x0, al), row)
            store8((load8(row + 8) * be).addingProduct(x1, al), row + 8)
        }
        update(c00, c01, r); r += ldc
        update(c10, c11, r); r += ldc
        update(c20, c21, r); r += ldc
        update(c30, c31, r); r += ldc
        update(c40, c41, r); r += ldc
        update(c50, c51, r)
    }
}

/// The 4×16 tile (8 accumulators) that ends a block whose height is not a multiple of 6.
@inline(__always)
private func microKernel4(_ kc: Int, _ a: UnsafePointer<Float>, rowStride rs: Int, stepStride ps: Int,
                          _ b: UnsafeMutablePointer<Float>,
                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float) {
    var c00 = Float8(), c01 = Float8(), c10 = Float8(), c11 = Float8()
    var c20 = Float8(), c21 = Float8(), c30 = Float8(), c31 = Float8()
    let r1 = rs, r2 = 2 * rs, r3 = 3 * rs
    var pa = a, pb = UnsafePointer(b)
    for _ in 0..<kc {
        let b0 = load8(pb), b1 = load8(pb + 8)
        var av = Float8(repeating: pa[0])
        c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
        av = Float8(repeating: pa[r1])
        c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
        av = Float8(repeating: pa[r2])
        c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
        av = Float8(repeating: pa[r3])
        c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
        pa += ps; pb += nr
    }
    let al = Float8(repeating: alpha), be = Float8(repeating: beta)
    @inline(__always) func update(_ x0: Float8, _ x1: Float8, _ row: UnsafeMutablePointer<Float>) {
        if beta == 0 {
            store8(x0 * al, row); store8(x1 * al, row + 8)
        } else {
            store8((load8(row) * be).addingProduct(x0, al), row)
            store8((load8(row + 8) * be).addingProduct(x1, al), row + 8)
        }
    }
    update(c00, c01, c)
    update(c10, c11, c + ldc)
    update(c20, c21, c + 2 * ldc)
    update(c30, c31, c + 3 * ldc)
}

/// A partial tile at the bottom or right edge: the full tile into a scratch, then its valid part.
private func edgeKernel(_ kc: Int, _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float,
                        _ height: Int, _ rows: Int, _ cols: Int) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 6 * nr) { tile in
        let t = tile.baseAddress!
        if height == 6 {
            microKernel6(kc, a, rowStride: 1, stepStride: 6, b, t, nr, alpha, 0)
        } else {
            microKernel4(kc, a, rowStride: 1, stepStride: 4, b, t, nr, alpha, 0)
        }
        for i in 0..<rows {
            let src = t + i * nr, dst = c + i * ldc
            if beta == 0 {
                for j in 0..<cols { dst[j] = src[j] }
            } else {
                for j in 0..<cols { dst[j] = beta * dst[j] + src[j] }
            }
        }
    }
}

// MARK: - Small-M path (GEMV)

/// m ≤ 4 rows: stream op(B) once (B not transposed) or take dot products (B transposed).
private func smallM(_ o: Operands, rows: Range<Int>, cols: Range<Int>) {
    if cols.isEmpty { return }
    let k = o.k
    // Contiguous copies of the rows of op(A), pre-multiplied by alpha.
    let aRows = ScratchPool.shared.take(rows.count * k)
    defer { ScratchPool.shared.give(aRows) }
    for (r, i) in rows.enumerated() {
        let dst = aRows.pointer + r * k
        for p in 0..<k { dst[p] = o.alpha * o.aPointer(i, p).pointee }
    }
    if o.transB {
        for (r, i) in rows.enumerated() {
            dotRows(aRows.pointer + r * k, o, row: i, cols: cols)
        }
        return
    }
    var r = 0
    while r < rows.count {
        let pair = rows.count - r >= 2
        let x0 = aRows.pointer + r * k
        let y0 = o.c.raw + (rows.lowerBound + r) * o.ldc + cols.lowerBound
        let y1 = pair ? y0 + o.ldc : nil
        for y in [y0, y1].compactMap({ $0 }) {
            if o.beta == 0 {
                y.update(repeating: 0, count: cols.count)
            } else if o.beta != 1 {
                for j in 0..<cols.count { y[j] *= o.beta }
            }
        }
        // Column groups are contiguous within a group: run each group's part separately.
        var j = cols.lowerBound
        while j < cols.upperBound {
            let end = o.groupSize == 0 ? cols.upperBound : min(cols.upperBound, (j / o.groupSize + 1) * o.groupSize)
            let offset = j - cols.lowerBound
            axpyRows(x0, pair ? x0 + k : nil, o.b.raw + o.bColumn(j), ldb: o.ldb, k: k, y0 + offset,
                     y1.map { $0 + offset }, end - j)
            j = end
        }
        r += pair ? 2 : 1
    }
}

/// y0 += Σ_p x0[p] · B[p, :] (and y1 with x1), four rows of B per sweep so each 8-column step
/// does four FMAs per load/store of y. B is read row by row, contiguously (a column-chunked
/// walk would touch a new 4 KB page on every row).
private func axpyRows(_ x0: UnsafeMutablePointer<Float>, _ x1: UnsafeMutablePointer<Float>?,
                      _ b: UnsafeMutablePointer<Float>, ldb: Int, k: Int,
                      _ y0: UnsafeMutablePointer<Float>, _ y1: UnsafeMutablePointer<Float>?, _ n: Int) {
    let n8 = n / 8 * 8
    var p = 0
    while p < k {
        let step = min(4, k - p)
        let b0 = b + p * ldb
        let b1 = step > 1 ? b0 + ldb : b0, b2 = step > 2 ? b1 + ldb : b0, b3 = step > 3 ? b2 + ldb : b0
        @inline(__always) func weights(_ x: UnsafeMutablePointer<Float>) -> (Float, Float, Float, Float) {
            (x[p], step > 1 ? x[p + 1] : 0, step > 2 ? x[p + 2] : 0, step > 3 ? x[p + 3] : 0)
        }
        let (a0, a1, a2, a3) = weights(x0)
        let v0 = Float8(repeating: a0), v1 = Float8(repeating: a1)
        let v2 = Float8(repeating: a2), v3 = Float8(repeating: a3)
        if let y1, let x1 {
            let (c0, c1, c2, c3) = weights(x1)
            let w0 = Float8(repeating: c0), w1 = Float8(repeating: c1)
            let w2 = Float8(repeating: c2), w3 = Float8(repeating: c3)
            var j = 0
            while j < n8 {
                let e0 = load8(b0 + j), e1 = load8(b1 + j), e2 = load8(b2 + j), e3 = load8(b3 + j)
                store8(load8(y0 + j).addingProduct(v0, e0).addingProduct(v1, e1).addingProduct(v2, e2)
                    .addingProduct(v3, e3), y0 + j)
                store8(load8(y1 + j).addingProduct(w0, e0).addingProduct(w1, e1).addingProduct(w2, e2)
                    .addingProduct(w3, e3), y1 + j)
                j += 8
            }
            while j < n {
                y0[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j]
                y1[j] += c0 * b0[j] + c1 * b1[j] + c2 * b2[j] + c3 * b3[j]
                j += 1
            }
        } else {
            var j = 0
            while j < n8 {
                let acc = load8(y0 + j).addingProduct(v0, load8(b0 + j)).addingProduct(v1, load8(b1 + j))
                store8(acc.addingProduct(v2, load8(b2 + j)).addingProduct(v3, load8(b3 + j)), y0 + j)
                j += 8
            }
            while j < n {
                y0[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j]
                j += 1
            }
        }
        p += step
    }
}

/// C[row, j] = acc + beta · C[row, j] (alpha is already folded into the copied rows of A).
@inline(__always)
private func finish(_ acc: Float, _ dst: UnsafeMutablePointer<Float>, _ beta: Float) {
    dst.pointee = beta == 0 ? acc : beta * dst.pointee + acc
}

/// One row against transposed B: C[row, j] = dot(x, b[j, :]) + beta · C, four columns at
/// a time with two accumulators each (eight independent FMA chains hide the FMA latency).
private func dotRows(_ x: UnsafeMutablePointer<Float>, _ o: Operands, row: Int, cols: Range<Int>) {
    let k = o.k, ldb = o.ldb
    let cRow = o.c.raw + row * o.ldc
    let k16 = k / 16 * 16
    var j = cols.lowerBound
    while j + 4 <= cols.upperBound {
        let b0 = o.b.raw + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb
        var s0 = Float8(), s1 = Float8(), s2 = Float8(), s3 = Float8()
        var u0 = Float8(), u1 = Float8(), u2 = Float8(), u3 = Float8()
        var p = 0
        while p < k16 {
            let x0 = load8(x + p), x1 = load8(x + p + 8)
            s0 = s0.addingProduct(x0, load8(b0 + p)); u0 = u0.addingProduct(x1, load8(b0 + p + 8))
            s1 = s1.addingProduct(x0, load8(b1 + p)); u1 = u1.addingProduct(x1, load8(b1 + p + 8))
            s2 = s2.addingProduct(x0, load8(b2 + p)); u2 = u2.addingProduct(x1, load8(b2 + p + 8))
            s3 = s3.addingProduct(x0, load8(b3 + p)); u3 = u3.addingProduct(x1, load8(b3 + p + 8))
            p += 16
        }
        var r0 = horizontalSum(s0 + u0), r1 = horizontalSum(s1 + u1)
        var r2 = horizontalSum(s2 + u2), r3 = horizontalSum(s3 + u3)
        while p < k {
            let xv = x[p]
            r0 += xv * b0[p]; r1 += xv * b1[p]; r2 += xv * b2[p]; r3 += xv * b3[p]
            p += 1
        }
        finish(r0, cRow + j, o.beta); finish(r1, cRow + j + 1, o.beta)
        finish(r2, cRow + j + 2, o.beta); finish(r3, cRow + j + 3, o.beta)
        j += 4
    }
    while j < cols.upperBound {
        finish(dot(x, o.b.raw + j * ldb, k), cRow + j, o.beta)
        j += 1
    }
}

// MARK: - Scratch buffers

/// A small pool of 64-byte-aligned float buffers shared by all GEMM calls. Packing a 256×3072
/// panel needs 3 MB; allocating that per call would page-fault on every call.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()

    struct Buffer {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
    }

    private let lock = NSLock()
    private var free: [Buffer] = []

    func take(_ count: Int) -> Buffer {
        let needed = max(count, 16)
        lock.lock()
        if let index = free.firstIndex(where: { $0.capacity >= needed }) {
            let buffer = free.remove(at: index)
            lock.unlock()
            return buffer
        }
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: needed * MemoryLayout<Float>.stride, alignment: 64)
        return Buffer(pointer: raw.bindMemory(to: Float.self, capacity: needed), capacity: needed)
    }

    func give(_ buffer: Buffer) {
        lock.lock()
        defer { lock.unlock() }
        free.append(buffer)
        free.sort { $0.capacity < $1.capacity }
        if free.count > 8 {
            // Keep the largest buffers: a small request can always use a large one.
            UnsafeMutableRawPointer(free.removeFirst().pointer).deallocate()
        }
    }
}
