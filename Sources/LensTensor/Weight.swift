import Foundation
import LensKernels

/// The weight matrix of a linear map, kept resident in exactly one representation — the one
/// the kernels read best — and shown to users as the plain tensor TransformerLens names
/// (`W_Q` [head, d_model, d_head], `W_in` [d_model, d_mlp] …).
///
/// Representations: a plain row-major tensor (as loaded, set, or differentiated), the GEMM's
/// packed panels, or a GGUF file's quantised blocks (``QuantizedMatrix``), which the product
/// decodes as it reads them — the weight then takes the file's size in memory. The first product that is not being differentiated packs the weight and
/// *replaces* the plain copy, so a model that only runs inference holds each weight once, in the
/// form that saves the per-call packing pass (~10% of a 128-token forward). Reading ``tensor``
/// of a packed weight unpacks a fresh copy (nothing is cached: one resident copy); setting it
/// makes the weight plain again until its next product. A quantised weight stays quantised
/// (its ``tensor`` is the dequantised matrix, computed afresh on each read) until it is set.
///
/// A value type: copies share the resident storage, which changes representation but never
/// value; assigning ``tensor`` gives this copy storage of its own. Safe to use from several
/// threads at once.
public struct Weight: @unchecked Sendable {
    /// How the tensor is read as the matrix of a product.
    public enum Layout: Sendable, Equatable {
        /// `[k, n]`: x [..., k] → [..., n] (`W_in`, `W_out`, `W_gate`, `W_U`).
        case matrix
        /// `[head, d_in, d_head]` read as the [d_in, head·d_head] matrix without permuting it:
        /// x [..., d_in] → [..., head, d_head] (`W_Q`, `W_K`, `W_V`).
        case toHeads
        /// `[head, d_head, d_out]` read as the [head·d_head, d_out] matrix: z [..., head,
        /// d_head] → [..., d_out] (`W_O`).
        case fromHeads
        /// `[n, k]`, a table of rows (`W_E` [d_vocab, d_model]): ``rows(_:)`` gathers rows, and
        /// a product reads it transposed, x [..., k] → [..., n]. Its quantised form is a GGUF
        /// matrix as stored (n rows of k), so a tied unembedding can share it.
        case rowTable
    }

    public let layout: Layout
    /// The TransformerLens shape of ``tensor``.
    public let shape: [Int]
    private var storage: Storage

    /// A weight holding `tensor` (plain) in `layout`.
    public init(_ tensor: Tensor, layout: Layout = .matrix) {
        let rank = layout == .matrix || layout == .rowTable ? 2 : 3
        precondition(tensor.rank == rank, "Weight: a \(layout) weight needs rank \(rank), got shape \(tensor.shape)")
        self.layout = layout
        shape = tensor.shape
        storage = Storage(.plain(tensor))
    }

    /// The `.matrix` weight `sourceᵀ` ([k, n] from `source` [n, k]), packed at once from
    /// `source` without a transposed copy: a tied unembedding `W_U = W_Eᵀ` read from the
    /// embedding it shares its values with.
    public init(transposing source: Tensor) {
        precondition(source.rank == 2, "Weight(transposing:): needs a matrix, got shape \(source.shape)")
        let (n, k) = (source.shape[0], source.shape[1])
        layout = .matrix
        shape = [k, n]
        storage = Storage(.packed(PackedMatrix(b: source.pointer, ldb: k, k: k, n: n, transposed: true)))
    }

    /// A weight kept in a file's block format: `matrix` holds the n×k matrix whose rows are
    /// the product's outputs (ggml's layout, Hugging Face's `nn.Linear` one), i.e. the
    /// transpose of the [k, n] matrix `layout` reads `shape` as — `[k, n]` for `.matrix`, k =
    /// d_in and n = head·d_head (head-major) for `.toHeads`, k = head·d_head for `.fromHeads`.
    public init(quantized matrix: QuantizedMatrix, layout: Layout, shape: [Int]) {
        self.layout = layout
        self.shape = shape
        storage = Storage(.quantized(matrix))
        let (k, n) = matrixShape
        precondition(matrix.k == k && matrix.n == n,
                     "Weight(quantized:): a \(matrix.n)×\(matrix.k) matrix cannot be a \(layout) weight of shape \(shape)")
    }

    /// Whether the weight is kept in a quantised block format.
    public var isQuantized: Bool { storage.isQuantized }

    /// The weight as TransformerLens shows it; a packed weight unpacks a fresh copy, a
    /// quantised one is dequantised afresh.
    public var tensor: Tensor {
        get { storage.plain(shape: shape, layout: layout) }
        set {
            precondition(newValue.shape == shape, "Weight: cannot replace a \(shape) weight with \(newValue.shape)")
            storage = Storage(.plain(newValue))
        }
    }

    /// Bytes this weight holds resident now (the packed form pads columns to 16).
    public var residentBytes: Int { storage.residentBytes }

    /// Whether the weight is in the kernel's packed form now.
    public var isPacked: Bool { storage.isPacked }

    /// The product of `x` with this weight, plus `bias` if given: [..., k] → [..., n]
    /// (`.matrix`), [..., d_in] → [..., head, d_head] (`.toHeads`, bias [head, d_head]), or
    /// [..., head, d_head] → [..., d_out] (`.fromHeads`, bias [d_out]). Differentiable in `x`,
    /// the weight and the bias when they are tracked on a recording tape.
    public func apply(_ x: Tensor, bias: Tensor? = nil) -> Tensor {
        let (k, n) = matrixShape
        let outer: [Int]
        switch layout {
        case .matrix, .toHeads, .rowTable:
            precondition(x.rank >= 1 && x.shape[x.rank - 1] == k, "Weight.apply: input \(x.shape) does not end in \(k)")
            outer = Array(x.shape.dropLast())
        case .fromHeads:
            precondition(x.rank >= 2 && Array(x.shape.suffix(2)) == [shape[0], shape[1]],
                         "Weight.apply: input \(x.shape) does not end in [head, d_head] = \(Array(shape.prefix(2)))")
            outer = Array(x.shape.dropLast(2))
        }
        let outShape = layout == .toHeads ? outer + [shape[0], shape[2]] : outer + [n]
        if let bias { precondition(bias.count == n, "Weight.apply: bias \(bias.shape) does not match \(n) outputs") }
        if !x.isTracked, !(bias?.isTracked ?? false), let form = storage.kernelForm(shape: shape, layout: layout) {
            let rows = x.count / Swift.max(k, 1)
            let out = Tensor(uninitializedShape: outShape)
            // A zero bias (LLaMA's b_U, b_in, b_out …) is not broadcast into the output first:
            // for the unembedding that write pass costs as much as writing the logits.
            let addsBias = bias.map { !$0.isAllZeros } ?? false
            if addsBias, let bias { LensKernels.copyStrided(bias.pointer, shape: [rows, n], strides: [0, 1], out.pointer) }
            switch form {
            case .packed(let packed):
                LensKernels.sgemm(m: rows, a: x.pointer, lda: k, packed: packed, beta: addsBias ? 1 : 0, c: out.pointer, ldc: n)
            case .quantized(let matrix):
                LensKernels.sgemm(m: rows, a: x.pointer, lda: k, quantized: matrix, beta: addsBias ? 1 : 0, c: out.pointer, ldc: n)
            case .plain:
                preconditionFailure("Weight: a plain form is never a kernel form")
            }
            return out
        }
        let w = tensor
        switch layout {
        case .matrix:
            return bias.map { x.matmul(w, bias: $0) } ?? x.matmul(w)
        case .toHeads:
            return x.projectedToHeads(w, bias: bias ?? Tensor.zeros([shape[0], shape[2]]))
        case .fromHeads:
            let flat = x.reshaped(outer + [k]), matrix = w.reshaped(k, n)
            return bias.map { flat.matmul(matrix, bias: $0) } ?? flat.matmul(matrix)
        case .rowTable:
            let product = x.matmul(w.transposed())
            return bias.map { product + $0 } ?? product
        }
    }

    /// Rows `indices` of a `.rowTable` weight: [indices…, k] (`W_E[tokens]`). A quantised table
    /// decodes only those rows; differentiable through the plain form.
    public func rows(_ indices: IntTensor) -> Tensor {
        precondition(layout == .rowTable, "Weight.rows: a \(layout) weight is not a table of rows")
        if case .quantized(let table)? = storage.quantizedForm {
            let k = shape[1]
            return Tensor(shape: indices.shape + [k]) { out in
                for (i, row) in indices.scalars.enumerated() {
                    table.dequantize(rows: row..<(row + 1), into: out.baseAddress! + i * k)
                }
            }
        }
        return tensor.indexSelect(indices, axis: 0)
    }

    /// The [k, n] matrix of the product.
    private var matrixShape: (k: Int, n: Int) {
        switch layout {
        case .matrix: (shape[0], shape[1])
        case .toHeads: (shape[1], shape[0] * shape[2])
        case .fromHeads: (shape[0] * shape[1], shape[2])
        case .rowTable: (shape[1], shape[0])
        }
    }

    /// The resident representation, changed under a lock.
    private final class Storage: @unchecked Sendable {
        enum Form {
            case plain(Tensor)
            case packed(PackedMatrix)
            case quantized(QuantizedMatrix)
        }

        private var form: Form
        private let lock = NSLock()

        init(_ form: Form) { self.form = form }

        var isPacked: Bool {
            lock.withLock { if case .packed = form { true } else { false } }
        }

        var quantizedForm: Form? {
            lock.withLock { if case .quantized = form { form } else { nil } }
        }

        var isQuantized: Bool {
            lock.withLock { if case .quantized = form { true } else { false } }
        }

        var residentBytes: Int {
            lock.withLock {
                switch form {
                case .plain(let t): t.count * MemoryLayout<Float>.size
                case .packed(let p): p.byteCount
                case .quantized(let q): q.byteCount
                }
            }
        }

        /// The form the kernel multiplies by — packed or quantised — packing a plain weight
        /// (and dropping the plain copy) on first use; nil while the plain tensor is being
        /// differentiated.
        func kernelForm(shape: [Int], layout: Layout) -> Form? {
            lock.withLock {
                switch form {
                case .packed, .quantized:
                    return form
                case .plain(let t):
                    guard !t.isTracked else { return nil }
                    let p: PackedMatrix
                    switch layout {
                    case .matrix: p = PackedMatrix(b: t.pointer, ldb: shape[1], k: shape[0], n: shape[1])
                    case .toHeads:
                        let (h, d, dh) = (shape[0], shape[1], shape[2])
                        p = PackedMatrix(b: t.pointer, ldb: dh, k: d, n: h * dh, columnGroups: (dh, d * dh))
                    case .fromHeads:
                        p = PackedMatrix(b: t.pointer, ldb: shape[2], k: shape[0] * shape[1], n: shape[2])
                    case .rowTable:
                        // A table is gathered, not multiplied: it stays plain.
                        return nil
                    }
                    // The plain copy is dropped for good: its pages go back to the system rather
                    // than into the buffer pool, so the model holds one copy of the weight.
                    t.storage.returnsPagesToSystem = true
                    form = .packed(p)
                    return form
                }
            }
        }

        func plain(shape: [Int], layout: Layout) -> Tensor {
            lock.withLock {
                switch form {
                case .plain(let t): return t
                case .packed(let p):
                    let t = Tensor(uninitializedShape: shape)
                    p.unpack(into: t.pointer)
                    return t
                case .quantized(let q):
                    if layout == .rowTable {
                        let table = Tensor(uninitializedShape: shape)
                        q.dequantize(into: table.pointer)
                        return table
                    }
                    // The [k, n] matrix the product reads, then TransformerLens's layout of it.
                    let matrix = Tensor(uninitializedShape: [q.k, q.n])
                    q.dequantizeTransposed(into: matrix.pointer)
                    return layout == .toHeads ? matrix.reshaped(shape[1], shape[0], shape[2]).permuted(1, 0, 2) : matrix.reshaped(shape)
                }
            }
        }
    }
}
