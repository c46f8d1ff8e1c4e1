import Foundation
import SwiftLens
import Testing

/// The general training loop: which parameters train, pluggable evaluation, and that the
/// induction recipe's files still read back.
@Suite struct TrainerTests {
    /// A GPT-2-style model (LayerNorm with weight and bias, MLP, biases everywhere) and a
    /// character stream to train it on.
    static func gptStyle() throws -> (model: HookedTransformer, data: TextDataset) {
        let corpus = String(repeating: "the cat sat on the mat; the dog sat on the log. ", count: 4)
        let data = try TextDataset(text: corpus, tokenizer: CharacterTokenizer(corpus: corpus), sequenceLength: 17, seed: 3)
        let config = HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 16, dHead: 4, dVocab: data.vocabularySize, actFn: .gelu,
                                             normalizationType: .layerNorm)
        return (try HookedTransformer(config: config, seed: 1), data)
    }

    /// Runs `steps` steps with `trainable` and returns the parameters before and the model after.
    static func train(_ trainable: TrainableParameters?, steps: Int = 3) throws -> (before: [String: Tensor], model: HookedTransformer) {
        let (model, data) = try gptStyle()
        let before = model.stateDict
        var config = TrainingConfig()
        config.steps = steps
        config.batchSize = 4
        if let trainable { config.trainable = trainable }
        _ = try Trainer(model: model, data: data, config: config).train()
        return (before, model)
    }

    /// The key bias b_K adds q·b_K to every score of a query, which the softmax ignores: its
    /// gradient is zero up to rounding, so whether Adam moves it is not a property to test.
    static func isKeyBias(_ name: String) -> Bool { name.hasSuffix(".b_K") }

    @Test func theDefaultConfigTrainsEveryParameterIncludingBiases() throws {
        #expect(TrainingConfig().trainable == .all)
        let (before, model) = try Self.train(nil)
        let kinds = Set(model.parameterKinds.values)
        #expect(kinds.isSuperset(of: [.weight, .bias, .normWeight, .normBias]))
        for name in model.parameterNames where !Self.isKeyBias(name) {
            #expect(try model.parameter(name) != before[name], "\(name) did not train")
        }
    }

    @Test func weightsOnlyLeavesBiasesAtTheirInitialValues() throws {
        let (before, model) = try Self.train(.weightsOnly)
        let kinds = model.parameterKinds
        for name in model.parameterNames {
            switch kinds[name] {
            case .bias?, .normBias?:
                #expect(try model.parameter(name) == before[name], "\(name) changed")
            default:
                #expect(try model.parameter(name) != before[name], "\(name) did not train")
            }
        }
    }

    @Test func namedParametersAloneTrain() throws {
        let chosen: Set = ["blocks.1.attn.W_Q", "blocks.0.mlp.b_in"]
        let (before, model) = try Self.train(.named(chosen))
        for name in model.parameterNames {
            #expect(try (model.parameter(name) != before[name]) == chosen.contains(name), "\(name)")
        }
    }

    @Test func everyParameterHasTheKindItsComponentDeclares() throws {
        let configs = [
            try Self.gptStyle().model.config,
            HookedTransformerConfig.recipeR(layers: 1, smearKeys: true),
            HookedTransformerConfig(nLayers: 1, dModel: 16, nCtx: 8, dHead: 4, dVocab: 10, gatedMLP: true, nKeyValueHeads: 2),
        ]
        for config in configs {
            let model = try HookedTransformer(config: config)
            let kinds = model.parameterKinds
            #expect(Set(kinds.keys) == Set(model.parameterNames))
            for (name, kind) in kinds {
                // TransformerLens's naming agrees with the declared kinds.
                let last = String(name.split(separator: ".").last!).trimmingCharacters(in: ["_"])
                let expected: ParameterKind = last == "w" ? .normWeight : last == "b" ? .normBias : last == "smear" ? .smear
                    : last.hasPrefix("W_") ? .weight : .bias
                #expect(kind == expected, "\(name)")
            }
        }
        let grouped = try HookedTransformer(config: configs[2]).parameterKinds
        #expect(grouped["blocks.0.attn._W_K"] == .weight && grouped["blocks.0.attn._b_V"] == .bias)
        let weightsOnly = TrainableParameters.weightsOnly
        #expect(!weightsOnly.contains("blocks.0.ln1.b", kind: .normBias) && weightsOnly.contains("blocks.0.ln1.w", kind: .normWeight))
    }

    /// An evaluator of this test's own: the trainer calls it at step 0, every interval and at the
    /// end, logs its columns and returns its summary.
    struct WeightNorm: TrainingEvaluator {
        struct Evaluation: TrainingMetrics {
            var step: Int
            var trainLoss: Float
            var norm: Float
            var csvColumns: [(name: String, value: String)] {
                [("step", String(step)), ("train_loss", Self.csvField(trainLoss)), ("w_u_norm", Self.csvField(norm))]
            }
        }

        func evaluate(_ model: HookedTransformer, at point: TrainingPoint) throws -> Evaluation {
            Evaluation(step: point.step, trainLoss: point.trainLoss, norm: try model.parameter("unembed.W_U").square().sum().scalar)
        }
    }

    @Test func aCustomEvaluatorRunsEveryIntervalAndIsLogged() throws {
        let (model, data) = try Self.gptStyle()
        var config = TrainingConfig()
        config.steps = 5
        config.batchSize = 2
        config.evaluationInterval = 2
        let trainer = Trainer(model: model, data: data, config: config, evaluator: WeightNorm())
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-trainer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try trainer.train(output: out)
        #expect(run.evaluations.map(\.step) == [0, 2, 4, 5])
        #expect(run.evaluations[0].trainLoss.isNaN && run.evaluations[1].trainLoss.isFinite)
        #expect(run.evaluations[0].norm != run.evaluations[3].norm)

        let lines = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "step,train_loss,w_u_norm" && lines.count == 5)
        #expect(lines[1].hasPrefix("0,,"))  // no training loss before the first step
        let decoded = try TrainingRun<WeightNorm.Evaluation>.read(from: out.appendingPathComponent("metrics.json"))
        #expect(decoded.steps == 5 && decoded.evaluations.map(\.norm) == run.evaluations.map(\.norm))
        #expect(try HookedTransformer.load(directory: out.appendingPathComponent("final")).parameter("unembed.W_U")
                == model.parameter("unembed.W_U"))
    }

    @Test func theLossEvaluatorHoldsOutAReseededSet() throws {
        let (model, data) = try Self.gptStyle()
        let evaluator = LossEvaluator(data: data, sequences: 8, seed: 5)
        var training = data
        #expect(evaluator.tokens.shape == [8, 17] && evaluator.tokens != training.nextBatch(8))
        #expect(LossEvaluator(data: data, sequences: 8, seed: 5).tokens == evaluator.tokens)
        let evaluation = try evaluator.evaluate(model, at: TrainingPoint(step: 7, trainLoss: 1, elapsedSeconds: 0))
        let loss = try model.loss(evaluator.tokens).scalar
        #expect(evaluation.step == 7 && evaluation.evalLoss == loss)
    }

    /// The committed 2,500-step run (made before the recipe moved out of the trainer) still
    /// reads back, and today's evaluation writes the same metrics.csv columns.
    @Test func theCommittedRunReadsBackWithTheSameColumns() throws {
        let run = Fixtures.url("trained/recipeR-2L-s0")
        let summary = try InductionSummary.read(from: run.appendingPathComponent("metrics.json"))
        #expect(summary.steps == 2500 && summary.evaluations.count == 101 && summary.phaseChangeStep == 800)
        #expect(summary.inductionThreshold == 0.4 && summary.evaluations[0].trainLoss.isNaN)
        let recomputed = InductionSummary(run: TrainingRun(steps: summary.steps, seconds: summary.seconds,
                                                           millisecondsPerStep: summary.millisecondsPerStep,
                                                           evaluations: summary.evaluations), inductionThreshold: 0.4)
        #expect(recomputed.phaseChangeStep == 800)

        let header = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
            .split(separator: "\n")[0].split(separator: ",").map(String.init)
        #expect(summary.evaluations.last!.csvColumns.map(\.name) == header)
    }
}
