import Foundation
import SwiftLens
import Testing

/// Copy suppression: the per-position direct effect on the attended token's logit, against
/// hand-computed answers, the cache's own decomposition, and the weights' eigenvalue view.
struct CopySuppressionTests {
    /// One attention-only layer, d_model = d_vocab = 8, W_E = W_U = I, W_Q = W_K = 0 (uniform
    /// attention A[i, j] = 1/(i + 1)); head 0 has W_V·W_O = I (a copier), head 1 −I (a
    /// suppressor). With uniform attention the most-attended key is the first allowed one
    /// (ties go to the earliest), t = x[firstKey], and the head's output at i is ±(mean one-hot
    /// of x[0...i]): its effect on t's centred logit is ±(count_{≤i}(t)/(i + 1) − 1/8).
    @Test func handBuiltCopierAndSuppressorKnownAnswer() throws {
        let model = try Self.copierAndSuppressor()
        let x = [3, 5, 5, 2, 5, 7, 1, 2]
        let scores = try CopySuppressionScores.measure(model, tokens: IntTensor(x), firstKey: 1)
        #expect(scores.score.shape == [1, 2] && scores.effect.shape == [1, 8, 1, 2] && scores.attended.shape == [1, 8, 1, 2])
        var expected: [Double] = []
        for i in 1..<x.count {
            expected.append(Double(x[0...i].filter { $0 == x[1] }.count) / Double(i + 1) - 1.0 / 8)
        }
        for (k, i) in (1..<x.count).enumerated() {
            #expect(abs(Double(scores.effect[0, i, 0, 0].scalar) - expected[k]) < 1e-5, "copier at \(i)")
            #expect(abs(Double(scores.effect[0, i, 0, 1].scalar) + expected[k]) < 1e-5, "suppressor at \(i)")
            #expect(scores.attended[0, i, 0, 0] == 1 && scores.attended[0, i, 0, 1] == 1)
        }
        #expect(scores.attended[0, 0, 0, 0] == -1 && scores.effect[0, 0, 0, 0].scalar == 0, "position 0 is left out")
        let mean = expected.reduce(0, +) / Double(expected.count)
        #expect(abs(Double(scores.score[0, 0].scalar) - mean) < 1e-5 && abs(Double(scores.score[0, 1].scalar) + mean) < 1e-5)
        #expect(mean > 0, "the copier's score is positive, the suppressor's negative")
        // The strongest suppressions of head 1 are where x[1] = 5 makes up most of the context.
        let strongest = scores.strongestSuppressions(of: Head(layer: 0, head: 1), count: 2)
        #expect(strongest.count == 2 && strongest.allSatisfy { $0.token == 5 && $0.key == 1 })
        #expect(strongest[0].effect <= strongest[1].effect)
        #expect(strongest[0].query == 2 && strongest[1].query == 4, "5 is 2/3 of x[0...2] and 3/5 of x[0...4]: \(strongest)")

        // The weights' view: OV = ±I gives eigenvalue scores +1 and −1.
        let eigen = try model.ovEigenvalueCopyingScores()
        #expect(eigen.maxAbsoluteDifference(Tensor([[1, -1]])) < 1e-5, "\(eigen)")

        #expect(throws: CopySuppressionScores.CopySuppressionError.invalidFirstKey(-1)) {
            try CopySuppressionScores.measure(model, tokens: IntTensor(x), firstKey: -1)
        }
        #expect(throws: CopySuppressionScores.CopySuppressionError.tooShort(length: 2, firstKey: 2)) {
            try CopySuppressionScores.measure(model, tokens: IntTensor([1, 2]), firstKey: 2)
        }
        #expect(throws: (any Error).self) { try CopySuppressionScores.measure(model, tokens: IntTensor([1, 99, 2])) }
    }

    /// On fixtures with a final norm (LayerNorm with bias; RMSNorm with weight) the effect is
    /// the cache's normalised head result (`stackHeadResults(applyLN:)`) times ln_final's
    /// weight, dotted with the centred unembedding of the token at the pattern's argmax key.
    @Test(arguments: ["gpt2tiny", "llamatiny"])
    func effectIsTheDirectLogitAttributionOfTheAttendedToken(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let tokens = try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens")
        let (_, cache) = try model.runWithCache(tokens)
        let scores = try CopySuppressionScores.measure(model, tokens: tokens, firstKey: 2, cache: cache)
        #expect(try CopySuppressionScores.measure(model, tokens: tokens, firstKey: 2).effect.maxAbsoluteDifference(scores.effect) < 1e-5,
                "computing its own cache gives the same")
        let (batch, length, layers, heads) = (tokens.shape[0], tokens.shape[1], model.config.nLayers, model.config.nHeads)
        let normalised = try cache.stackHeadResults(applyLN: true).tensor * (try model.parameter("ln_final.w"))   // [L·H, b, pos, d]
        let wU = try model.parameter("unembed.W_U")
        let centred = (wU - wU.mean(axis: 1, keepDims: true)).transposed(0, 1)
        var worst: Float = 0, total: Float = 0
        for l in 0..<layers {
            let pattern = try cache.tensor(.pattern(l))
            for h in 0..<heads {
                var sum: Float = 0
                for b in 0..<batch {
                    for i in 2..<length {
                        let row = pattern[b, h, i].scalars
                        let key = (2...i).max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!
                        #expect(scores.attended[b, i, l, h] == key)
                        let expected = (normalised[l * heads + h, b, i] * centred[tokens[b, key]]).sum().scalar
                        worst = max(worst, abs(scores.effect[b, i, l, h].scalar - expected))
                        sum += expected
                    }
                }
                total = max(total, abs(scores.score[l, h].scalar - sum / Float(batch * (length - 2))))
            }
        }
        #expect(worst < 1e-4 && total < 1e-5, "\(name): per position \(worst), mean \(total)")
    }

    /// The affordable eigenvalue score equals the full-circuit one, with grouped-query heads too.
    @Test(arguments: ["gpt2tiny", "llamatiny", "gqa"])
    func ovEigenvalueScoreMatchesTheFullCircuit(model name: String) throws {
        let model = name == "gqa"
            ? try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 8, dHead: 4, nHeads: 4, dVocab: 24,
                                                                    normalizationType: .rms, positionalEmbeddingType: .rotary,
                                                                    attnOnly: true, nKeyValueHeads: 2), seed: 11)
            : try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let full = try model.ovCopyingScores(topOneAccuracy: false).eigenvalueScore
        let cheap = try model.ovEigenvalueCopyingScores(includingNormWeights: false)
        #expect(cheap.shape == [model.config.nLayers, model.config.nHeads])
        #expect(cheap.maxAbsoluteDifference(full) < 1e-4, "\(name): \(cheap) vs \(full)")
        #expect(full.abs().max().scalar > 0.05, "not trivially zero")
    }

    /// With the norm weights: the raw score of the circuit W_E·diag(w₁)·W_V·W_O·diag(w_f)·W_U,
    /// built by putting the weights into W_V and W_U by hand (here on a copy of the model).
    @Test(arguments: ["gpt2tiny", "llamatiny"])
    func normWeightsAreFoldedIntoTheCircuit(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let folded = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        for l in 0..<model.config.nLayers {
            let g = try model.parameter("blocks.\(l).ln1.w")
            try folded.setParameter("blocks.\(l).attn.W_V", try model.parameter("blocks.\(l).attn.W_V") * g.reshaped([1, -1, 1]))
        }
        try folded.setParameter("unembed.W_U", try model.parameter("unembed.W_U") * (try model.parameter("ln_final.w")).reshaped([-1, 1]))
        let expected = try folded.ovCopyingScores(topOneAccuracy: false).eigenvalueScore
        let scores = try model.ovEigenvalueCopyingScores()
        #expect(scores.maxAbsoluteDifference(expected) < 1e-4, "\(name): \(scores) vs \(expected)")
        #expect(scores.maxAbsoluteDifference(try model.ovEigenvalueCopyingScores(includingNormWeights: false)) > 1e-3,
                "the weights (1 + 0.1·N(0, 1)) change the scores")
    }

    static func copierAndSuppressor() throws -> HookedTransformer {
        let eye = Tensor.eye(UniformIdentityModel.width)
        return try UniformIdentityModel.make(values: [eye, eye], outputs: [eye, -eye])
    }
}

/// Copy suppression in SmolLM2-135M-Instruct (see ``RealModel``), on the natural-text passages
/// of Tutorial 15 (one here): the heads that suppress most, and their OV eigenvalues.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelCopySuppressionTests {
    @Test func smolLM2HasCopySuppressionHeads() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        let text = "Mary and John went to the market on Saturday morning. Mary bought apples and pears, while John looked for fresh "
            + "bread. When they got home, John gave the bread to his sister, and Mary put the apples in a bowl on the kitchen "
            + "table. Later that afternoon their neighbour Peter came over with a basket of plums. Peter said the plums came "
            + "from the old tree behind his house, the same tree his grandfather had planted sixty years ago."
        let bos = try #require(model.tokenizer?.bosTokenID)
        let tokens = IntTensor([bos] + (try model.toTokens(text).scalars))
        let scores = try CopySuppressionScores.measure(model, tokens: tokens)
        let values = scores.score.scalars
        let ranked = values.indices.sorted { values[$0] < values[$1] }.map { Head(layer: $0 / 9, head: $0 % 9) }
        print("SmolLM2 copy suppression: " + ranked.prefix(5).map { "\($0) \(String(format: "%+.2f", scores.score[$0.layer, $0.head].scalar))" }
            .joined(separator: ", "))
        // The strongest suppressors sit in the last third of the model (layers 23–29).
        #expect(ranked.prefix(3).allSatisfy { $0.layer >= 20 }, "\(ranked.prefix(3))")
        #expect(values.min()! < -0.2)
        // Suppression at a single position is much larger than the average: some token's logit
        // drops by more than 1.5 where the strongest head attends to it.
        let example = try #require(scores.strongestSuppressions(of: ranked[0], count: 1).first)
        #expect(example.effect < -1.5, "\(example)")
        // Most heads copy on balance; suppression is the exception.
        #expect(values.filter { $0 < 0 }.count < values.count / 2)

        let eigen = try model.ovEigenvalueCopyingScores()
        // L29H0's OV circuit is an almost pure suppressor; most heads copy.
        #expect(eigen[29, 0].scalar < -0.9, "\(eigen[29, 0].scalar)")
        #expect(eigen.mean().scalar > 0.1)
    }
}
