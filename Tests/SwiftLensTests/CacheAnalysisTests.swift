import Foundation
import SwiftLens
import Testing

/// The cache analyses (accumulated / decomposed residual, head and neuron stacks, the full
/// decomposition, norms on stacks, logit attribution, the logit lens) against TransformerLens
/// 2.18's `analysis.safetensors` on the four classic fixture models, plus self-checks that
/// every decomposition sums to the residual it splits. Tolerance: |Δ| ≤ 1e-4 · max(1, |expected|).
@Suite struct CacheAnalysisTests {
    static let classicModels = ["attn2l", "gpt2tiny", "llamatiny", "shortformer"]

    struct Fixture {
        let model: HookedTransformer
        let tokens: IntTensor
        let logits: Tensor
        let cache: ActivationCache
        let analysis: SafetensorsFile
        let json: [String: Any]

        init(_ name: String) throws {
            model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
            tokens = try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens")
            (logits, cache) = try model.runWithCache(tokens)
            analysis = try Fixtures.open("classic/\(name)/analysis.safetensors")
            let data = try Data(contentsOf: Fixtures.url("classic/\(name)/analysis.json"))
            json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        }

        func labels(_ key: String) -> [String] {
            ((json["cache"] as? [String: Any])?[key] as? [String: Any])?["labels"] as? [String] ?? []
        }
    }

    /// The worst |Δ| / max(1, |expected|), recorded as an issue above `tolerance`.
    @discardableResult
    func expectClose(_ got: Tensor, _ want: Tensor, _ label: String, tolerance: Float = 1e-4,
                     sourceLocation: SourceLocation = #_sourceLocation) -> Float {
        guard got.shape == want.shape else {
            Issue.record("\(label): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
            return .infinity
        }
        var worst: Float = 0
        let (g, w) = (got.scalars, want.scalars)
        for i in g.indices { worst = max(worst, abs(g[i] - w[i]) / max(1, abs(w[i]))) }
        #expect(worst <= tolerance, "\(label): max scaled |Δ| = \(worst)", sourceLocation: sourceLocation)
        return worst
    }

    // MARK: Parity with TransformerLens

    @Test(arguments: classicModels)
    func residualStacksMatchTransformerLens(model name: String) throws {
        let f = try Fixture(name)
        let accumulated = try f.cache.accumulatedResid(applyLN: true)
        #expect(accumulated.labels == f.labels("accumulated_resid"))
        var worst = expectClose(accumulated.tensor, try f.analysis.tensor("accumulated_resid"), "\(name) accumulated_resid")
        let raw = try f.cache.accumulatedResid()
        #expect(raw.labels == ["0_pre", "1_pre", "final_post"])
        worst = max(worst, expectClose(raw.tensor, try f.analysis.tensor("accumulated_resid.raw"), "\(name) accumulated_resid.raw"))

        let decomposed = try f.cache.decomposeResid()
        #expect(decomposed.labels == f.labels("decompose_resid"))
        worst = max(worst, expectClose(decomposed.tensor, try f.analysis.tensor("decompose_resid"), "\(name) decompose_resid"))

        let heads = try f.cache.stackHeadResults()
        #expect(heads.labels == f.labels("stack_head_results"))
        #expect(heads.labels.first == "L0H0" && heads.labels.last == "L1H3")
        worst = max(worst, expectClose(heads.tensor, try f.analysis.tensor("stack_head_results"), "\(name) stack_head_results"))

        // Without hook_result in the cache the heads are computed from z · W_O.
        let (_, noResult) = try f.model.runWithCache(f.tokens, names: NameFilter { $0.activation != "result" })
        #expect(!noResult.contains(.result(0)))
        expectClose(try noResult.stackHeadResults().tensor, try f.analysis.tensor("stack_head_results"), "\(name) heads from z")
        var filled = noResult
        try filled.computeHeadResults()
        #expect(filled.contains(.result(1)))
        expectClose(filled[.result(1)]!, f.cache[.result(1)]!, "\(name) computeHeadResults")

        // logit_attrs(stack[:, :, :61], tokens[:, 1:], pos_slice=(0, 61)).
        let positions = f.tokens.shape[1]
        let attrs = try f.cache.logitAttrs(heads.tensor[.all, .all, ..<(positions - 1)], tokens: f.tokens[.all, 1...],
                                           positions: .stride(0, positions - 1))
        #expect(try f.analysis.intTensor("logit_attrs.tokens") == f.tokens[.all, 1...])
        worst = max(worst, expectClose(attrs, try f.analysis.tensor("logit_attrs"), "\(name) logit_attrs"))
        print("cache analyses \(name): max scaled |Δ| = \(worst)")
    }

    @Test(arguments: classicModels)
    func inductionLossMatchesTransformerLens(model name: String) throws {
        let f = try Fixture(name)
        let row1 = f.tokens[1].reshaped([1, -1])
        let perToken = try f.model.perTokenLoss(row1)
        expectClose(perToken, try f.analysis.tensor("loss_per_token.row1"), "\(name) loss_per_token.row1")
        let want = try f.analysis.tensor("induction_loss")
        expectClose(Tensor(scalar: try InductionLoss.measure(f.model, repeatedTokens: row1)), want, "\(name) induction_loss")
        expectClose(Tensor(scalar: try InductionLoss.measure(perTokenLoss: f.analysis.tensor("loss_per_token.row1"))),
                    want, "\(name) induction_loss from the fixture's per-token loss")
        #expect(throws: AnalysisError.self) { try InductionLoss.measure(perTokenLoss: Tensor.zeros([1, 4])) }
        // BOS + two copies of L = 5: per-token loss [1, 10], averaged over positions L + 1 ..< 2L.
        let bosForm = Tensor(shape: [1, 10], values: (0..<10).map { Float($0) })
        #expect(try InductionLoss.measure(perTokenLoss: bosForm) == (6 + 7 + 8 + 9) / 4)
    }

    // MARK: Decompositions sum to the residual

    @Test(arguments: classicModels)
    func decompositionsSumToTheResidual(model name: String) throws {
        let f = try Fixture(name)
        let c = f.cache
        let final = c[.residPost(1)]!
        // Shortformer: decompose_resid and the full decomposition list pos_embed, which never
        // entered the residual (analysis.json checks); elsewhere the rows sum exactly.
        let offset = name == "shortformer" ? c[.posEmbed]! : Tensor.zeros(final.shape)
        expectClose(try c.decomposeResid().sum, final + offset, "\(name) decompose_resid sum")
        expectClose(try c.decomposeResid(layer: 1).sum, c[.residPre(1)]! + offset, "\(name) decompose_resid(1) sum")
        expectClose(try c.stackHeadResults(includeRemainder: true).sum, final, "\(name) heads + remainder")
        expectClose(try c.stackHeadResults(layer: 0, includeRemainder: true).sum, c[.residPre(0)]!, "\(name) remainder at layer 0")
        #expect(try c.stackHeadResults(layer: 0).tensor.shape == [0, 2, 62, 64])
        for expand in [true, false] {
            let full = try c.fullResidDecomposition(expandNeurons: expand)
            expectClose(full.sum, final + offset, "\(name) full decomposition (neurons: \(expand))")
            #expect(full.labels.last == "bias" && full.labels.contains("embed") && full.labels.contains("L1H3"))
            expectClose(try c.fullResidDecomposition(layer: 1, expandNeurons: expand).sum, c[.residPre(1)]! + offset,
                        "\(name) full decomposition into layer 1 (neurons: \(expand))")
            expectClose(try c.fullResidDecomposition(layer: 0, expandNeurons: expand).sum, c[.residPre(0)]! + offset,
                        "\(name) full decomposition into layer 0")
            if !f.model.config.attnOnly {
                let mid = try c.fullResidDecomposition(layer: 1, mlpInput: true, expandNeurons: expand)
                expectClose(mid.sum, c[.residMid(1)]!, "\(name) full decomposition into MLP 1 (neurons: \(expand))")
                #expect(mid.labels.contains("L1H0"))
                #expect(mid.labels.contains(expand ? "L0N\(f.model.config.dMLP - 1)" : "0_mlp_out"))
            }
        }
        if !f.model.config.attnOnly {
            let d = f.model.config.dMLP
            let full = try c.fullResidDecomposition()
            #expect(full.count == 8 + 2 * d + (name == "llamatiny" ? 1 : 2) + 1)
            #expect(full.labels.contains("L1N\(d - 1)"))
            expectClose(try c.decomposeResid(layer: 1, mlpInput: true).sum, c[.residMid(1)]!, "\(name) decompose into MLP 1")
            expectClose(try c.stackNeuronResults(includeRemainder: true).sum, final, "\(name) neurons + remainder")
        }
    }

    // MARK: Neurons

    @Test func neuronResultsMatchDirectComputation() throws {
        let f = try Fixture("gpt2tiny")
        let c = f.cache
        let post = c[.mlpPost(1)]!, wOut = try f.model.parameter("blocks.1.mlp.W_out")
        let results = try c.neuronResults(layer: 1)
        #expect(results.shape == [2, 62, 256, 64])
        for (b, p, n) in [(0, 0, 0), (1, 61, 255), (0, 17, 100), (1, 30, 3)] {
            expectClose(results[b, p, n], wOut[n] * post[b, p, n].scalar, "neuron L1N\(n) at (\(b), \(p))")
        }
        // All neurons plus b_out make the MLP's output.
        expectClose(try results.sum(axis: 2) + f.model.parameter("blocks.1.mlp.b_out"), c[.mlpOut(1)]!, "Σ neurons + b_out")

        let some = try c.neuronResults(layer: 0, neurons: [3, 17], positions: -1)
        #expect(some.shape == [2, 2, 64])
        expectClose(some[1, 1], try f.model.parameter("blocks.0.mlp.W_out")[17] * c[.mlpPost(0)]![1, 61, 17].scalar, "L0N17, last position")
        #expect(try c.neuronResults(layer: 0, neurons: 5).shape == [2, 62, 64])

        let stack = try c.stackNeuronResults(neurons: .stride(10, 13), positions: .stride(5, 9))
        #expect(stack.labels == ["L0N10", "L0N11", "L0N12", "L1N10", "L1N11", "L1N12"])
        #expect(stack.tensor.shape == [6, 2, 4, 64])
        expectClose(stack.tensor[4], results[.all, 5..<9, 11], "stacked L1N11")
        let strided = try c.stackNeuronResults(layer: 1, neurons: .stride(-6, nil, 2))
        #expect(strided.labels == ["L0N250", "L0N252", "L0N254"])
        expectClose(strided.tensor[2], try c.neuronResults(layer: 0, neurons: -2), "strided L0N254")
        let single = try c.stackNeuronResults(neurons: 7)
        #expect(single.labels == ["L0N7", "L1N7"] && single.tensor.shape == [2, 2, 62, 64])
    }

    // MARK: Norms, positions, attribution

    @Test(arguments: ["gpt2tiny", "llamatiny", "attn2l"])
    func applyLNUsesTheCachedScale(model name: String) throws {
        let f = try Fixture(name)
        let c = f.cache
        // Σ of the normalised decomposition = the final residual centred (LN) over its scale: what
        // ln_final computes before its weight and bias.
        var normalised = c[.finalNormalized]!
        if f.model.config.normalizationType == .layerNorm {
            normalised = try (normalised - f.model.parameter("ln_final.b")) / f.model.parameter("ln_final.w")
        }
        expectClose(try c.decomposeResid(applyLN: true).sum, normalised, "\(name) normalised decomposition")
        expectClose(try c.fullResidDecomposition(applyLN: true).sum, normalised, "\(name) normalised full decomposition")
        // Into layer 1 the stack is divided by ln1's scale.
        let pre1 = c[.residPre(1)]!
        let centred = f.model.config.normalizationType == .rms ? pre1 : pre1 - pre1.mean(axis: -1, keepDims: true)
        expectClose(try c.decomposeResid(layer: 1, applyLN: true).sum, centred / c[.scale(1, .ln1)]!, "\(name) into ln1 of layer 1")

        // Selecting positions selects the same positions of the scale.
        let sliced = try c.decomposeResid(applyLN: true, positions: .stride(3, 10)).tensor
        expectClose(sliced, try c.decomposeResid(applyLN: true).tensor[.all, .all, 3..<10], "\(name) positions 3..<10")
        let last = try c.accumulatedResid(applyLN: true, positions: -1)
        expectClose(last.tensor, try c.accumulatedResid(applyLN: true).tensor[.all, .all, 61], "\(name) last position")
        let listed = try c.accumulatedResid(positions: [0, 61]).tensor
        #expect(listed.shape == [3, 2, 2, 64])
        expectClose(listed[2, .all, 1], c[.residPost(1)]![.all, 61], "\(name) list positions")

        // A logit difference is the difference of two attributions.
        let headStack = try c.stackHeadResults(positions: -1)
        let heads = headStack.tensor
        expectClose(try headStack.component(Head(layer: 1, head: 2)), try c.headResults(layer: 1)[.all, 61, 2], "\(name) L1H2, last position")
        let (a, b) = (IntTensor([3, 4]), IntTensor([9, 1]))
        let difference = try c.logitAttrs(heads, tokens: a, incorrectTokens: b, positions: -1)
        expectClose(difference, try c.logitAttrs(heads, tokens: a, positions: -1) - c.logitAttrs(heads, tokens: b, positions: -1),
                    "\(name) logit difference")
        #expect(difference.shape == [8, 2])
    }

    @Test(arguments: classicModels)
    func logitLensEndsAtTheModelsLogits(model name: String) throws {
        let f = try Fixture(name)
        let lens = try f.cache.logitLens()
        #expect(lens.labels == ["0_pre", "1_pre", "final_post"])
        expectClose(lens.logits[2], f.logits, "\(name) final logit-lens row")
        let losses = try lens.loss(tokens: f.tokens)
        #expect(losses.shape == [3])
        expectClose(losses[2], try f.model.loss(f.tokens), "\(name) final logit-lens loss")
        // Every position spelled as a stride is still every position: the loss is available.
        expectClose(try f.cache.logitLens(positions: .stride(0, nil)).loss(tokens: f.tokens), losses, "\(name) loss, positions 0...")
        let top = try lens.topTokens(3)
        #expect(top.shape == [3, 2, 62, 3])
        #expect(top[2, 1, 40, 0] == f.logits[1, 40].argmax())
        let row = lens.logits[0, 0, 5]
        #expect(row[top[0, 0, 5, 0]].scalar >= row[top[0, 0, 5, 1]].scalar && row[top[0, 0, 5, 1]].scalar >= row[top[0, 0, 5, 2]].scalar)
        let mid = try f.cache.logitLens(includeMid: !f.model.config.attnOnly, positions: -1)
        #expect(mid.logits.shape == [f.model.config.attnOnly ? 3 : 5, 2, 50])
        #expect(throws: CacheAnalysisError.self) { try mid.perTokenLoss(tokens: f.tokens) }
    }

    // MARK: Bad input throws

    @Test func badInputThrows() throws {
        let f = try Fixture("gpt2tiny")
        let c = f.cache
        #expect(throws: CacheAnalysisError.noModel) { try ActivationCache(layerCount: 2).accumulatedResid() }
        #expect(throws: CacheAnalysisError.layerOutOfRange(3, valid: 0...2)) { try c.decomposeResid(layer: 3) }
        #expect(throws: CacheAnalysisError.self) { try c.stackHeadResults(layer: -2) }
        #expect(throws: CacheAnalysisError.self) { try c.applyLNToStack(Tensor.zeros([3, 2, 62, 32])) }
        #expect(throws: CacheAnalysisError.self) { try c.applyLNToStack(Tensor.zeros([3, 2, 61, 64])) }
        #expect(throws: CacheAnalysisError.self) { try c.applyLNToStack(Tensor.zeros([3, 2, 62, 64]), layer: 1, recomputeLN: true) }
        #expect(throws: CacheAnalysisError.self) { try c.accumulatedResid(mlpInput: true) }
        #expect(throws: CacheAnalysisError.self) { try c.accumulatedResid(positions: 62) }
        #expect(throws: CacheAnalysisError.self) { try c.accumulatedResid(positions: .stride(0, 5, 0)) }
        #expect(throws: CacheAnalysisError.self) { try c.neuronResults(layer: 0, neurons: [256]) }
        #expect(throws: CacheAnalysisError.self) { try c.neuronResults(layer: 2) }
        #expect(throws: CacheAnalysisError.self) { try c.decomposeResid().component("3_attn_out") }
        #expect(throws: CacheAnalysisError.self) { try c.logitAttrs(c.decomposeResid().tensor, tokens: IntTensor([50])) }
        #expect(throws: CacheAnalysisError.self) {
            try c.logitAttrs(c.decomposeResid().tensor, tokens: IntTensor([1, 2]), incorrectTokens: IntTensor([1]))
        }
        #expect(throws: CacheAnalysisError.self) { try c.logitAttrs(c.decomposeResid().tensor, tokens: IntTensor([1, 2, 3])) }
        #expect(throws: CacheAnalysisError.self) { try f.model.accumulatedBias(layer: 2, mlpInput: true) }
        #expect(throws: CacheError.self) { try c.stackActivation("nonexistent") }
        #expect(try c.stackActivation("pattern").shape == [2, 2, 4, 62, 62])
        #expect(try c.stackActivation("scale", layer: 1, sublayerType: "ln2").shape == [1, 2, 62, 1])

        // A cache without the pieces an analysis needs names what is missing.
        let (_, partial) = try f.model.runWithCache(f.tokens, names: [.pattern(0)])
        #expect(throws: CacheError.self) { try partial.decomposeResid() }
        #expect(throws: CacheError.self) { try partial.stackHeadResults() }

        // Attention-only models have no MLP pieces.
        let attn = try Fixture("attn2l").cache
        #expect(throws: CacheAnalysisError.self) { try attn.accumulatedResid(includeMid: true) }
        #expect(throws: CacheAnalysisError.self) { try attn.decomposeResid(layer: 0, mlpInput: true) }
        #expect(throws: CacheAnalysisError.self) { try attn.neuronResults(layer: 0) }
        #expect(throws: CacheAnalysisError.self) { try attn.stackNeuronResults() }
        #expect(try attn.decomposeResid(mode: .mlp, includeEmbeds: false).tensor.shape == [0, 2, 62, 64])
    }
}
