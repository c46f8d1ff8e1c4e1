import Foundation
import LensKernels

/// A small dense matrix of `Double`s, row-major, for the decompositions the circuit analysis
/// needs (singular values of factored circuits, eigenvalues of OV circuits, PCA).
///
/// The weights are `Float`, but the decompositions run in `Double`: a Jacobi sweep or a QR
/// iteration accumulates thousands of rotations, and in single precision the results would be
/// good to ~1e-5 at best. The matrices involved are small (d_head × d_head cores, d_model-sized
/// factors, n_checkpoints-sized Gram matrices), so the plain O(n³) algorithms here are enough:
/// `qrDecomposition()` below, `singularValueDecomposition()` (SingularValueDecomposition.swift),
/// `symmetricEigendecomposition()` (SymmetricEigendecomposition.swift) and general
/// `eigenvalues()` (DoubleMatrix+Eigenvalues.swift). Their inner loops are the
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
