import Foundation
import SwiftLens
import Testing

/// Training: the trainer learns and is deterministic, the data generators make what Recipe R
/// describes, the scores have known answers, and the paper's perturbations (smeared keys,
/// clamped patterns) act as specified.
@Suite struct TrainingTests {
    /// A small Recipe-R-like setup that trains in a second or two: V 16, n_ctx 24.
    static func tinyTrainer(seed: UInt64, steps: Int = 200, smear: Bool = false) throws -> Trainer<InductionEvaluator> {
        var data = InductionData.recipeR(seed: 10_000 + seed, vocabularySize: 16, sequenceLength: 25, concentration: 0.2)
        data.copyStart = 8
        var recipe = InductionRecipe(model: .recipeR(layers: 1, smearKeys: smear, contextLength: 24, vocabularySize: 16),
                                     data: data, seed: seed)
        recipe.training.steps = steps
        recipe.training.batchSize = 16
        recipe.training.evaluationInterval = 100
        recipe.evaluation.evaluationSequences = 32
        recipe.evaluation.repeatedSequences = 8
        recipe.evaluation.repeatedLength = 8
        return try recipe.makeTrainer()
    }

    @Test func tinyModelLearnsAndTwoRunsWithOneSeedAreIdentical() throws {
        let first = try Self.tinyTrainer(seed: 4)
        let summary = try first.train()
        let start = summary.evaluations.first!, end = summary.evaluations.last!
        #expect(summary.evaluations.map(\.step) == [0, 100, 200])
        #expect(abs(start.evalLoss - log(16)) < 0.05, "an untrained model predicts uniformly: \(start.evalLoss)")
        #expect(end.evalLoss < start.evalLoss - 0.3, "eval loss \(start.evalLoss) → \(end.evalLoss)")
        #expect(end.trainLoss < start.evalLoss - 0.2)
        #expect(end.lossByPosition.count == 24)

        let second = try Self.tinyTrainer(seed: 4)
        let again = try second.train()
        #expect(again.evaluations.map(\.evalLoss) == summary.evaluations.map(\.evalLoss))
        for name in first.model.parameterNames {
            #expect(try first.model.parameter(name) == second.model.parameter(name), "\(name) differs between identical runs")
        }
        let other = try Self.tinyTrainer(seed: 5, steps: 20)
        _ = try other.train()
        #expect(try other.model.parameter("blocks.0.attn.W_Q") != first.model.parameter("blocks.0.attn.W_Q"))
    }

    @Test func twoThreadStepsMatchOneThreadSteps() throws {
        // With two threads the trainer computes each step as two half batches at once; an odd
        // batch (2 + 3 sequences) checks that the halves are weighted by their sizes.
        func run(threads: Int) throws -> (losses: [Float], model: HookedTransformer) {
            try KernelThreads.with(threads) {
                let trainer = try Self.tinyTrainer(seed: 7)
                trainer.config.batchSize = 5
                return (try (0..<6).map { _ in try trainer.step() }, trainer.model)
            }
        }
        let (one, two) = (try run(threads: 1), try run(threads: 2))
        for (a, b) in zip(one.losses, two.losses) { #expect(abs(a - b) < 1e-5, "loss \(a) on one thread, \(b) on two") }
        for name in one.model.parameterNames {
            let a = try one.model.parameter(name), b = try two.model.parameter(name)
            #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 2e-5), "\(name): max |Δ| \((a - b).abs().max().scalar)")
        }
    }

    @Test func trainerWritesMetricsAndCheckpoints() throws {
        let trainer = try Self.tinyTrainer(seed: 1, steps: 40)
        trainer.config.evaluationInterval = 10
        trainer.config.checkpointSteps = [20]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        var progress: [Int] = []
        let summary = try trainer.train(output: out) { progress.append($0.step) }
        #expect(progress == Array(1...40))

        let csv = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == 1 + 5)  // header, steps 0, 10, 20, 30, 40
        let header = lines[0].split(separator: ",").map(String.init)
        #expect(header.prefix(3) == ["step", "train_loss", "eval_loss"])
        #expect(header.contains("induction_L0H3") && header.contains("previous_token_L0H0") && header.contains("duplicate_token_L0H2"))
        let last = lines[5].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(last.count == header.count && last[0] == "40")
        #expect(Float(last[2]) == summary.evaluations.last!.evalLoss)

        let decoded = try InductionSummary.read(from: out.appendingPathComponent("metrics.json"))
        #expect(decoded.evaluations[0].trainLoss.isNaN)  // no training loss before the first step
        #expect(decoded.steps == 40 && decoded.evaluations.count == 5)
        #expect(decoded.evaluations.last!.induction == summary.evaluations.last!.induction)

        // The final model and the checkpoint load back as TransformerLens-format models.
        let final = try HookedTransformer.load(directory: out.appendingPathComponent("final"))
        for name in trainer.model.parameterNames { #expect(try final.parameter(name) == trainer.model.parameter(name)) }
        let checkpoint = try HookedTransformer.load(directory: out.appendingPathComponent("checkpoints/step-000020"))
        #expect(try checkpoint.parameter("embed.W_E") != trainer.model.parameter("embed.W_E"))
        #expect(checkpoint.config.nCtx == 24)
    }

    @Test func inductionDataMakesPredictableCopies() {
        var data = InductionData.recipeR(seed: 3)
        let (tokens, mask) = data.nextBatchWithMask(64)
        #expect(tokens.shape == [64, 65] && mask.shape == [64, 64])
        let x = tokens.scalars, m = mask.scalars
        #expect(x.allSatisfy { (0..<64).contains($0) })
        var predictable = 0
        for b in 0..<64 {
            let row = Array(x[(b * 65)..<((b + 1) * 65)])
            for p in 0..<64 where m[b * 64 + p] == 1 {
                // Target p + 1 is predictable: the bigram (row[p], row[p+1]) occurred earlier.
                predictable += 1
                #expect(p + 1 > 24)
                #expect((1...p).contains { j in row[j - 1] == row[p] && row[j] == row[p + 1] },
                        "sequence \(b) target \(p + 1) has no earlier copy")
            }
        }
        // About 43% of targets are predictable (Recipes/Induction/README.md).
        let fraction = Double(predictable) / Double(64 * 64)
        #expect(fraction > 0.3 && fraction < 0.55, "predictable fraction \(fraction)")
        // The language: stationary conditional entropy 3.74 nats (Recipes/Induction/README.md), below log 64.
        #expect(abs(data.bigramEntropy! - 3.74) < 0.05, "bigram entropy \(data.bigramEntropy!)")
        // Seeded: the same seed gives the same stream, another seed another.
        var same = InductionData.recipeR(seed: 3), other = InductionData.recipeR(seed: 4)
        #expect(same.nextBatch(64) == tokens)
        #expect(other.nextBatch(64) != tokens)
        var uniform = InductionData.recipeU(seed: 3)
        #expect(uniform.bigramEntropy == nil && uniform.nextBatch(2).shape == [2, 65])
    }

    @Test func repeatedRandomTokensAndTextData() throws {
        let rrt = RepeatedRandomTokens.batch(count: 5, length: 10, vocabularySize: 20, seed: 1)
        #expect(rrt.shape == [5, 20])
        for b in 0..<5 {
            let row = Array(rrt.scalars[(b * 20)..<((b + 1) * 20)])
            #expect(Array(row[..<10]) == Array(row[10...]))
            #expect(Set(row[..<10]).count == 10)
        }

        let text = "the cat sat on the mat and the cat ran"
        let characters = CharacterTokenizer(corpus: text)
        #expect(characters.decode(characters.encode(text)) == text)
        #expect(characters.vocabularySize == Set(text).count)
        let words = WhitespaceTokenizer(corpus: text)
        #expect(words.vocabularySize == 8)  // <unk> and 7 distinct words
        #expect(words.decode(words.encode("the cat ran")) == "the cat ran")
        #expect(words.encode("the dog") == [words.encode("the")[0], 0])
        var dataset = try TextDataset(text: text, tokenizer: characters, sequenceLength: 9, seed: 2)
        let batch = dataset.nextBatch(4)
        #expect(batch.shape == [4, 9])
        let encoded = characters.encode(text)
        for b in 0..<4 {
            let window = Array(batch.scalars[(b * 9)..<((b + 1) * 9)])
            #expect((0...(encoded.count - 9)).contains { Array(encoded[$0..<($0 + 9)]) == window })
        }
        #expect(throws: DataError.textTooShort(tokens: 7, needed: 9)) {
            try TextDataset(text: "the cat", tokenizer: characters, sequenceLength: 8, seed: 0)
        }
    }

    @Test func headScoresAndICLHaveKnownAnswers() {
        // Three heads on 2L = 8 positions: an ideal induction head, a previous-token head and a
        // duplicate-token head (each row attends to one position; the first half uses position 0).
        let t = 8, half = 4
        var values = [Float](repeating: 0, count: 3 * t * t)
        for i in 0..<t {
            values[0 * t * t + i * t + (i >= half ? i - half + 1 : 0)] = 1
            values[1 * t * t + i * t + max(i - 1, 0)] = 1
            values[2 * t * t + i * t + (i >= half ? i - half : 0)] = 1
        }
        let scores = HeadScores(patterns: [Tensor(shape: [1, 3, t, t], values: values)])
        #expect(scores.induction.shape == [1, 3])
        #expect(scores.induction.scalars == [1, 0, 0])
        // Only row 1 (attending to 0) of the first half looks back one position in heads 0 and 2.
        #expect(scores.previousToken.scalars == [1 / Float(t - 1), 1, 1 / Float(t - 1)])
        #expect(scores.duplicateToken.scalars == [0, 0, 1])

        let icl = InContextLearningScore(contextLength: 64)
        #expect(icl.early == 6...9 && icl.late == 56...63)
        let loss = (0..<64).map { Float($0 < 10 ? 4 : 1) }
        #expect(icl.score(lossByPosition: loss) == -3)
    }

    @Test func smearedKeysMixEachKeyWithThePreviousOne() throws {
        var config = HookedTransformerConfig.recipeR(layers: 1, smearKeys: true, contextLength: 16, vocabularySize: 16)
        config.initializerRange = 0.5
        let model = try HookedTransformer(config: config, seed: 2)
        #expect(model.parameterNames.contains("blocks.0.attn.smear"))
        #expect(model.hookPoints.contains(.smearedK(0)))
        let alpha = Tensor([-1.5, 0, 0.7, 3])
        try model.updateParameters(["blocks.0.attn.smear": alpha])
        let tokens = IntTensor.randomIntegers([2, 16], below: 16, seed: 1)
        let cache = try model.cache(tokens, names: [.k(0), .smearedK(0)])
        let k = try cache.tensor(.k(0)), smeared = try cache.tensor(.smearedK(0))
        for h in 0..<4 {
            let s = 1 / (1 + exp(-alpha.scalars[h]))
            for j in 0..<16 {
                let expected = j == 0 ? k[.all, 0, h] : s * k[.all, j, h] + (1 - s) * k[.all, j - 1, h]
                #expect(smeared[.all, j, h].isApproximatelyEqual(to: expected, absoluteTolerance: 1e-6))
            }
        }
        // dLoss/dα against central finite differences of the loss.
        let (_, grads) = try model.lossAndGradients(tokens)
        let analytic = grads["blocks.0.attn.smear"]!.scalars
        for h in 0..<4 {
            func loss(_ delta: Float) throws -> Float {
                var shifted = alpha.scalars
                shifted[h] += delta
                try model.updateParameters(["blocks.0.attn.smear": Tensor(shifted)])
                return try model.loss(tokens).scalar
            }
            let numeric = (try loss(1e-2) - loss(-1e-2)) / 2e-2
            #expect(abs(numeric - analytic[h]) <= 1e-3 + 0.01 * abs(analytic[h]), "head \(h): tape \(analytic[h]), FD \(numeric)")
        }
        #expect(analytic.contains { abs($0) > 1e-2 })
    }

    @Test func clampedPatternTrainsWithoutGradientThroughTheClampedHead() throws {
        let trainer = try Self.tinyTrainer(seed: 2, steps: 5)
        let clamp = Hook.clampPattern(Head(layer: 0, head: 1), to: .previousTokenPattern(24))
        trainer.hooks = [clamp]
        let before = try trainer.model.parameter("blocks.0.attn.W_Q")
        _ = try trainer.train()
        let after = try trainer.model.parameter("blocks.0.attn.W_Q")
        // Head 1's queries and keys do not affect the clamped pattern: no gradient, no update.
        #expect(after[1] == before[1])
        #expect(after[0] != before[0])
        let tokens = RepeatedRandomTokens.batch(count: 2, length: 8, vocabularySize: 16, seed: 0)
        let (_, grads) = try trainer.model.lossAndGradients(tokens, hooks: [clamp])
        #expect(grads["blocks.0.attn.W_K"]![1].abs().max().scalar == 0)
        #expect(grads["blocks.0.attn.W_V"]![1].abs().max().scalar > 0)
        let scores = try HeadScores.measure(trainer.model, repeatedTokens: tokens, hooks: [clamp])
        #expect(scores.previousToken[0, 1].scalar == 1)
        #expect(throws: HookError.self) {
            try trainer.model(tokens, hooks: [.clampPattern(Head(layer: 0, head: 1), to: .previousTokenPattern(4))])
        }
    }
}

/// The co-perturbation argument in miniature (Olsson et al. 2022, Argument 2):
/// with smeared keys a one-layer model forms an induction head within ~150 steps of Recipe R,
/// where the vanilla one-layer model cannot form one at all.
@Suite struct SmearedKeysPhaseChangeTests {
    @Test func oneLayerWithSmearedKeysFormsAnInductionHead() throws {
        func run(smear: Bool) throws -> InductionSummary {
            var recipe = InductionRecipe.recipeR(layers: 1, smearKeys: smear, seed: 0)
            recipe.training.steps = 150
            recipe.training.evaluationInterval = 75
            recipe.evaluation.evaluationSequences = 32
            recipe.evaluation.repeatedSequences = 16
            return try recipe.makeTrainer().train()
        }
        let smeared = try run(smear: true)
        let (start, end) = (smeared.evaluations.first!, smeared.evaluations.last!)
        #expect(start.bestInduction < 0.1)
        #expect(end.bestInduction > 0.4, "best induction score after 150 steps: \(end.bestInduction)")
        #expect(end.icl < start.icl - 1, "ICL \(start.icl) → \(end.icl)")
        #expect(end.repeatedSecondHalfLoss < end.repeatedFirstHalfLoss - 0.5)
        #expect(smeared.phaseChangeStep != nil)
        let vanilla = try run(smear: false)
        #expect(vanilla.evaluations.last!.bestInduction < 0.1)
        #expect(vanilla.phaseChangeStep == nil)
    }
}
