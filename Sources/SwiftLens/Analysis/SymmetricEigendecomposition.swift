import LensKernels

/// The eigendecomposition `M = Q · diag(λ) · Qᵀ` of a symmetric matrix.
public struct SymmetricEigendecomposition: Sendable {
    /// [n], descending.
    public let eigenvalues: [Double]
    /// [n, n], column i is the unit eigenvector of eigenvalue i.
    public let eigenvectors: DoubleMatrix
}

extension DoubleMatrix {
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
