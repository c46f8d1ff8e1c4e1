import LensKernels

/// A thin singular value decomposition `M = U · diag(S) · Vᵀ` of an m × n matrix, k = min(m, n).
public struct SingularValueDecomposition: Sendable {
    /// [m, k], orthonormal columns.
    public let u: DoubleMatrix
    /// [k], non-negative, descending.
    public let singularValues: [Double]
    /// [n, k], orthonormal columns (V itself, not Vᵀ, as `torch.svd` and TransformerLens).
    public let v: DoubleMatrix
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
}
