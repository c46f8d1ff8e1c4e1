import Foundation
import LensKernels

/// Principal component analysis of a data matrix [n_samples, n_features], mean-centred (not
/// standardised), as scikit-learn's `PCA` without whitening.
///
/// Computed in `Double` from the eigendecomposition of the smaller Gram matrix: XᵀX
/// [n_features, n_features] when there are more samples than features, else XXᵀ
/// [n_samples, n_samples] (a few hundred checkpoints × thousands of tokens, the per-token loss
/// case, needs only the small one). Each component's sign is fixed so that its largest-magnitude
/// entry is positive, which makes the result deterministic.
public struct PrincipalComponents: Sendable {
    /// The mean of each feature, [n_features].
    public let mean: Tensor
    /// Unit principal axes, [k, n_features], by decreasing variance.
    public let components: Tensor
    /// The variance along each axis (n − 1 denominator), [k].
    public let explainedVariance: Tensor
    /// Each axis's share of the total variance, [k].
    public let explainedVarianceRatio: Tensor
    /// The samples in component coordinates, (x − mean)·componentsᵀ, [n_samples, k].
    public let projected: Tensor

    /// The first `count` principal components of `data` [n_samples, n_features] (default: all
    /// min(n_samples − 1, n_features) that centring leaves).
    public init(_ data: Tensor, components count: Int? = nil) throws {
        guard data.rank == 2, data.shape[0] >= 2, data.shape[1] >= 1 else {
            throw AnalysisError.invalidShape(what: "PCA data", expected: "[n_samples ≥ 2, n_features ≥ 1]", found: data.shape)
        }
        let (n, f) = (data.shape[0], data.shape[1])
        let available = min(n - 1, f)
        let k = count ?? available
        guard (1...available).contains(k) else {
            throw AnalysisError.invalidArgument("PCA of \(n) samples × \(f) features has 1...\(available) components; \(k) requested")
        }
        var x = data.scalars.map(Double.init)
        var means = [Double](repeating: 0, count: f)
        for i in 0..<n { for j in 0..<f { means[j] += x[i * f + j] } }
        for j in 0..<f { means[j] /= Double(n) }
        for i in 0..<n { for j in 0..<f { x[i * f + j] -= means[j] } }
        let centred = try DoubleMatrix(rows: n, columns: f, values: x)

        // Eigenvalues λ of XᵀX (equal to the non-zero ones of XXᵀ) and unit axes [f, k] as columns.
        var axes = DoubleMatrix(rows: f, columns: k)
        let lambdas: [Double]
        if n > f {
            let eigen = try Self.gram(centred.transposed).symmetricEigendecomposition()
            lambdas = eigen.eigenvalues
            for i in 0..<f { for c in 0..<k { axes[i, c] = eigen.eigenvectors[i, c] } }
        } else {
            // v = Xᵀu / √λ for each eigenpair (λ, u) of XXᵀ.
            let eigen = try Self.gram(centred).symmetricEigendecomposition()
            lambdas = eigen.eigenvalues
            let u = eigen.eigenvectors
            var missing: [Int] = []
            for c in 0..<k {
                guard lambdas[c] > 1e-12 * max(lambdas[0], 0) else { missing.append(c); continue }
                let scale = 1 / lambdas[c].squareRoot()
                for i in 0..<n where u[i, c] != 0 {
                    let w = u[i, c] * scale
                    for j in 0..<f { axes.values[j * k + c] += w * x[i * f + j] }
                }
            }
            if !missing.isEmpty { axes.completeOrthonormalColumns(missing) }
        }
        for c in 0..<k {  // sign: largest-magnitude entry positive
            let column = (0..<f).map { axes[$0, c] }
            if let largest = column.indices.max(by: { abs(column[$0]) < abs(column[$1]) }), column[largest] < 0 {
                for i in 0..<f { axes[i, c] = -column[i] }
            }
        }
        let variances = lambdas.map { max($0, 0) }
        let total = variances.reduce(0, +)
        mean = Tensor(shape: [f], values: means.map(Float.init))
        components = axes.transposed.tensor
        explainedVariance = Tensor(shape: [k], values: variances.prefix(k).map { Float($0 / Double(n - 1)) })
        explainedVarianceRatio = Tensor(shape: [k], values: variances.prefix(k).map { Float(total > 0 ? $0 / total : 0) })
        projected = centred.matmul(axes).tensor
    }

    /// New samples [m, n_features] in component coordinates, [m, k].
    public func project(_ data: Tensor) throws -> Tensor {
        let f = mean.shape[0]
        guard data.rank == 2, data.shape[1] == f else {
            throw AnalysisError.invalidShape(what: "data to project", expected: "[n_samples, \(f)]", found: data.shape)
        }
        return (data - mean).matmul(components, transposeOther: true)
    }

    /// M·Mᵀ for M [r, c], in Double.
    static func gram(_ m: DoubleMatrix) -> DoubleMatrix {
        let (r, c) = (m.rows, m.columns)
        var g = DoubleMatrix(rows: r, columns: r)
        guard r > 0, c > 0 else { return g }
        m.values.withUnsafeBufferPointer { a in
            for i in 0..<r {
                for j in i..<r {
                    let dot = ddot(c, a.baseAddress! + i * c, 1, a.baseAddress! + j * c, 1)
                    g[i, j] = dot
                    g[j, i] = dot
                }
            }
        }
        return g
    }
}
