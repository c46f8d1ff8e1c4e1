import Foundation
import SwiftLens
import Testing

/// FactoredMatrix operations against the products they stand for, the circuit analyses against
/// TransformerLens's `analysis.safetensors` for the four classic fixture models, the copying
/// scores and the random composition baseline against known answers, and the per-token-loss
/// trajectory on checkpoints of a tiny training run.
@Suite struct CircuitsTests {
    static let models = ["attn2l", "gpt2tiny", "llamatiny", "shortformer"]

    static func expectClose(_ got: Tensor, _ want: Tensor, _ tolerance: Float, _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == want.shape, "\(label): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
        guard got.shape == want.shape else { return }
        let diff = got.maxAbsoluteDifference(want)
        #expect(diff <= tolerance, "\(label): max |Δ| = \(diff)", sourceLocation: sourceLocation)
    }

    // MARK: FactoredMatrix

    @Test func factoredMatrixAgreesWithTheMaterialisedProduct() throws {
        let a = Tensor.randomNormal([2, 3, 6, 4], seed: 1), b = Tensor.randomNormal([2, 3, 4, 5], seed: 2)
        let m = try FactoredMatrix(a, b)
        let ab = a.matmul(b)
        #expect(m.shape == [2, 3, 6, 5] && m.ldim == 6 && m.mdim == 4 && m.rdim == 5)
        Self.expectClose(m.AB, Tensor.stack((0..<6).map { a.reshaped(6, 6, 4)[$0].matmul(b.reshaped(6, 4, 5)[$0]) }).reshaped(2, 3, 6, 5), 1e-5, "AB")
        Self.expectClose(m.transposed.AB, ab.transposed(), 1e-5, "transposed")

        // SVD: reconstruction, orthonormal U and V, and the singular values of AB itself.
        let (u, s, v) = try m.svd()
        #expect(u.shape == [2, 3, 6, 4] && s.shape == [2, 3, 4] && v.shape == [2, 3, 5, 4])
        Self.expectClose((u * s.unsqueezed(axis: -2)).matmul(v, transposeOther: true), ab, 1e-5, "U·S·Vᵀ")
        Self.expectClose(u.matmul(u, transposeSelf: true), Tensor.eye(4).expanded(to: [2, 3, 4, 4]), 1e-5, "UᵀU")
        Self.expectClose(v.matmul(v, transposeSelf: true), Tensor.eye(4).expanded(to: [2, 3, 4, 4]), 1e-5, "VᵀV")
        let direct = try DoubleMatrix(ab[1, 2]).singularValueDecomposition().singularValues.prefix(4).map(Float.init)
        Self.expectClose(s[1, 2], Tensor(direct), 1e-5, "S of one matrix")
        Self.expectClose(try m.frobeniusNorm, ab.square().sum(axes: [2, 3]).sqrt(), 1e-5, "norm")
        Self.expectClose(try m.frobeniusNorm, s.square().sum(axis: -1).sqrt(), 1e-5, "norm = √ΣS²")
        Self.expectClose(u.matmul(try m.collapseLeft()), ab, 1e-5, "U·collapseLeft")
        Self.expectClose(try m.collapseRight().matmul(v, transposeOther: true), ab, 1e-5, "collapseRight·Vᵀ")
        let even = try m.makeEven()
        Self.expectClose(even.AB, ab, 1e-5, "makeEven")
        Self.expectClose(even.A.square().sum(axes: [2, 3]), even.B.square().sum(axes: [2, 3]), 1e-4, "makeEven balances the factors")

        // Indexing and corners.
        Self.expectClose(try m[1, 2].AB, ab[1, 2], 1e-5, "m[1, 2]")
        Self.expectClose(try m[-1].AB, ab[1], 1e-5, "m[-1]")
        #expect(try m[1].shape == [3, 6, 5])
        #expect(throws: AnalysisError.self) { try m[2] }
        #expect(throws: AnalysisError.self) { try m[0, 0, 0] }
        Self.expectClose(try m.corner(2), ab[..<2, ..<2, ..<2, ..<2], 1e-5, "corner")
        Self.expectClose((m * 3).AB, ab * 3, 1e-4, "scalar")
        Self.expectClose((-0.5 * m).AB, ab * -0.5, 1e-5, "scalar on the left")
    }

    @Test func factoredProductsRefactorAndMatchDenseProducts() throws {
        let a = Tensor.randomNormal([6, 3], seed: 3), b = Tensor.randomNormal([3, 5], seed: 4)
        let m = try FactoredMatrix(a, b), ab = a.matmul(b)
        let wide = Tensor.randomNormal([5, 7], seed: 5), narrow = Tensor.randomNormal([5, 2], seed: 6)
        let mw = try m.matmul(wide)  // rdim 5 > mdim 3: A·(B·wide), inner dimension stays 3
        #expect(mw.mdim == 3 && mw.shape == [6, 7])
        Self.expectClose(mw.AB, ab.matmul(wide), 1e-4, "M·C")
        let tall = try FactoredMatrix(Tensor.randomNormal([4, 6], seed: 7), Tensor.randomNormal([6, 5], seed: 8))
        let tn = try tall.matmul(narrow)  // rdim 5 ≤ mdim 6: (A·B)·C, inner dimension becomes 5
        #expect(tn.mdim == 5)
        Self.expectClose(tn.AB, tall.AB.matmul(narrow), 1e-4, "M·C (AB branch)")
        let left = Tensor.randomNormal([2, 4, 6], seed: 9)
        let lm = try left.matmul(m)  // leading axes broadcast from the left operand
        #expect(lm.shape == [2, 4, 5] && lm.mdim == 3)
        Self.expectClose(lm.AB, left.matmul(ab), 1e-4, "C·M")
        let other = try FactoredMatrix(Tensor.randomNormal([5, 2], seed: 10), Tensor.randomNormal([2, 4], seed: 11))
        Self.expectClose(try m.matmul(other).AB, ab.matmul(other.AB), 1e-4, "M·N")
        let column = Tensor.randomNormal([5], seed: 12), row = Tensor.randomNormal([6], seed: 13)
        Self.expectClose(try m.multiplyingColumnVector(column), ab.matmul(column), 1e-4, "M·v")
        Self.expectClose(try m.multiplyingRowVector(row), row.matmul(ab), 1e-4, "v·M")

        // Broadcasting leading axes: [3] with [2, 1] → [2, 3].
        let broadcast = try FactoredMatrix(Tensor.randomNormal([3, 6, 4], seed: 14), Tensor.randomNormal([2, 1, 4, 5], seed: 15))
        #expect(broadcast.shape == [2, 3, 6, 5])
        Self.expectClose(try broadcast[1, 2].AB, broadcast.A[1, 2].matmul(broadcast.B[1, 2]), 1e-5, "broadcast")

        // Eigenvalues of a square M from B·A: AB's three non-zero eigenvalues (its other two are 0).
        let square = try FactoredMatrix(a[..<5], b)
        let (re, im) = try square.eigenvalues
        let dense = try DoubleMatrix(square.AB).eigenvalues()
        #expect(re.shape == [3] && im.shape == [3] && dense.filter { hypot($0.real, $0.imaginary) < 1e-5 }.count == 2)
        for (x, y) in zip(re.scalars, im.scalars) {
            #expect(dense.contains { abs($0.real - Double(x)) < 1e-4 && abs($0.imaginary - Double(y)) < 1e-4 }, "λ = \(x) + \(y)i")
        }
        #expect(throws: AnalysisError.self) { try m.BA }
        #expect(throws: AnalysisError.self) { try m.eigenvalues }

        // Shape errors throw.
        #expect(throws: AnalysisError.self) { try FactoredMatrix(a, Tensor.zeros([4, 5])) }
        #expect(throws: AnalysisError.self) { try FactoredMatrix(Tensor.zeros([3, 6, 4]), Tensor.zeros([2, 4, 5])) }
        #expect(throws: AnalysisError.self) { try FactoredMatrix(Tensor.zeros([4]), Tensor.zeros([4, 5])) }
        #expect(throws: AnalysisError.self) { try m.matmul(Tensor.zeros([6, 2])) }
        #expect(throws: AnalysisError.self) { try Tensor.zeros([2, 5]).matmul(m) }
        #expect(throws: AnalysisError.self) { try m.multiplyingColumnVector(row) }
    }

    // MARK: TransformerLens parity

    @Test(arguments: models)
    func compositionScoresMatchTransformerLens(fixture: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(fixture)"))
        let reference = try Fixtures.open("classic/\(fixture)/analysis.safetensors")
        for mode in CompositionMode.allCases {
            let got = try model.allCompositionScores(mode), want = try reference.tensor("composition.\(mode.rawValue)")
            Self.expectClose(got, want, 1e-4, "\(fixture) composition.\(mode.rawValue)")
            // Earlier → later layer only: layer 0 → 1 has scores, everything else is zero.
            #expect(got[0, .all, 1].min().scalar > 0 && got[1].abs().max().scalar == 0 && got[0, .all, 0].abs().max().scalar == 0)
        }
        // One pair recomputed from the materialised matrices.
        let (ov, qk) = (model.OV.AB, model.QK.AB)
        let (l, r) = (ov[0, 1], qk[1, 2].transposed())
        let expected = l.matmul(r).square().sum().sqrt() / (l.square().sum().sqrt() * r.square().sum().sqrt())
        #expect(abs(try model.allCompositionScores(.k)[0, 1, 1, 2].scalar - expected.scalar) < 1e-5)
    }

    @Test(arguments: models)
    func singularValuesMatchTransformerLens(fixture: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(fixture)"))
        let reference = try Fixtures.open("classic/\(fixture)/analysis.safetensors")
        for (name, circuit) in [("ov", model.OV), ("qk", model.QK)] {
            let got = try circuit.S, want = try reference.tensor("\(name).singular_values")
            #expect(got.shape == want.shape)
            let relative = ((got - want).abs() / want.max(axis: -1, keepDims: true)).max().scalar
            #expect(relative <= 1e-4, "\(fixture) \(name).singular_values: max |Δ| / σ_max = \(relative)")
        }
    }

    /// Each fixture eigenvalue matched to a distinct computed one within `tolerance` times the
    /// head's largest |λ|; returns the largest matched distance relative to it.
    static func multisetError(got: (real: Tensor, imaginary: Tensor), want: (real: Tensor, imaginary: Tensor), _ label: String) -> Double {
        let n = want.real.shape.last ?? 0
        let (gr, gi, wr, wi) = (got.real.scalars, got.imaginary.scalars, want.real.scalars, want.imaginary.scalars)
        var worst = 0.0
        for head in 0..<(wr.count / max(n, 1)) {
            let range = (head * n)..<((head + 1) * n)
            let scale = Double(range.map { hypot(wr[$0], wi[$0]) }.max() ?? 1)
            var unused = Array(range)
            for w in range.sorted(by: { hypot(wr[$0], wi[$0]) > hypot(wr[$1], wi[$1]) }) {
                let distance = { (g: Int) in Double(hypot(gr[g] - wr[w], gi[g] - wi[w])) }
                guard let best = unused.min(by: { distance($0) < distance($1) }) else { return .infinity }
                worst = max(worst, distance(best) / scale)
                unused.removeAll { $0 == best }
            }
        }
        return worst
    }

    @Test(arguments: models)
    func ovEigenvaluesMatchTransformerLensAsMultisets(fixture: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(fixture)"))
        let reference = try Fixtures.open("classic/\(fixture)/analysis.safetensors")
        for (name, circuit) in [("ov", model.OV), ("ov_full", try model.fullOVCircuit())] {
            let want = (try reference.tensor("\(name).eigenvalues.real"), try reference.tensor("\(name).eigenvalues.imag"))
            let got = try circuit.eigenvalues
            #expect(got.real.shape == want.0.shape && got.imaginary.shape == want.1.shape)
            let error = Self.multisetError(got: got, want: want, name)
            #expect(error <= 1e-4, "\(fixture) \(name).eigenvalues: max matched |Δλ| / max|λ| = \(error)")
            // The comparison can fail: moving one computed eigenvalue by 1 breaks the match.
            let shifted = (got.real + Tensor(shape: got.real.shape, initializingWith: { p in for i in p.indices { p[i] = i == 0 ? 1 : 0 } }),
                           got.imaginary)
            #expect(Self.multisetError(got: shifted, want: want, name) > 1e-3)
        }
        // The full OV circuit of one head, materialised [d_vocab, d_vocab]: its eigenvalues are ours plus zeros.
        let full = try model.fullOVCircuit()
        let dense = try DoubleMatrix(full.AB[1, 2]).eigenvalues()
        let (re, im) = try full[1, 2].eigenvalues
        let scale = Double(re.abs().max().scalar)
        for (x, y) in zip(re.scalars, im.scalars) {
            #expect(dense.contains { hypot($0.real - Double(x), $0.imaginary - Double(y)) < 1e-3 * scale }, "\(fixture) λ = \(x) + \(y)i")
        }
    }

    // MARK: Copying, grouped-query attention and the random baseline

    @Test(arguments: models)
    func copyingScoresFollowTheirDefinitions(fixture: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(fixture)"))
        let reference = try Fixtures.open("classic/\(fixture)/analysis.safetensors")
        let scores = try model.ovCopyingScores()
        let (re, im) = (try reference.tensor("ov_full.eigenvalues.real"), try reference.tensor("ov_full.eigenvalues.imag"))
        let magnitude = (re.square() + im.square()).sqrt()
        Self.expectClose(scores.eigenvalueScore, re.sum(axis: -1) / magnitude.sum(axis: -1), 1e-4, "\(fixture) Σλ/Σ|λ|")
        let positive = Tensor(shape: re.shape, values: re.scalars.map { $0 > 0 ? 1 : 0 }).mean(axis: -1)
        Self.expectClose(scores.positiveEigenvalueFraction, positive, 1e-6, "\(fixture) positive fraction")
        // Top-1 accuracy from W_E·W_V·W_O·W_U built from the parameters.
        let (wE, wU) = (try model.parameter("embed.W_E"), try model.parameter("unembed.W_U"))
        var accuracy: [Float] = []
        for layer in 0..<model.config.nLayers {
            let (wV, wO) = (try model.parameter("blocks.\(layer).attn.W_V"), try model.parameter("blocks.\(layer).attn.W_O"))
            for head in 0..<model.config.nHeads {
                let best = wE.matmul(wV[head]).matmul(wO[head]).matmul(wU).argmax(axis: -1).scalars
                accuracy.append(Float(best.enumerated().filter { $0.offset == $0.element }.count) / Float(best.count))
            }
        }
        Self.expectClose(try #require(scores.topOneAccuracy), Tensor(shape: [model.config.nLayers, model.config.nHeads], values: accuracy), 0, "\(fixture) top-1")
    }

    @Test func copyingScoresOfAnIdentityAndANegatedCircuit() throws {
        let config = HookedTransformerConfig(nLayers: 1, dModel: 8, nCtx: 8, dHead: 8, nHeads: 2, dVocab: 8, attnOnly: true)
        let model = try HookedTransformer(config: config, seed: 0)
        let eye = Tensor.eye(8)
        try model.setParameter("embed.W_E", eye)
        try model.setParameter("unembed.W_U", eye)
        try model.setParameter("blocks.0.attn.W_V", Tensor.stack([eye, eye]))
        try model.setParameter("blocks.0.attn.W_O", Tensor.stack([eye, eye * -0.5]))
        let scores = try model.ovCopyingScores()
        Self.expectClose(scores.eigenvalueScore, Tensor([[1, -1]]), 1e-6, "Σλ/Σ|λ|")
        Self.expectClose(scores.positiveEigenvalueFraction, Tensor([[1, 0]]), 0, "positive fraction")
        Self.expectClose(try #require(scores.topOneAccuracy), Tensor([[1, 0]]), 0, "top-1")
        #expect(OVCopyingScores.eigenvalueScore([(1, 2), (1, -2), (-1, 0)]) == 1 / (2 * 5.0.squareRoot() + 1))
        #expect(OVCopyingScores.positiveFraction([(1, 0), (-2, 0), (1e-9, 0), (0.5, 0)]) == 2.0 / 3)
    }

    @Test func groupedQueryHeadsShareTheirKeyAndValueWeights() throws {
        let config = HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 8, dHead: 4, nHeads: 4, dVocab: 10, normalizationType: .rms,
                                             positionalEmbeddingType: .rotary, attnOnly: true, nKeyValueHeads: 2)
        let model = try HookedTransformer(config: config, seed: 3)
        let (qk, ov) = (model.QK, model.OV)
        #expect(qk.shape == [2, 4, 16, 16] && ov.shape == [2, 4, 16, 16])
        for head in 0..<4 {
            let (wQ, wK) = (try model.parameter("blocks.1.attn.W_Q")[head], try model.parameter("blocks.1.attn._W_K")[head / 2])
            let (wV, wO) = (try model.parameter("blocks.1.attn._W_V")[head / 2], try model.parameter("blocks.1.attn.W_O")[head])
            Self.expectClose(try qk[1, head].AB, wQ.matmul(wK, transposeOther: true), 1e-6, "QK head \(head)")
            Self.expectClose(try ov[1, head].AB, wV.matmul(wO), 1e-6, "OV head \(head)")
        }
        let full = try model.fullQKCircuit()
        let wE = try model.parameter("embed.W_E")
        #expect(full.shape == [2, 4, 10, 10])
        Self.expectClose(try full[0, 3].AB, wE.matmul(try qk[0, 3].AB).matmul(wE, transposeOther: true), 1e-5, "full QK")
        #expect(try model.allCompositionScores(.v).shape == [2, 4, 2, 4])
    }

    @Test func randomCompositionBaselineMatchesTheReference() throws {
        // induction.md §1.8: 0.124 ± 0.008 for d_model 64, d_head 16.
        let baseline = try CompositionBaseline(dModel: 64, dHead: 16, samples: 200, seed: 7)
        #expect(abs(baseline.mean - 0.124) < 0.004 && abs(baseline.standardDeviation - 0.008) < 0.003,
                "\(baseline.mean) ± \(baseline.standardDeviation)")
        #expect(try CompositionBaseline(dModel: 64, dHead: 16, samples: 200, seed: 7).scores == baseline.scores)
        #expect(try CompositionBaseline(dModel: 64, dHead: 16, samples: 200, seed: 8).scores != baseline.scores)
        // The mean is about 1/√d_model whatever d_head: 0.0626 ± 0.0026 for d_model 256 (NumPy, 100 samples).
        let wide = try CompositionBaseline(dModel: 256, dHead: 16, samples: 30, seed: 7)
        #expect(abs(wide.mean - 0.0626) < 0.003, "\(wide.mean)")
        #expect(throws: AnalysisError.self) { try CompositionBaseline(dModel: 64, dHead: 0) }
    }

    // MARK: Per-token loss trajectory

    @Test func perTokenLossTrajectoryOfTrainingCheckpoints() throws {
        let trainer = try TrainingTests.tinyTrainer(seed: 2, steps: 60)
        trainer.config.evaluationInterval = 60
        trainer.config.checkpointSteps = [1, 30, 60]
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("lens-trajectory-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        _ = try trainer.train(output: run)
        try FileManager.default.createDirectory(at: run.appendingPathComponent("checkpoints/notes"), withIntermediateDirectories: true)

        let checkpoints = try TrainingCheckpoint.all(inRun: run)
        #expect(checkpoints.map(\.step) == [1, 30, 60])
        #expect(checkpoints.map(\.directory.lastPathComponent) == ["step-000001", "step-000030", "step-000060"])
        var data = InductionData.recipeR(seed: 55, vocabularySize: 16, sequenceLength: 25, concentration: 0.2)
        let tokens = data.nextBatch(6)
        let trajectory = try LossTrajectory.measure(run: run, tokens: tokens)
        #expect(trajectory.losses.shape == [3, 6 * 24] && trajectory.coordinates.shape == [3, 2])
        let last = try HookedTransformer.load(directory: checkpoints[2].directory).perTokenLoss(tokens).flattened()
        Self.expectClose(trajectory.losses[2], last, 1e-6, "row of the last checkpoint")
        // Training moves the loss: PC1 carries most of the variance and puts the first and last
        // checkpoints on opposite sides, with the middle one in between.
        let pc1 = trajectory.coordinates[.all, 0].scalars
        #expect(trajectory.principalComponents.explainedVarianceRatio[0].scalar > 0.5)
        #expect(pc1[0] * pc1[2] < 0 && (min(pc1[0], pc1[2])...max(pc1[0], pc1[2])).contains(pc1[1]), "PC1 \(pc1)")
        #expect(trajectory.losses[0].mean().scalar > trajectory.losses[2].mean().scalar)
        // From losses already computed (here, in-memory models), the same trajectory.
        let models = try checkpoints.map { try HookedTransformer.load(directory: $0.directory) }
        let rebuilt = try LossTrajectory(checkpoints: checkpoints, losses: LossTrajectory.perTokenLosses(models: models, tokens: tokens))
        Self.expectClose(rebuilt.coordinates, trajectory.coordinates, 1e-6, "trajectory from in-memory losses")
        #expect(throws: AnalysisError.self) { try LossTrajectory(checkpoints: checkpoints, losses: trajectory.losses[..<2]) }

        #expect(throws: AnalysisError.self) { try TrainingCheckpoint.all(inRun: run.appendingPathComponent("final")) }
        #expect(throws: AnalysisError.self) { try LossTrajectory.measure(checkpoints: [checkpoints[0]], tokens: tokens) }
    }
}
