/// How much each head copies the token it attends to, read from the weights alone — its full OV
/// circuit M = W_E·W_V·W_O·W_U (induction.md §1.2), direct path only. Each is [n_layers, n_heads]
/// (or the leading shape of the circuit it was computed from). `model.ovCopyingScores()` computes
/// them; ``LogitCopyingScore`` is the behavioural measure, on tokens through the real forward pass.
public struct OVCopyingScores: Sendable {
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
