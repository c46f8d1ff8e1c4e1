import Foundation

/// Which input of a later head reads an earlier head's output, for composition scores
/// (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits", two-layer
/// attention-only models; TransformerLens `transformer_lens/utilities/matrix.py`,
/// `composition_scores`).
public enum CompositionMode: String, Sendable, CaseIterable {
    /// The later head's queries: right = W_QK = W_Q W_Kᵀ.
    case q = "Q"
    /// The later head's keys: right = W_QKᵀ = W_K W_Qᵀ.
    case k = "K"
    /// The later head's values: right = W_OV = W_V W_O.
    case v = "V"
}

/// The weight-based circuit matrices of Elhage et al. (2021), as TransformerLens's `model.QK`,
/// `model.OV` and `all_composition_scores`. They read the raw weights: LayerNorm scales and
/// positional embeddings are left out, so for a model with LayerNorm they are approximations
/// (fold the norms first with `processed()` to include their weights).
extension HookedTransformer {
    /// The attention weights of every layer stacked, [n_layers, n_heads, …], with grouped-query
    /// key/value heads repeated for each query head they serve (as TransformerLens does).
    var stackedAttentionWeights: (query: Tensor, key: Tensor, value: Tensor, output: Tensor) {
        let group = config.nHeads / max(config.keyValueHeads, 1)
        func expand(_ w: Tensor) -> Tensor { group > 1 ? w.repeatedInterleave(group, axis: 0) : w }
        return (Tensor.stack(blocks.map(\.attn.wQ)), Tensor.stack(blocks.map { expand($0.attn.wK) }),
                Tensor.stack(blocks.map { expand($0.attn.wV) }), Tensor.stack(blocks.map(\.attn.wO)))
    }

    /// The QK circuit of every head, W_Q·W_Kᵀ: [n_layers, n_heads, d_model, d_model] of rank d_head.
    /// A query residual vector x_i attends to x_j with score x_i·W_QK·x_jᵀ / √d_head (plus bias terms).
    public var QK: FactoredMatrix {
        let w = stackedAttentionWeights
        return FactoredMatrix(validated: w.query, w.key.transposed(), leading: [config.nLayers, config.nHeads])
    }

    /// The OV circuit of every head, W_V·W_O: [n_layers, n_heads, d_model, d_model] of rank d_head.
    /// A head attending to x_j writes x_j·W_OV into the residual stream (plus bias terms).
    public var OV: FactoredMatrix {
        let w = stackedAttentionWeights
        return FactoredMatrix(validated: w.value, w.output, leading: [config.nLayers, config.nHeads])
    }

    /// The full QK circuit W_E·W_QK·W_Eᵀ [n_layers, n_heads, d_vocab, d_vocab]: the attention score
    /// between token embeddings (query token = row, key token = column).
    public func fullQKCircuit() throws -> FactoredMatrix {
        let wE = embed.wE
        return try wE.matmul(QK).matmul(wE.transposed())
    }

    /// The full OV circuit W_E·W_OV·W_U [n_layers, n_heads, d_vocab, d_vocab_out]: the logits a
    /// head writes when it attends to a token (row) — direct path only.
    public func fullOVCircuit() throws -> FactoredMatrix {
        try embed.wE.matmul(OV).matmul(unembed.wU)
    }

    /// Composition scores between every earlier head (L1, H1) and later head (L2, H2),
    /// [n_layers, n_heads, n_layers, n_heads], TransformerLens's `all_composition_scores(mode)`:
    /// ‖W_OV(L1,H1)·W(L2,H2)‖_F / (‖W_OV(L1,H1)‖_F·‖W(L2,H2)‖_F), W = W_QK, W_QKᵀ or W_OV by
    /// `mode`; zero unless L1 < L2.
    public func allCompositionScores(_ mode: CompositionMode) throws -> Tensor {
        let right = switch mode {
        case .q: QK
        case .k: QK.transposed
        case .v: OV
        }
        let scores = try FactoredMatrix.compositionScores(left: OV, right: right)
        let (layers, heads) = (config.nLayers, config.nHeads)
        let layerOf = (0..<scores.count).map { (first: $0 / (heads * layers * heads), second: ($0 / heads) % layers) }
        return Tensor(shape: scores.shape, values: zip(scores.scalars, layerOf).map { $1.first < $1.second ? $0 : 0 })
    }

    /// The composition scores of random matrices of this model's shapes (d_model, d_head):
    /// the baseline an observed score should be compared with.
    public func randomCompositionBaseline(samples: Int = 200, seed: UInt64 = 0) throws -> CompositionBaseline {
        try CompositionBaseline(dModel: config.dModel, dHead: config.dHead, samples: samples, seed: seed)
    }

    /// The three copying measures of every head's full OV circuit (induction.md §1.2); the
    /// top-1 accuracy, quadratic in the vocabulary, only if `topOneAccuracy`.
    public func copyingScores(topOneAccuracy: Bool = true) throws -> CopyingScores {
        try CopyingScores(fullOVCircuit: fullOVCircuit(), topOneAccuracy: topOneAccuracy)
    }
}

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

/// Composition scores of random low-rank matrices: left = W₁W₂ᵀ and right = W₃W₄ᵀ with four
/// independent Gaussian [d_model, d_head] factors (induction.md §1.8; ARENA uses Kaiming-uniform
/// factors, which give the same distribution to within its noise). For d_model 64, d_head 16
/// the reference reports 0.124 ± 0.008.
public struct CompositionBaseline: Sendable {
    /// The mean score.
    public let mean: Float
    /// The sample standard deviation (n − 1 denominator).
    public let standardDeviation: Float
    /// Every sampled score.
    public let scores: [Float]

    /// `samples` scores drawn with a generator seeded by `seed` (same seed, same scores).
    public init(dModel: Int, dHead: Int, samples: Int = 200, seed: UInt64 = 0) throws {
        guard dModel > 0, dHead > 0, samples > 1 else {
            throw AnalysisError.invalidArgument("a composition baseline needs d_model, d_head > 0 and at least 2 samples; found \(dModel), \(dHead), \(samples)")
        }
        var generator = RandomGenerator(seed: seed)
        func factor() -> DoubleMatrix {
            var m = DoubleMatrix(rows: dModel, columns: dHead)
            for i in m.values.indices { m.values[i] = generator.nextNormal() }
            return m
        }
        var drawn: [Float] = []
        for _ in 0..<samples {
            let (w1, w2, w3, w4) = (factor(), factor(), factor(), factor())
            // left = w1·w2ᵀ and right = w3·w4ᵀ, collapsed: ‖left·X‖ = ‖R₁·w2ᵀ·X‖, ‖X·right‖ = ‖X·w3·R₄ᵀ‖.
            let leftCore = w1.qrR().matmul(w2.transposed), rightCore = w3.matmul(w4.qrR().transposed)
            let score = leftCore.matmul(rightCore).frobeniusNorm / (leftCore.frobeniusNorm * rightCore.frobeniusNorm)
            drawn.append(Float(score))
        }
        let mean = drawn.reduce(0.0) { $0 + Double($1) } / Double(samples)
        let variance = drawn.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(samples - 1)
        self.mean = Float(mean)
        standardDeviation = Float(variance.squareRoot())
        scores = drawn
    }
}

/// How much each head copies the token it attends to, from its full OV circuit
/// M = W_E·W_V·W_O·W_U (induction.md §1.2). Each is [n_layers, n_heads] (or the leading shape of
/// the circuit it was computed from).
public struct CopyingScores: Sendable {
    /// Re(Σλ)/Σ|λ| over the eigenvalues λ of M (Elhage et al.): +1 for a pure copying head, −1
    /// for pure anti-copying; 0 for a head whose circuit is zero. M's non-zero eigenvalues are
    /// those of the d_head × d_head product (W_O·W_U)·(W_E·W_V).
    public let eigenvalueScore: Tensor
    /// #{Re λ > 0} / #{λ ≠ 0} (a coarser, tutorial variant); |λ| ≤ 1e-6·max|λ| counts as zero.
    public let positiveEigenvalueFraction: Tensor
    /// The fraction of tokens t whose row of M has its largest logit at t (ARENA `top_1_acc`);
    /// nil when not asked for (it costs 2·d_vocab²·d_head flops per head: 46 TFLOP for GPT-2 small).
    public let topOneAccuracy: Tensor?

    /// The scores of a square factored full OV circuit [..., d_vocab, d_vocab]. Row blocks of M
    /// are materialised 1,024 tokens at a time for the top-1 accuracy.
    public init(fullOVCircuit circuit: FactoredMatrix, topOneAccuracy withTopOne: Bool = true) throws {
        let (re, im) = try circuit.eigenvalues
        let m = circuit.mdim
        var scores: [Float] = [], fractions: [Float] = []
        let (reals, imaginaries) = (re.scalars, im.scalars)
        for start in stride(from: 0, to: reals.count, by: max(m, 1)) {
            let pairs = (start..<(start + m)).map { (real: Double(reals[$0]), imaginary: Double(imaginaries[$0])) }
            scores.append(Float(Self.eigenvalueScore(pairs)))
            fractions.append(Float(Self.positiveFraction(pairs)))
        }
        let shape = circuit.leadingShape
        eigenvalueScore = Tensor(shape: shape, values: scores)
        positiveEigenvalueFraction = Tensor(shape: shape, values: fractions)
        topOneAccuracy = withTopOne ? Self.topOneAccuracy(circuit) : nil
    }

    /// The top-1 accuracy of every matrix of a square factored circuit, [leading shape].
    public static func topOneAccuracy(_ circuit: FactoredMatrix) -> Tensor {
        var accuracies: [Float] = []
        let (vocabulary, m, blockRows) = (circuit.ldim, circuit.mdim, 1024)
        let (a, b) = (circuit.A.reshaped([-1, vocabulary, m]), circuit.B.reshaped([-1, m, circuit.rdim]))
        for head in 0..<circuit.batch {
            var correct = 0
            let (rows, columns) = (a[head], b[head])
            for first in stride(from: 0, to: vocabulary, by: blockRows) {
                let best = rows[first..<min(first + blockRows, vocabulary)].matmul(columns).argmax(axis: -1).scalars
                correct += best.enumerated().filter { $0.element == first + $0.offset }.count
            }
            accuracies.append(Float(correct) / Float(max(vocabulary, 1)))
        }
        return Tensor(shape: circuit.leadingShape, values: accuracies)
    }

    /// Re(Σλ)/Σ|λ| (0 when every eigenvalue is zero).
    public static func eigenvalueScore(_ eigenvalues: [(real: Double, imaginary: Double)]) -> Double {
        let total = eigenvalues.reduce(0.0) { $0 + ($1.real * $1.real + $1.imaginary * $1.imaginary).squareRoot() }
        return total > 0 ? eigenvalues.reduce(0.0) { $0 + $1.real } / total : 0
    }

    /// #{Re λ > 0} / #{|λ| > 1e-6·max|λ|} (0 when every eigenvalue is zero).
    public static func positiveFraction(_ eigenvalues: [(real: Double, imaginary: Double)]) -> Double {
        let magnitudes = eigenvalues.map { ($0.real * $0.real + $0.imaginary * $0.imaginary).squareRoot() }
        let cutoff = 1e-6 * (magnitudes.max() ?? 0)
        let nonZero = zip(eigenvalues, magnitudes).filter { $0.1 > cutoff }
        guard !nonZero.isEmpty else { return 0 }
        return Double(nonZero.filter { $0.0.real > 0 }.count) / Double(nonZero.count)
    }
}
