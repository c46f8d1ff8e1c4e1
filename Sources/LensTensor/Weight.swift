import Foundation
import LensKernels

/// The weight matrix of a linear map, kept resident in exactly one representation — the one
/// the kernels read best — and shown to users as the plain tensor TransformerLens names
/// (`W_Q` [head, d_model, d_head], `W_in` [d_model, d_mlp] …).
///
/// Representations: a plain row-major tensor (as loaded, set, or differentiated) or the GEMM's
/// packed panels. The first product that is not being differentiated packs the weight and
/// *replaces* the plain copy, so a model that only runs inference holds each weight once, in the
/// form that saves the per-call packing pass (~10% of a 128-token forward). Reading ``tensor``
/// of a packed weight unpacks a fresh copy (nothing is cached: one resident copy); setting it
/// makes the weight plain again until its next product. Next: quantised block formats, whose
/// blocks the kernel dequantises as it reads them.
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
    }

    public let layout: Layout
    /// The TransformerLens shape of ``tensor``.
    public let shape: [Int]
    private var storage: Storage

    /// A weight holding `tensor` (plain) in `layout`.
    public init(_ tensor: Tensor, layout: Layout = .matrix) {
        precondition(layout == .matrix ? tensor.rank == 2 : tensor.rank == 3,
                     "Weight: a \(layout) weight needs rank \(layout == .matrix ? 2 : 3), got shape \(tensor.shape)")
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

    /// The weight as TransformerLens shows it; a packed weight unpacks a fresh copy.
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
        case .matrix, .toHeads:
            precondition(x.rank >= 1 && x.shape[x.rank - 1] == k, "Weight.apply: input \(x.shape) does not end in \(k)")
            outer = Array(x.shape.dropLast())
        case .fromHeads:
            precondition(x.rank >= 2 && Array(x.shape.suffix(2)) == [shape[0], shape[1]],
                         "Weight.apply: input \(x.shape) does not end in [head, d_head] = \(Array(shape.prefix(2)))")
            outer = Array(x.shape.dropLast(2))
        }
        let outShape = layout == .toHeads ? outer + [shape[0], shape[2]] : outer + [n]
        if let bias { precondition(bias.count == n, "Weight.apply: bias \(bias.shape) does not match \(n) outputs") }
        if !x.isTracked, !(bias?.isTracked ?? false), let packed = storage.packed(shape: shape, layout: layout) {
            let rows = x.count / Swift.max(k, 1)
            let out = Tensor(uninitializedShape: outShape)
            if let bias { LensKernels.copyStrided(bias.pointer, shape: [rows, n], strides: [0, 1], out.pointer) }
            LensKernels.sgemm(m: rows, a: x.pointer, lda: k, packed: packed, beta: bias == nil ? 0 : 1, c: out.pointer, ldc: n)
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
        }
    }

    /// The [k, n] matrix of the product.
    private var matrixShape: (k: Int, n: Int) {
        switch layout {
        case .matrix: (shape[0], shape[1])
        case .toHeads: (shape[1], shape[0] * shape[2])
        case .fromHeads: (shape[0] * shape[1], shape[2])
        }
    }

    /// The resident representation, changed under a lock.
    private final class Storage: @unchecked Sendable {
        enum Form {
            case plain(Tensor)
            case packed(PackedMatrix)
        }

        private var form: Form
        private let lock = NSLock()

        init(_ form: Form) { self.form = form }

        var isPacked: Bool {
            lock.withLock { if case .packed = form { true } else { false } }
        }

        var residentBytes: Int {
            lock.withLock {
                switch form {
                case .plain(let t): t.count * MemoryLayout<Float>.size
                case .packed(let p): p.byteCount
                }
            }
        }

        /// The packed form, packing (and dropping the plain copy) on first use; nil while the
        /// plain tensor is being differentiated.
        func packed(shape: [Int], layout: Layout) -> PackedMatrix? {
            lock.withLock {
                switch form {
                case .packed(let p):
                    return p
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
                    }
                    // The plain copy is dropped for good: its pages go back to the system rather
                    // than into the buffer pool, so the model holds one copy of the weight.
                    t.storage.returnsPagesToSystem = true
                    form = .packed(p)
                    return p
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
                }
            }
        }
    }
}
