import Foundation
import LensKernels

/// A small dense matrix of `Double`s, row-major, for the decompositions the circuit analysis
/// needs (singular values of factored circuits, eigenvalues of OV circuits, PCA).
///
/// The weights are `Float`, but the decompositions run in `Double`: a Jacobi sweep or a QR
/// iteration accumulates thousands of rotations, and in single precision the results would be
/// good to ~1e-5 at best. The matrices involved are small (d_head × d_head cores, d_model-sized
/// factors, n_checkpoints-sized Gram matrices), so the plain O(n³) algorithms here are enough:
/// `qrDecomposition()`, `singularValueDecomposition()` and `symmetricEigendecomposition()`
/// below, general `eigenvalues()` in GeneralEigenvalues.swift. Their inner loops are the
/// Double kernels of LensKernels (`ddot`, `daxpy`, `drotate`, `dgemm`), which are optimised
/// even in debug builds.
public struct DoubleMatrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// The elements in row-major order, `rows · columns` of them.
    public internal(set) var values: [Double]

    /// A matrix of `rows × columns` holding `values` in row-major order.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw AnalysisError.invalidArgument("a \(rows) × \(columns) matrix needs \(max(rows * columns, 0)) values; found \(values.count)")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// `values.count == rows · columns` already holds.
    init(validRows rows: Int, columns: Int, values: [Double]) {
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "DoubleMatrix needs non-negative dimensions, got \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        values = Array(repeating: value, count: rows * columns)
    }

    /// A matrix from rows of equal length.
    public init(_ rowArrays: [[Double]]) throws {
        let width = rowArrays.first?.count ?? 0
        guard rowArrays.allSatisfy({ $0.count == width }) else {
            throw AnalysisError.invalidArgument("matrix rows must have equal lengths; found \(rowArrays.map(\.count))")
        }
        try self.init(rows: rowArrays.count, columns: width, values: rowArrays.flatMap { $0 })
    }

    /// The 2-D tensor `tensor` [rows, columns] in double precision.
    public init(_ tensor: Tensor) throws {
        guard tensor.rank == 2 else { throw AnalysisError.invalidShape(what: "matrix", expected: "[rows, columns]", found: tensor.shape) }
        try self.init(rows: tensor.shape[0], columns: tensor.shape[1], values: tensor.scalars.map(Double.init))
    }

    /// The n × n identity.
    public static func identity(_ n: Int) -> DoubleMatrix {
        var m = DoubleMatrix(rows: n, columns: n)
        for i in 0..<n { m.values[i * n + i] = 1 }
        return m
    }

    /// The element at (`row`, `column`); out-of-range indices trap, as with `Array`.
    public subscript(row: Int, column: Int) -> Double {
        get {
            precondition((0..<rows).contains(row) && (0..<columns).contains(column), "index (\(row), \(column)) outside \(rows) × \(columns)")
            return values[row * columns + column]
        }
        set {
            precondition((0..<rows).contains(row) && (0..<columns).contains(column), "index (\(row), \(column)) outside \(rows) × \(columns)")
            values[row * columns + column] = newValue
        }
    }

    /// The matrix as a Float32 tensor [rows, columns].
    public var tensor: Tensor { Tensor(shape: [rows, columns], values: values.map(Float.init)) }

    /// The transpose [columns, rows].
    public var transposed: DoubleMatrix {
        var t = DoubleMatrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t.values[j * rows + i] = values[i * columns + j] } }
        return t
    }

    /// The product `self · other`; the inner dimensions must agree (a programming error otherwise,
    /// as for `Tensor.matmul`).
    public func matmul(_ other: DoubleMatrix) -> DoubleMatrix {
        precondition(columns == other.rows, "matmul: \(rows) × \(columns) · \(other.rows) × \(other.columns)")
        var out = DoubleMatrix(rows: rows, columns: other.columns)
        guard rows > 0, other.columns > 0 else { return out }
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    dgemm(m: rows, n: other.columns, k: columns, a: a.baseAddress!, lda: columns, b: b.baseAddress!, ldb: other.columns,
                          c: c.baseAddress!, ldc: other.columns)
                }
            }
        }
        return out
    }

    /// Σ of squared elements, square-rooted.
    public var frobeniusNorm: Double {
        values.withUnsafeBufferPointer { p in p.isEmpty ? 0 : ddot(p.count, p.baseAddress!, 1, p.baseAddress!, 1).squareRoot() }
    }

    /// The thin QR decomposition by Householder reflections: M = Q·R with Q [rows, k] having
    /// orthonormal columns and R [k, columns] upper triangular (trapezoidal when wide),
    /// k = min(rows, columns). Works for any rank.
    public func qrDecomposition() -> (q: DoubleMatrix, r: DoubleMatrix) { householderQR(formingQ: true) }

    /// R alone (Q is not formed). Since ‖Q·Y‖_F = ‖Y‖_F, R stands in for M in any Frobenius norm
    /// of a product M·X at the size of M's smaller side (RᵀR = MᵀM).
    public func qrR() -> DoubleMatrix { householderQR(formingQ: false).r }

    private func householderQR(formingQ: Bool) -> (q: DoubleMatrix, r: DoubleMatrix) {
        let (m, n) = (rows, columns), k = min(rows, columns)
        var columnsOfA = transposed.values  // column j at [j·m ..< (j+1)·m]
        var reflectors: [(start: Int, v: [Double], vv: Double)] = []
        columnsOfA.withUnsafeMutableBufferPointer { a in
            guard let base = a.baseAddress else { return }
            for c in 0..<k {
                let x = base + c * m + c, length = m - c
                let norm = ddot(length, x, 1, x, 1).squareRoot()
                if norm == 0 { continue }
                let alpha = x[0] >= 0 ? -norm : norm
                var v = Array(UnsafeBufferPointer(start: x, count: length))  // v = x − αe₁
                v[0] -= alpha
                let vv = v.withUnsafeBufferPointer { ddot(length, $0.baseAddress!, 1, $0.baseAddress!, 1) }
                if vv == 0 { continue }
                v.withUnsafeBufferPointer { v in
                    for j in (c + 1)..<max(n, c + 1) {
                        let column = base + j * m + c
                        daxpy(length, -2 * ddot(length, v.baseAddress!, 1, column, 1) / vv, v.baseAddress!, 1, column, 1)
                    }
                }
                x[0] = alpha
                for i in 1..<max(length, 1) { x[i] = 0 }
                if formingQ { reflectors.append((c, v, vv)) }
            }
        }
        var r = DoubleMatrix(rows: k, columns: n)
        for i in 0..<k { for j in i..<n { r.values[i * n + j] = columnsOfA[j * m + i] } }
        guard formingQ else { return (DoubleMatrix(rows: 0, columns: 0), r) }
        // Q = H₀·H₁·…·I[:, :k], applied right to left to the columns of the identity.
        var columnsOfQ = [Double](repeating: 0, count: m * k)
        for j in 0..<k { columnsOfQ[j * m + j] = 1 }
        columnsOfQ.withUnsafeMutableBufferPointer { q in
            for (start, v, vv) in reflectors.reversed() {
                v.withUnsafeBufferPointer { v in
                    for j in 0..<k {
                        let column = q.baseAddress! + j * m + start
                        daxpy(v.count, -2 * ddot(v.count, v.baseAddress!, 1, column, 1) / vv, v.baseAddress!, 1, column, 1)
                    }
                }
            }
        }
        return (DoubleMatrix(validRows: k, columns: m, values: columnsOfQ).transposed, r)
    }
}

/// A thin singular value decomposition `M = U · diag(S) · Vᵀ` of an m × n matrix, k = min(m, n).
public struct SingularValueDecomposition: Sendable {
    /// [m, k], orthonormal columns.
    public let u: DoubleMatrix
    /// [k], non-negative, descending.
    public let singularValues: [Double]
    /// [n, k], orthonormal columns (V itself, not Vᵀ, as `torch.svd` and TransformerLens).
    public let v: DoubleMatrix
}

/// The eigendecomposition `M = Q · diag(λ) · Qᵀ` of a symmetric matrix.
public struct SymmetricEigendecomposition: Sendable {
    /// [n], descending.
    public let eigenvalues: [Double]
    /// [n, n], column i is the unit eigenvector of eigenvalue i.
    public let eigenvectors: DoubleMatrix
}

extension DoubleMatrix {
    /// The thin SVD by one-sided (Hestenes) Jacobi: columns are rotated in pairs until all are
    /// mutually orthogonal; their norms are the singular values. Accurate to a few ulps relative
    /// to the largest singular value. Wide matrices are decomposed through their transpose; the
    /// left singular vectors of exactly zero singular values are completed to an orthonormal set.
    public func singularValueDecomposition() throws -> SingularValueDecomposition {
        if rows < columns {
            let t = try transposed.singularValueDecomposition()
            return SingularValueDecomposition(u: t.v, singularValues: t.singularValues, v: t.u)
        }
        let (m, n) = (rows, columns)
        // Columns of M (and of V) stored contiguously: work[j·m + i] = M[i, j].
        var work = transposed.values
        var vColumns = DoubleMatrix.identity(n).values
        let tolerance = Double.ulpOfOne * Double(max(m, 1))
        var converged = n < 2
        for _ in 0..<80 where !converged {
            var rotated = false
            work.withUnsafeMutableBufferPointer { w in
                vColumns.withUnsafeMutableBufferPointer { v in
                    let (w, v) = (w.baseAddress!, v.baseAddress!)
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n {
                            let (x, y) = (w + p * m, w + q * m)
                            let alpha = ddot(m, x, 1, x, 1), beta = ddot(m, y, 1, y, 1), gamma = ddot(m, x, 1, y, 1)
                            if gamma == 0 || abs(gamma) <= tolerance * (alpha * beta).squareRoot() { continue }
                            rotated = true
                            let zeta = (beta - alpha) / (2 * gamma)
                            let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                            let c = 1 / (1 + t * t).squareRoot(), s = c * t
                            drotate(m, x, 1, y, 1, c: c, s: s)
                            drotate(n, v + p * n, 1, v + q * n, 1, c: c, s: s)
                        }
                    }
                }
            }
            converged = !rotated
        }
        guard converged else { throw AnalysisError.noConvergence(algorithm: "Jacobi SVD", iterations: 80) }

        let norms = (0..<n).map { j in work[(j * m)..<((j + 1) * m)].reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let order = (0..<n).sorted { norms[$0] > norms[$1] || (norms[$0] == norms[$1] && $0 < $1) }
        var u = DoubleMatrix(rows: m, columns: n), v = DoubleMatrix(rows: n, columns: n)
        var missing: [Int] = []
        for (k, j) in order.enumerated() {
            for i in 0..<n { v.values[i * n + k] = vColumns[j * n + i] }
            if norms[j] > 0 && norms[j].isFinite {
                for i in 0..<m { u.values[i * n + k] = work[j * m + i] / norms[j] }
            } else {
                missing.append(k)
            }
        }
        if !missing.isEmpty { u.completeOrthonormalColumns(missing) }
        return SingularValueDecomposition(u: u, singularValues: order.map { norms[$0] }, v: v)
    }

    /// Fills `columnsToFill` (currently zero) with unit vectors orthogonal to every other column,
    /// by Gram–Schmidt (twice) on the standard basis.
    mutating func completeOrthonormalColumns(_ columnsToFill: [Int]) {
        var filled = Set(0..<columns).subtracting(columnsToFill)
        var candidate = 0
        for target in columnsToFill {
            while candidate < rows {
                var x = [Double](repeating: 0, count: rows)
                x[candidate] = 1
                candidate += 1
                for _ in 0..<2 {
                    for j in filled {
                        var dot = 0.0
                        for i in 0..<rows { dot += x[i] * values[i * columns + j] }
                        for i in 0..<rows { x[i] -= dot * values[i * columns + j] }
                    }
                }
                let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 0.5 {
                    for i in 0..<rows { values[i * columns + target] = x[i] / norm }
                    filled.insert(target)
                    break
                }
            }
        }
    }

    /// The eigendecomposition of a symmetric matrix by cyclic Jacobi rotations (only the upper
    /// triangle's symmetric part matters). Eigenvalues descending, with unit eigenvectors.
    public func symmetricEigendecomposition() throws -> SymmetricEigendecomposition {
        guard rows == columns else { throw AnalysisError.notSquare(what: "symmetric eigendecomposition", found: [rows, columns]) }
        let n = rows
        var a = self.values
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { let s = (a[i * n + j] + a[j * n + i]) / 2; a[i * n + j] = s; a[j * n + i] = s } }
        var vectors = DoubleMatrix.identity(n).values
        let threshold = Double.ulpOfOne * a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        var converged = n < 2
        for _ in 0..<100 where !converged {
            var rotated = false
            a.withUnsafeMutableBufferPointer { a in
                vectors.withUnsafeMutableBufferPointer { v in
                    let (a, v) = (a.baseAddress!, v.baseAddress!)
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n where abs(a[p * n + q]) > threshold {
                            rotated = true
                            let apq = a[p * n + q]
                            let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                            let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                            let c = 1 / (t * t + 1).squareRoot(), s = t * c
                            drotate(n, a + p, n, a + q, n, c: c, s: s)              // columns p, q
                            drotate(n, a + p * n, 1, a + q * n, 1, c: c, s: s)      // rows p, q
                            a[p * n + q] = 0
                            a[q * n + p] = 0
                            drotate(n, v + p, n, v + q, n, c: c, s: s)              // eigenvector columns
                        }
                    }
                }
            }
            converged = !rotated
        }
        guard converged else { throw AnalysisError.noConvergence(algorithm: "Jacobi eigendecomposition", iterations: 100) }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] || (a[$0 * n + $0] == a[$1 * n + $1] && $0 < $1) }
        var q = DoubleMatrix(rows: n, columns: n)
        for (k, j) in order.enumerated() { for i in 0..<n { q.values[i * n + k] = vectors[i * n + j] } }
        return SymmetricEigendecomposition(eigenvalues: order.map { a[$0 * n + $0] }, eigenvectors: q)
    }
}

/// What went wrong in an analysis routine: a tensor of the wrong shape, an argument out of
/// range, or an iteration that did not converge.
public enum AnalysisError: Error, CustomStringConvertible, Equatable {
    case invalidShape(what: String, expected: String, found: [Int])
    case notSquare(what: String, found: [Int])
    case invalidArgument(String)
    case noConvergence(algorithm: String, iterations: Int)

    public var description: String {
        switch self {
        case let .invalidShape(what, expected, found): "\(what) must have shape \(expected); found \(found)"
        case let .notSquare(what, found): "\(what) needs a square matrix; found shape \(found)"
        case let .invalidArgument(reason): reason
        case let .noConvergence(algorithm, iterations): "\(algorithm) did not converge in \(iterations) iterations"
        }
    }
}
