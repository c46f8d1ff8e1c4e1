extension FactoredMatrix {
    /// ‖L·R‖_F / (‖L‖_F·‖R‖_F) for every matrix L of `left` and R of `right`, shape
    /// left.leadingShape + right.leadingShape (TransformerLens `composition_scores` with
    /// broadcast_dims). As in TransformerLens, L and R are first collapsed to their small cores
    /// with the same norms (here through QR factors instead of SVDs: C_L [k, d] with
    /// ‖L·X‖ = ‖C_L·X‖ and C_R [d, k] with ‖X·R‖ = ‖X·C_R‖), then every pair's C_L·C_R comes
    /// from one matrix product.
    public static func compositionScores(left: FactoredMatrix, right: FactoredMatrix) throws -> Tensor {
        guard left.rdim == right.ldim else {
            throw AnalysisError.invalidShape(what: "right matrix of a composition score", expected: "[..., \(left.rdim), n] to match left \(left.shape)",
                                             found: right.shape)
        }
        let (leftCores, rightCores) = (try left.rowCores(), try right.columnCores())
        let d = left.rdim, kl = min(left.ldim, left.mdim), kr = min(right.mdim, right.rdim)
        let (nl, nr) = (leftCores.count, rightCores.count)
        // [nl·kl, d] · [d, nr·kr]: block (i, j) is C_L(i)·C_R(j); done for a few left matrices at a
        // time so that the product stays under ~16M elements (GPT-2 small: 144 × 144 heads).
        let rows = Tensor(shape: [nl * kl, d], values: leftCores.flatMap { $0.values.map(Float.init) })
        let columns = Tensor(shape: [nr, d, kr], values: rightCores.flatMap { $0.values.map(Float.init) }).permuted(1, 0, 2).reshaped(d, nr * kr)
        var squaredNorms: [Float] = []  // ‖C_L(i)·C_R(j)‖², row-major over (i, j)
        let chunk = max(1, (1 << 24) / max(kl * nr * kr, 1))
        for first in stride(from: 0, to: nl, by: chunk) {
            let last = min(first + chunk, nl)
            let products = rows[(first * kl)..<(last * kl)].matmul(columns)
            squaredNorms += products.reshaped(last - first, kl, nr, kr).square().sum(axes: [1, 3]).scalars
        }
        let (leftNorms, rightNorms) = (leftCores.map(\.frobeniusNorm), rightCores.map(\.frobeniusNorm))
        let scores = squaredNorms.enumerated().map { index, value in
            Float(Double(value).squareRoot() / (leftNorms[index / max(nr, 1)] * rightNorms[index % max(nr, 1)]))
        }
        return Tensor(shape: left.leadingShape + right.leadingShape, values: scores)
    }
}
