import Foundation

/// A matrix M = A·B kept as its two factors, TransformerLens's `FactoredMatrix`
/// (`transformer_lens/FactoredMatrix.py`).
///
/// Circuit matrices are low-rank products: the QK circuit W_Q W_Kᵀ and the OV circuit W_V W_O
/// are d_model × d_model but have rank d_head, and the full OV circuit W_E W_V W_O W_U is
/// d_vocab × d_vocab. Keeping the factors makes their SVD, eigenvalues and norms cost
/// O(d_head²·d_model) instead of O(d³) (or O(d_vocab³)).
///
/// A is [..., ldim, mdim] and B [..., mdim, rdim]; leading axes (e.g. [n_layers, n_heads])
/// broadcast as in PyTorch and both factors are stored expanded to the common leading shape.
/// Decompositions run in `Double` and are returned as Float32 tensors.
public struct FactoredMatrix: Sendable {
    /// The left factor, [..., ldim, mdim].
    public let A: Tensor
    /// The right factor, [..., mdim, rdim].
    public let B: Tensor
    /// The leading (batch) axes shared by both factors.
    public let leadingShape: [Int]
    private let cache = SVDCache()

    /// M = `A`·`B`, A [..., ldim, mdim], B [..., mdim, rdim], leading axes broadcasting.
    public init(_ A: Tensor, _ B: Tensor) throws {
        guard A.rank >= 2 else { throw AnalysisError.invalidShape(what: "FactoredMatrix A", expected: "[..., ldim, mdim]", found: A.shape) }
        guard B.rank >= 2 else { throw AnalysisError.invalidShape(what: "FactoredMatrix B", expected: "[..., mdim, rdim]", found: B.shape) }
        let mdim = A.shape[A.rank - 1]
        guard B.shape[B.rank - 2] == mdim else {
            throw AnalysisError.invalidShape(what: "FactoredMatrix B", expected: "[..., \(mdim), rdim] to match A \(A.shape)", found: B.shape)
        }
        guard let leading = broadcastShape(Array(A.shape.dropLast(2)), Array(B.shape.dropLast(2))) else {
            throw AnalysisError.invalidShape(what: "FactoredMatrix B", expected: "leading axes that broadcast with A's \(A.shape.dropLast(2))",
                                             found: B.shape)
        }
        self.init(validated: A.expanded(to: leading + A.shape.suffix(2)), B.expanded(to: leading + B.shape.suffix(2)), leading: leading)
    }

    /// Factors already checked and expanded to `leading` (for callers that built them so).
    init(validated A: Tensor, _ B: Tensor, leading: [Int]) {
        self.A = A
        self.B = B
        leadingShape = leading
    }

    /// Rows of M.
    public var ldim: Int { A.shape[A.rank - 2] }
    /// The inner dimension (the rank bound).
    public var mdim: Int { A.shape[A.rank - 1] }
    /// Columns of M.
    public var rdim: Int { B.shape[B.rank - 1] }
    /// [..., ldim, rdim].
    public var shape: [Int] { leadingShape + [ldim, rdim] }
    /// Number of leading matrices.
    var batch: Int { leadingShape.reduce(1, *) }

    /// M itself, [..., ldim, rdim].
    public var AB: Tensor { A.matmul(B) }

    /// B·A [..., mdim, mdim]: the same non-zero eigenvalues as A·B at a fraction of the size.
    /// Needs a square M (ldim == rdim).
    public var BA: Tensor {
        get throws {
            guard ldim == rdim else { throw AnalysisError.notSquare(what: "FactoredMatrix.BA", found: shape) }
            return B.matmul(A)
        }
    }

    /// Mᵀ = Bᵀ·Aᵀ (TransformerLens `.T`).
    public var transposed: FactoredMatrix {
        FactoredMatrix(validated: B.transposed(), A.transposed(), leading: leadingShape)
    }

    // MARK: Decompositions

    /// The thin SVD M = U·diag(S)·Vᵀ: U [..., ldim, k], S [..., k] descending, V [..., rdim, k],
    /// k = min(ldim, mdim, rdim). Computed once and cached. As in TransformerLens, only a small
    /// k × k core is decomposed: TransformerLens uses SVDs of A and B, here thin QR factors
    /// A = Q_A·R_A and Bᵀ = Q_B·R_B (cheaper, the same result up to column signs), so
    /// M = Q_A·(R_A·R_Bᵀ)·Q_Bᵀ and the core's SVD U_c·S·V_cᵀ gives U = Q_A·U_c and V = Q_B·V_c.
    public func svd() throws -> (U: Tensor, S: Tensor, V: Tensor) {
        if let done = cache.value { return done }
        var us: [Float] = [], ss: [Float] = [], vs: [Float] = []
        let aMatrices = try A.doubleMatrices(), bMatrices = try B.doubleMatrices()
        let k = min(ldim, mdim, rdim)
        for (a, b) in zip(aMatrices, bMatrices) {
            let (qa, ra) = a.qrDecomposition(), (qb, rb) = b.transposed.qrDecomposition()
            let core = try ra.matmul(rb.transposed).singularValueDecomposition()
            us += qa.matmul(core.u).values.map(Float.init)
            ss += core.singularValues.map(Float.init)
            vs += qb.matmul(core.v).values.map(Float.init)
        }
        let result = (U: Tensor(shape: leadingShape + [ldim, k], values: us), S: Tensor(shape: leadingShape + [k], values: ss),
                      V: Tensor(shape: leadingShape + [rdim, k], values: vs))
        cache.value = result
        return result
    }

    /// Left singular vectors [..., ldim, k].
    public var U: Tensor { get throws { try svd().U } }
    /// Singular values [..., k], descending.
    public var S: Tensor { get throws { try svd().S } }
    /// Right singular vectors [..., rdim, k] (V, not Vᵀ).
    public var V: Tensor { get throws { try svd().V } }

    /// The eigenvalues of M (square M only), computed as those of the small B·A (M's other
    /// eigenvalues are zero): real and imaginary parts, each [..., mdim], sorted per matrix by real
    /// part descending, then imaginary part descending.
    public var eigenvalues: (real: Tensor, imaginary: Tensor) {
        get throws {
            var re: [Float] = [], im: [Float] = []
            for m in try BA.doubleMatrices() {
                for e in try m.eigenvalues() {
                    re.append(Float(e.real))
                    im.append(Float(e.imaginary))
                }
            }
            return (Tensor(shape: leadingShape + [mdim], values: re), Tensor(shape: leadingShape + [mdim], values: im))
        }
    }

    /// The Frobenius norm of each matrix, [...] (TransformerLens `norm()`, √ΣS²), computed
    /// without an SVD as ‖R_A·B‖ (see `rowCores()`).
    public var frobeniusNorm: Tensor {
        get throws { Tensor(shape: leadingShape, values: try rowCores().map { Float($0.frobeniusNorm) }) }
    }

    /// For each matrix M = A·B, C = R_A·B [k, rdim] with A = Q_A·R_A (thin QR), so that
    /// ‖M·X‖_F = ‖C·X‖_F for every X: M with an orthonormal left factor dropped, like
    /// `collapseLeft()` (S·Vᵀ) but from one QR instead of three SVDs. k = min(ldim, mdim).
    func rowCores() throws -> [DoubleMatrix] {
        try zip(A.doubleMatrices(), B.doubleMatrices()).map { a, b in a.qrR().matmul(b) }
    }

    /// For each M = A·B, C = A·R_Bᵀ [ldim, k] with Bᵀ = Q_B·R_B, so that ‖X·M‖_F = ‖X·C‖_F for
    /// every X (the counterpart of `collapseRight()`, U·S). k = min(mdim, rdim).
    func columnCores() throws -> [DoubleMatrix] {
        try zip(A.doubleMatrices(), B.doubleMatrices()).map { a, b in a.matmul(b.transposed.qrR().transposed) }
    }

    /// S·Vᵀ [..., k, rdim]: M with its orthonormal left factor U dropped (TL `collapse_l`).
    public func collapseLeft() throws -> Tensor {
        let (_, s, v) = try svd()
        return s.unsqueezed(axis: -1) * v.transposed()
    }

    /// U·S [..., ldim, k]: M with its orthonormal right factor Vᵀ dropped (TL `collapse_r`).
    public func collapseRight() throws -> Tensor {
        let (u, s, _) = try svd()
        return u * s.unsqueezed(axis: -2)
    }

    /// The same M refactored as (U√S)·(√S Vᵀ), both factors equally scaled (TL `make_even`).
    public func makeEven() throws -> FactoredMatrix {
        let (u, s, v) = try svd()
        let root = s.sqrt()
        return FactoredMatrix(validated: u * root.unsqueezed(axis: -2), root.unsqueezed(axis: -1) * v.transposed(), leading: leadingShape)
    }

    // MARK: Products

    /// M·`other` for a matrix `other` [..., rdim, n]: refactored as A·(B·other) when the inner
    /// dimension is smaller than rdim, else (A·B)·other, as TransformerLens does.
    public func matmul(_ other: Tensor) throws -> FactoredMatrix {
        guard other.rank >= 2, other.shape[other.rank - 2] == rdim else {
            throw AnalysisError.invalidShape(what: "right operand of a \(shape) FactoredMatrix", expected: "[..., \(rdim), n]", found: other.shape)
        }
        try Self.checkBroadcast(leadingShape, other)
        return rdim > mdim ? try FactoredMatrix(A, B.matmul(other)) : try FactoredMatrix(AB, other)
    }

    /// M·N for another factored matrix N: (M·N.A)·N.B.
    public func matmul(_ other: FactoredMatrix) throws -> FactoredMatrix {
        try matmul(other.A).matmul(other.B)
    }

    /// M·v for a vector v [rdim] → [..., ldim] (a plain tensor, as in TransformerLens).
    public func multiplyingColumnVector(_ v: Tensor) throws -> Tensor {
        guard v.rank == 1, v.shape[0] == rdim else { throw AnalysisError.invalidShape(what: "column vector", expected: "[\(rdim)]", found: v.shape) }
        return A.matmul(B.matmul(v.unsqueezed(axis: -1))).squeezed(axis: -1)
    }

    /// v·M for a vector v [ldim] → [..., rdim].
    public func multiplyingRowVector(_ v: Tensor) throws -> Tensor {
        guard v.rank == 1, v.shape[0] == ldim else { throw AnalysisError.invalidShape(what: "row vector", expected: "[\(ldim)]", found: v.shape) }
        return v.unsqueezed(axis: 0).matmul(A).matmul(B).squeezed(axis: -2)
    }

    /// M scaled by `scalar` (applied to A, as in TransformerLens).
    public static func * (matrix: FactoredMatrix, scalar: Float) -> FactoredMatrix {
        FactoredMatrix(validated: matrix.A * scalar, matrix.B, leading: matrix.leadingShape)
    }

    public static func * (scalar: Float, matrix: FactoredMatrix) -> FactoredMatrix { matrix * scalar }

    static func checkBroadcast(_ leading: [Int], _ other: Tensor) throws {
        let otherLeading = Array(other.shape.dropLast(2))
        guard broadcastShape(leading, otherLeading) != nil else {
            throw AnalysisError.invalidShape(what: "operand of a FactoredMatrix with leading axes \(leading)",
                                             expected: "leading axes that broadcast with \(leading)", found: other.shape)
        }
    }

    // MARK: Indexing

    /// The factored matrices at the given positions of the leading axes (negative positions count
    /// from the end): `QK[1]` is layer 1 [n_heads, d_model, d_model], `QK[1, 2]` one head.
    public subscript(_ indices: Int...) -> FactoredMatrix {
        get throws {
            guard indices.count <= leadingShape.count else {
                throw AnalysisError.invalidArgument("\(indices.count) indices for the \(leadingShape.count) leading axes \(leadingShape)")
            }
            var a = A, b = B
            for (axis, index) in indices.enumerated() {
                let n = leadingShape[axis]
                guard (-n..<n).contains(index) else {
                    throw AnalysisError.invalidArgument("index \(index) is out of range for leading axis \(axis) of extent \(n)")
                }
                a = a[index]
                b = b[index]
            }
            return FactoredMatrix(validated: a, b, leading: Array(leadingShape.dropFirst(indices.count)))
        }
    }

    /// The top-left k × k corner of M, also cut to the first k along every leading axis
    /// (TL `get_corner`), computed from k rows of A and k columns of B only.
    public func corner(_ k: Int = 3) throws -> Tensor {
        guard k > 0 else { throw AnalysisError.invalidArgument("corner size must be positive; found \(k)") }
        let lead = [TensorIndex](repeating: .stride(nil, k), count: leadingShape.count)
        let a = A.selecting(lead + [.stride(nil, k), .all]), b = B.selecting(lead + [.all, .stride(nil, k)])
        return a.matmul(b)
    }
}

extension Tensor {
    /// `self`·M for a matrix `self` [..., n, ldim] and a factored M: refactored as (self·A)·B when
    /// the inner dimension is smaller than ldim, else self·(A·B) (TransformerLens `__rmatmul__`).
    public func matmul(_ factored: FactoredMatrix) throws -> FactoredMatrix {
        guard rank >= 2, shape[rank - 1] == factored.ldim else {
            throw AnalysisError.invalidShape(what: "left operand of a \(factored.shape) FactoredMatrix",
                                             expected: "[..., n, \(factored.ldim)]", found: shape)
        }
        try FactoredMatrix.checkBroadcast(factored.leadingShape, self)
        return factored.ldim > factored.mdim ? try FactoredMatrix(matmul(factored.A), factored.B)
                                             : try FactoredMatrix(self, factored.AB)
    }

    /// The trailing [rows, columns] matrices of a tensor of rank ≥ 2, in Double, in row-major
    /// order of the leading axes.
    func doubleMatrices() throws -> [DoubleMatrix] {
        guard rank >= 2 else { throw AnalysisError.invalidShape(what: "matrix stack", expected: "[..., rows, columns]", found: shape) }
        let (r, c) = (shape[rank - 2], shape[rank - 1])
        let values = scalars
        return try (0..<shape.dropLast(2).reduce(1, *)).map { i in
            try DoubleMatrix(rows: r, columns: c, values: values[(i * r * c)..<((i + 1) * r * c)].map(Double.init))
        }
    }
}

/// The SVD of a FactoredMatrix, computed at most once per value (TransformerLens caches it too).
private final class SVDCache: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (U: Tensor, S: Tensor, V: Tensor)?

    var value: (U: Tensor, S: Tensor, V: Tensor)? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
