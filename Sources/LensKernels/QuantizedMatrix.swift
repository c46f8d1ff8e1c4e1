import LensSIMD

/// A weight matrix W [n, k] kept in a GGUF block format (``BlockFormat``) and multiplied without
/// ever being expanded: ``sgemm(m:alpha:a:lda:quantized:beta:c:ldc:threads:)`` computes
/// `Y = X · Wᵀ` with Float32 activations, decoding W's blocks inside the product.
///
/// Why: a quantised model then takes the file's size in memory (SmolLM2-135M in Q4_1: 0.625
/// bytes a weight instead of 4), and decoding one token reads 6.4× fewer bytes, which is what
/// bounds a matrix-vector product. Every product equals the one with the dequantised Float32
/// matrix up to summation order: the weights are decoded by the very code of
/// ``BlockFormat/dequantize(_:count:into:)`` (bit-exact with gguf-py), then multiplied with
/// fused multiply-adds.
///
/// Layout: ggml's for every matrix — n rows (output features), each row k values (input
/// features, ggml's `ne[0]`) cut along k into blocks of ``BlockFormat/blockSize`` elements,
/// ``rowByteCount`` bytes per row, rows one after another in a 64-byte aligned copy owned by
/// this object. A row is never split between blocks, so rows can be reordered, selected or
/// concatenated freely at initialisation (``init(format:n:k:row:)``).
public final class QuantizedMatrix: @unchecked Sendable {
    public let format: BlockFormat
    /// Rows: output features.
    public let n: Int
    /// Columns: input features, a multiple of `format.blockSize`.
    public let k: Int
    /// Bytes of one row: `k / blockSize · bytesPerBlock`.
    public let rowByteCount: Int
    private let storage: UnsafeMutableRawPointer
    /// The slab `storage` is carved from (see ``WeightMemory``).
    private let memory: WeightMemory

    /// Copies `n` rows of `k` elements whose bytes are `row(i)` for row i (`rowByteCount` bytes
    /// each, any alignment): rows in any order and from anywhere, e.g. llama's q/k rows
    /// un-permuted, or one of the q/k/v parts of a fused `attn_qkv` matrix.
    ///
    /// `k` must be a multiple of `format.blockSize` (a precondition: the file reader validates
    /// shapes before building matrices).
    public init(format: BlockFormat, n: Int, k: Int, row: (Int) throws -> UnsafeRawPointer) rethrows {
        precondition(n >= 0 && k >= 0, "QuantizedMatrix: negative shape [\(n), \(k)]")
        self.format = format
        self.n = n
        self.k = k
        rowByteCount = format.rowByteCount(k)
        (storage, memory) = WeightMemory.allocate(byteCount: n * rowByteCount)
        // On a throw the block simply goes with its slab reference.
        for i in 0..<n { (storage + i * rowByteCount).copyMemory(from: try row(i), byteCount: rowByteCount) }
    }

    /// Copies `n` rows stored one after another at `bytes` (`n · rowByteCount` bytes, any alignment):
    /// a GGUF tensor's data as it is in the file.
    public convenience init(format: BlockFormat, n: Int, k: Int, bytes: UnsafeRawPointer) {
        let rowBytes = format.rowByteCount(k)
        self.init(format: format, n: n, k: k) { bytes + $0 * rowBytes }
    }


    /// Bytes held: `n · rowByteCount`, the tensor's size in the file.
    public var byteCount: Int { n * rowByteCount }

    /// The blocks of row `i` (`rowByteCount` bytes).
    public func row(_ i: Int) -> UnsafeRawPointer {
        precondition(i >= 0 && i < n, "QuantizedMatrix: row \(i) of \(n)")
        return UnsafeRawPointer(storage + i * rowByteCount)
    }

    /// Calls `body` with all the blocks, row after row (``byteCount`` bytes).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: byteCount))
    }

    /// Writes rows `rows` as Float32, row-major [rows.count, k] with row stride `ld` (default k)
    /// — e.g. the embedding rows of some tokens. Bit-identical to
    /// ``BlockFormat/dequantize(_:count:into:)``.
    public func dequantize(rows: Range<Int>, into destination: UnsafeMutablePointer<Float>, ld: Int? = nil) {
        precondition(rows.lowerBound >= 0 && rows.upperBound <= n, "QuantizedMatrix: rows \(rows) of \(n)")
        let ld = ld ?? k
        for (r, i) in rows.enumerated() {
            format.dequantize(storage + i * rowByteCount, count: k, into: destination + r * ld)
        }
    }

    /// The whole matrix as Float32, row-major [n, k]: the "dequantised Float32 model".
    public func dequantize(into destination: UnsafeMutablePointer<Float>) {
        dequantize(rows: 0..<n, into: destination)
    }

    /// The whole matrix transposed, row-major [k, n] (Wᵀ, the `x · W` orientation of
    /// TransformerLens weights such as `W_in` [d_model, d_mlp]). Same values as ``dequantize(into:)``.
    public func dequantizeTransposed(into destination: UnsafeMutablePointer<Float>) {
        let chunk = 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, chunk * k)) { buffer in
            let rows = buffer.baseAddress!
            var i0 = 0
            while i0 < n {
                let count = min(chunk, n - i0)
                dequantize(rows: i0..<(i0 + count), into: rows)
                for p in 0..<k {
                    let out = destination + p * n + i0
                    for r in 0..<count { out[r] = rows[r * k + p] }
                }
                i0 += count
            }
        }
    }

    /// The operands of a few-row product with this matrix as W.
    func operands(m: Int, x: UnsafePointer<Float>, lda: Int, alpha: Float, beta: Float,
                  y: UnsafeMutablePointer<Float>, ldc: Int) -> QuantizedOperands {
        QuantizedOperands(w: UnsafeRawPointer(storage), rowBytes: rowByteCount, n: n, k: k, x: x, lda: lda, m: m,
                          alpha: alpha, beta: beta, y: y, ldc: ldc)
    }

    /// Decodes the B panels of the packed GEMM for op(B) = Wᵀ (see `PanelFiller`).
    func fillPanels(_ dst: UnsafeMutablePointer<Float>, p0: Int, kc: Int, j0: Int, nc: Int) {
        quantizedFillPanels(format, w: UnsafeRawPointer(storage), rowBytes: rowByteCount, dst: dst, p0: p0, kc: kc,
                            j0: j0, nc: nc)
    }
}

/// Up to this many rows of X, a quantised product decodes each block into registers and takes
/// its dot products with every row at once; above, it decodes panels of W for the packed GEMM.
let quantizedSmallRows = 8

/// `C = alpha · A · Wᵀ + beta · C` with W kept quantised (see ``QuantizedMatrix``): A is m×k
/// (row stride `lda`), C is m×n (row stride `ldc`), W is n×k. When beta is 0, C is not read.
///
/// - Up to 8 rows of A (decoding tokens): W is streamed once, each block decoded into registers
///   and multiplied with every row of A; the threads split W's rows. Measured (Zen 3, one row,
///   SmolLM2's 576 × 1536): Q4_1 12.5 G weights/s per core, Q8_0 17.5, Q4_K 8.6 — faster than
///   the Float32 `PackedMatrix` (14 G/s in cache, ~5–6 from memory), and the same from memory
///   as from cache; 24 and 33 G/s on two cores.
/// - More rows (a prompt): the packed GEMM, whose B panels are W's blocks decoded to Float32
///   (16 rows of W at a time into an L1 scratch, then transposed into the panel), so the
///   micro-kernel runs at its usual speed: 128 rows run at 0.9–0.98× the speed of the same product
///   with a Float32 `PackedMatrix` (decoding and transposing cost ~0.2 ns a weight).
///
/// `threads`: upper bound on worker threads; nil means `KernelThreads.count`.
public func sgemm(m: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, quantized w: QuantizedMatrix,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int? = nil) {
    let (n, k) = (w.n, w.k)
    if m <= 0 || n <= 0 { return }
    if k == 0 || alpha == 0 {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
        }
        return
    }
    let threadLimit = max(1, threads ?? KernelThreads.count)
    if m <= quantizedSmallRows {
        // A decoded weight costs about as much as a few FMAs: fork above ~64 K weights (≈ 10 µs).
        let parts = n * k >= 1 << 16 && n >= 8 ? threadLimit : 1
        let o = w.operands(m: m, x: a, lda: lda, alpha: alpha, beta: beta, y: c, ldc: ldc)
        let format = w.format
        parallelFor(parts) { t in
            let rows = splitRange(n, parts: parts, index: t, align: 4)
            if !rows.isEmpty { quantizedSmallProduct(format, o, rows: rows) }
        }
        return
    }
    let workers = 2 * m * n * k >= gemmParallelThreshold ? min(threadLimit, 2) : 1
    let o = Operands(transA: false, transB: true, k: k, alpha: alpha, a: SendablePointer(a), lda: lda,
                     b: SendablePointer(a), ldb: 0, beta: beta, c: SendablePointer(c), ldc: ldc, groupSize: 0,
                     groupStride: 0)
    packedParallel(o, m: m, n: n, workers: workers, prepacked: nil) { dst, p0, kc, j0, nc in
        w.fillPanels(dst, p0: p0, kc: kc, j0: j0, nc: nc)
    }
}

