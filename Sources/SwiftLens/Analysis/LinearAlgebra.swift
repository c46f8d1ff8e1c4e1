import Foundation

/// A small dense matrix of `Double`s, row-major, for the decompositions the circuit analysis
/// needs (singular values of factored circuits, eigenvalues of OV circuits, PCA).
///
/// The weights are `Float`, but the decompositions run in `Double`: a Jacobi sweep or a QR
/// iteration accumulates thousands of rotations, and in single precision the results would be
/// good to ~1e-5 at best. The matrices involved are small (d_head × d_head cores, d_model-sized
/// factors, n_checkpoints-sized Gram matrices), so the plain O(n³) algorithms here are enough:
/// `singularValueDecomposition()` and `symmetricEigendecomposition()` below, general
/// `eigenvalues()` in GeneralEigenvalues.swift.
public struct DoubleMatrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// The elements in row-major order, `rows · columns` of them.
    public var values: [Double]

    /// A matrix of `rows × columns` holding `values` in row-major order.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw AnalysisError.invalidArgument("a \(rows) × \(columns) matrix needs \(max(rows * columns, 0)) values; found \(values.count)")
        }
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
        let (n, k) = (other.columns, columns)
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    for i in 0..<rows {
                        for l in 0..<k {
                            let x = a[i * k + l]
                            if x == 0 { continue }
                            for j in 0..<n { c[i * n + j] += x * b[l * n + j] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Σ of squared elements, square-rooted.
    public var frobeniusNorm: Double { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }
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
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n {
                            var alpha = 0.0, beta = 0.0, gamma = 0.0
                            for i in 0..<m {
                                let (x, y) = (w[p * m + i], w[q * m + i])
                                alpha += x * x; beta += y * y; gamma += x * y
                            }
                            if gamma == 0 || abs(gamma) <= tolerance * (alpha * beta).squareRoot() { continue }
                            rotated = true
                            let zeta = (beta - alpha) / (2 * gamma)
                            let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                            let c = 1 / (1 + t * t).squareRoot(), s = c * t
                            for i in 0..<m {
                                let (x, y) = (w[p * m + i], w[q * m + i])
                                w[p * m + i] = c * x - s * y
                                w[q * m + i] = s * x + c * y
                            }
                            for i in 0..<n {
                                let (x, y) = (v[p * n + i], v[q * n + i])
                                v[p * n + i] = c * x - s * y
                                v[q * n + i] = s * x + c * y
                            }
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
                    for p in 0..<(n - 1) {
                        for q in (p + 1)..<n where abs(a[p * n + q]) > threshold {
                            rotated = true
                            let apq = a[p * n + q]
                            let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                            let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                            let c = 1 / (t * t + 1).squareRoot(), s = t * c
                            for k in 0..<n {  // columns p, q
                                let (x, y) = (a[k * n + p], a[k * n + q])
                                a[k * n + p] = c * x - s * y
                                a[k * n + q] = s * x + c * y
                            }
                            for k in 0..<n {  // rows p, q
                                let (x, y) = (a[p * n + k], a[q * n + k])
                                a[p * n + k] = c * x - s * y
                                a[q * n + k] = s * x + c * y
                            }
                            a[p * n + q] = 0
                            a[q * n + p] = 0
                            for k in 0..<n {
                                let (x, y) = (v[k * n + p], v[k * n + q])
                                v[k * n + p] = c * x - s * y
                                v[k * n + q] = s * x + c * y
                            }
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
