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
