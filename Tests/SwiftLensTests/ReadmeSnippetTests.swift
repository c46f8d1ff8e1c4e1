import Foundation
import SwiftLens
import Testing

/// The README's quick start compiles and runs (on a fixture model).
@Suite struct ReadmeSnippetTests {
    @Test func quickStart() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))
        let tokens = IntTensor([[3, 14, 15, 9, 26, 5, 3, 14, 15, 9, 26, 5]])

        let logits = try model(tokens)
        let loss = try model.loss(tokens)
        let (_, cache) = try model.runWithCache(tokens)
        let pattern = cache["pattern", 1]!
        let z = cache[.z(0)]!
        let ablated = try model.loss(tokens, hooks: [
            .zeroAblateHead(Head(layer: 1, head: 2)),
            .knockOutScores(layer: 1, head: 0, pairs: (1..<12).map { ($0, $0 - 1) }),
            Hook(.residPost(0)) { resid, context in resid * 0.5 },
        ])
        #expect(logits.shape == [1, 12, 64] && pattern.shape == [1, 4, 12, 12] && z.shape == [1, 12, 4, 16])
        #expect(loss.scalar.isFinite && ablated.scalar != loss.scalar)
    }

    /// The README's training snippet, with fewer steps and a smaller evaluation.
    @Test func training() throws {
        let corpus = "the cat sat on the mat and the dog sat on the log; " + "a cat and a dog and a log. "
        let text = try TextDataset(text: corpus, tokenizer: CharacterTokenizer(corpus: corpus), sequenceLength: 33, seed: 0)
        let gpt = try HookedTransformer(config: HookedTransformerConfig(nLayers: 1, dModel: 16, nCtx: 32, dHead: 4,
                                                                         dVocab: text.vocabularySize, actFn: .gelu), seed: 0)
        var config = TrainingConfig()
        config.steps = 3
        config.trainable = .all
        let run = try Trainer(model: gpt, data: text, config: config).train()
        #expect(run.evaluations.map(\.step) == [0, 3] && run.evaluations.last!.evalLoss.isFinite)

        var recipe = InductionRecipe.recipeR(layers: 2, seed: 0)
        recipe.training.steps = 4
        recipe.training.evaluationInterval = 2
        recipe.evaluation.evaluationSequences = 8
        recipe.evaluation.repeatedSequences = 4
        let trainer = try recipe.makeTrainer()
        let model = trainer.model
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let summary = try trainer.train(output: out)
        #expect(summary.phaseChangeStep == nil)
        let last = summary.evaluations.last!
        #expect(last.icl.isFinite && last.induction.count == 2 && last.induction[0].count == 4)

        let tokens = RepeatedRandomTokens.batch(count: 2, length: 16, vocabularySize: 64, seed: 0)
        let (loss, grads) = try model.lossAndGradients(tokens)
        let (_, cache) = try model.runWithGradientCache(tokens)
        let halved = Hook(.residPost(0), direction: .backward) { grad, _ in grad * 0.5 }
        let (_, halvedGrads) = try model.lossAndGradients(tokens, hooks: [halved])
        #expect(loss.isFinite && grads["blocks.0.attn.W_Q"]?.shape == [4, 64, 16])
        #expect(cache.gradient(.pattern(1))?.shape == [2, 4, 32, 32])
        #expect(halvedGrads["blocks.0.attn.W_Q"]!.isApproximatelyEqual(to: grads["blocks.0.attn.W_Q"]! * 0.5, absoluteTolerance: 1e-7))
    }

    /// The README's patching snippet on a fixture model.
    @Test func patchingAndSweeps() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/attn2l"))
        let fixture = try Fixtures.open("classic/attn2l/interventions.safetensors")
        let cleanTokens = try fixture.intTensor("patch.clean_tokens"), corruptedTokens = try fixture.intTensor("patch.corrupted_tokens")
        let (a, b) = (3, 7)

        let (_, clean) = try model.runWithCache(cleanTokens)
        let metric = SweepMetric.logitDifference(answer: a, wrong: b)
        let grid = try ActivationPatching.headOut(byPosition: true, model, corrupted: corruptedTokens, clean: clean, metric: metric)
        let rrt = RepeatedRandomTokens.batch(count: 8, length: 32, vocabularySize: model.config.dVocab, seed: 0)
        let losses = try Sweep.headAblation(model, tokens: rrt, metric: .inductionLoss(tokens: rrt), ablation: .mean()).run().tensor()
        let estimate = try AttributionPatching.patch(model, corrupted: corruptedTokens, clean: clean, activation: HookName.z,
                                                     axes: [.layer, .head]) { $0[0, -1, a] - $0[0, -1, b] }
        let paths = try PathPatching.patch(model, corrupted: corruptedTokens, clean: clean, metric: metric,
                                           senders: [Head(layer: 0, head: 3)], component: .k)
        #expect(grid.shape == [2, 62, 4] && losses.shape == [2, 4] && estimate.shape == [2, 4] && paths.shape == [2, 4])
    }

    /// The README's circuits, scores and cache-analysis snippet.
    @Test func circuitsScoresAndCacheAnalysis() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))
        let rrt = RepeatedRandomTokens.batch(count: 8, length: 32, vocabularySize: model.config.dVocab, seed: 0)
        let scores = try HeadScores.measure(model, repeatedTokens: rrt)
        let detected = try HeadDetector.measure(model, tokens: rrt, pattern: .previousToken)
        let copying = try LogitCopyingScore.measure(model, repeatedTokens: rrt)
        let inductionLoss = try InductionLoss.measure(model, repeatedTokens: rrt)

        let ov = try model.fullOVCircuit()
        let eigenvalueScores = try model.ovCopyingScores().eigenvalueScore
        let kComposition = try model.allCompositionScores(.k)
        let baseline = try model.randomCompositionBaseline()

        let (_, cache) = try model.runWithCache(rrt)
        let layers = try cache.accumulatedResid(applyLN: true)
        let heads = try cache.stackHeadResults(positions: .stride(0, 63))
        let attribution = try cache.logitAttrs(heads.tensor, tokens: rrt[.all, 1...], positions: .stride(0, 63))
        let lens = try cache.logitLens()

        #expect(scores.induction[1, 0].scalar > 0.5 && detected[0, 3].scalar > 0.5 && copying[1, 0].scalar > 0.5)
        #expect(inductionLoss < 1 && ov.shape == [2, 4, 64, 64] && eigenvalueScores[1, 2].scalar > 0.9)
        #expect(kComposition[0, 3, 1, 0].scalar > baseline.mean + 5 * baseline.standardDeviation)
        #expect(layers.count == 3 && heads.count == 8 && attribution.shape == [8, 8, 63] && lens.logits.shape[0] == 3)
        // The induction heads' direct effect on the next token dominates in the second half.
        let secondHalf = attribution[.all, .all, 32...].mean(axes: [1, 2]).scalars
        #expect(secondHalf[4...].allSatisfy { $0 > secondHalf[..<4].max()! })
    }
}
