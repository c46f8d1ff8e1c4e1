import Foundation

/// How to train: optimiser, schedule, evaluation and checkpoints. The defaults are Recipe R's
/// (../shared/reference/induction.md §2.1): AdamW without weight decay at 3e-3, batch 32,
/// 2,500 steps, evaluation every 25.
public struct TrainingConfig: Sendable {
    public var steps = 2500
    public var batchSize = 32
    public var learningRate: Float = 3e-3
    public var schedule: LearningRateSchedule = .constant
    public var weightDecay: Float = 0
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Clip the global gradient norm to this (nil: no clipping).
    public var maxGradientNorm: Float?
    /// Evaluate every this many steps (and after the last).
    public var evaluationInterval = 25
    /// Save a checkpoint after these steps (the final model is always saved when there is an
    /// output directory).
    public var checkpointSteps: Set<Int> = []
    /// The phase change is the first evaluation whose best induction score reaches this.
    public var inductionThreshold: Float = 0.4
    /// Sequences in the fixed evaluation set.
    public var evaluationSequences = 128
    public var evaluationSeed: UInt64 = 999
    /// Repeated random tokens for the head scores: sequences, and distinct tokens per half.
    public var repeatedSequences = 64
    public var repeatedLength = 32
    public var repeatedSeed: UInt64 = 777
    /// The ICL windows (default: from the context length).
    public var icl: InContextLearningScore?
    /// Parameters that train (default: matrices and smeared-key logits — Recipe R has no
    /// biases, so they stay at zero).
    public var trainable: @Sendable (String) -> Bool = TrainingConfig.weightsOnly

    public init() {}

    /// `W_*`, `w` (norm gains) and `smear` parameters; no biases.
    public static let weightsOnly: @Sendable (String) -> Bool = { name in
        let last = name.split(separator: ".").last.map(String.init) ?? name
        return last.hasPrefix("W_") || last.hasPrefix("_W_") || last == "w" || last == "smear"
    }

    /// Every parameter.
    public static let everything: @Sendable (String) -> Bool = { _ in true }
}

/// One evaluation during training.
public struct TrainingEvaluation: Codable, Sendable {
    public var step: Int
    /// Mean training loss since the previous evaluation.
    public var trainLoss: Float
    public var evalLoss: Float
    /// Mean per-token loss at each position of the evaluation set.
    public var lossByPosition: [Float]
    public var icl: Float
    /// Loss on targets an earlier copy makes predictable, and on the others (induction data).
    public var predictableLoss: Float?
    public var otherLoss: Float?
    /// Per-head scores on repeated random tokens, [layer][head].
    public var induction: [[Float]]
    public var previousToken: [[Float]]
    public var duplicateToken: [[Float]]
    /// Loss on the first and second half of the repeated random tokens.
    public var repeatedFirstHalfLoss: Float
    public var repeatedSecondHalfLoss: Float
    public var elapsedSeconds: Double

    public var bestInduction: Float { induction.joined().max() ?? 0 }
    public var bestPreviousToken: Float { previousToken.joined().max() ?? 0 }
}

/// Progress reported after each step.
public struct TrainingProgress: Sendable {
    public let step: Int
    public let steps: Int
    public let loss: Float
    public let stepsPerSecond: Double
    public var etaSeconds: Double { Double(steps - step) / max(stepsPerSecond, 1e-9) }
    /// Set on steps that ran an evaluation.
    public let evaluation: TrainingEvaluation?
}

/// What a run produced.
public struct TrainingSummary: Codable, Sendable {
    public var steps: Int
    public var seconds: Double
    public var millisecondsPerStep: Double
    /// The first evaluated step whose best induction score reached the threshold.
    public var phaseChangeStep: Int?
    public var inductionThreshold: Float
    public var evaluations: [TrainingEvaluation]

    /// JSON has no NaN or infinity (the training loss before the first step is NaN): they are
    /// written as the strings "nan", "inf" and "-inf".
    static let nonConformingFloats = (
        encoding: JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                                 nan: "nan"),
        decoding: JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                                   nan: "nan"))

    /// Reads the `metrics.json` a training run wrote.
    public static func read(from url: URL) throws -> TrainingSummary {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = nonConformingFloats.decoding
        do {
            return try decoder.decode(TrainingSummary.self, from: Data(contentsOf: url))
        } catch {
            throw ModelError.io("cannot read training metrics \(url.path): \(error)")
        }
    }
}

/// Trains a `HookedTransformer` on a token stream, evaluating and checkpointing as it goes.
///
/// With `KernelThreads.count` ≥ 2 and no `hooks`, each step computes two half batches at once on
/// two threads (`DataParallelGradients`); the step then equals the one-thread step up to float
/// rounding, and repeats bitwise at the same thread count.
///
/// ```swift
/// let model = try HookedTransformer(config: .recipeR(layers: 2), seed: 0)
/// let trainer = Trainer(model: model, data: InductionData.recipeR(seed: 10_000))
/// let summary = try trainer.train(output: URL(fileURLWithPath: "runs/R_2L_s0"))
/// print(summary.phaseChangeStep)
/// ```
public final class Trainer {
    public let model: HookedTransformer
    public var config: TrainingConfig
    /// Hooks active during training steps (e.g. `Hook.clampPattern`), not during evaluation.
    public var hooks: [Hook] = []
    private var data: any TokenStream
    private var optimizer: AdamW
    private let evaluationTokens: IntTensor
    private let evaluationMask: Tensor?
    private let repeatedTokens: IntTensor
    private let icl: InContextLearningScore
    /// With two threads and no hooks, each step runs two half batches at once.
    private var dataParallel: DataParallelGradients?

    public init(model: HookedTransformer, data: any TokenStream, config: TrainingConfig = TrainingConfig()) {
        self.model = model
        self.data = data
        self.config = config
        optimizer = AdamW(learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon,
                          weightDecay: config.weightDecay)
        // A fixed evaluation set from the same kind of data, with its own seed.
        if var induction = data as? InductionData {
            induction = InductionData(vocabularySize: induction.vocabularySize, sequenceLength: induction.sequenceLength,
                                      base: induction.base, seed: config.evaluationSeed)
            let batch = induction.nextBatchWithMask(config.evaluationSequences)
            evaluationTokens = batch.tokens
            evaluationMask = batch.predictable
        } else if var text = data as? TextDataset {
            text.reseed(config.evaluationSeed)
            evaluationTokens = text.nextBatch(config.evaluationSequences)
            evaluationMask = nil
        } else {
            var copy = data
            evaluationTokens = copy.nextBatch(config.evaluationSequences)
            evaluationMask = nil
        }
        let length = min(config.repeatedLength, data.vocabularySize, (model.config.nCtx) / 2)
        repeatedTokens = RepeatedRandomTokens.batch(count: config.repeatedSequences, length: length,
                                                    vocabularySize: min(data.vocabularySize, model.config.dVocab), seed: config.repeatedSeed)
        icl = config.icl ?? InContextLearningScore(contextLength: data.sequenceLength - 1)
    }

    /// One optimisation step on the next batch; returns the batch's loss.
    public func step(learningRate: Float? = nil) throws -> Float {
        let batch = data.nextBatch(config.batchSize)
        var (loss, grads): (Float, [String: Tensor])
        if DataParallelGradients.applies(batch: batch, hooks: hooks) {
            if dataParallel == nil { dataParallel = try DataParallelGradients(model: model) }
            (loss, grads) = try dataParallel!.lossAndGradients(of: model, batch: batch, parameters: config.trainable)
        } else {
            (loss, grads) = try model.lossAndGradients(batch, hooks: hooks, parameters: config.trainable)
        }
        if let maxNorm = config.maxGradientNorm { clipGradientNorm(&grads, maxNorm: maxNorm) }
        var parameters = grads.keys.reduce(into: [String: Tensor]()) { dict, name in dict[name] = try? model.parameter(name) }
        optimizer.update(&parameters, gradients: grads, learningRate: learningRate)
        try model.updateParameters(parameters)
        return loss
    }

    /// Evaluates the model now (no hooks): eval-set losses, ICL score and head scores.
    public func evaluate(step: Int, trainLoss: Float, elapsed: Double) throws -> TrainingEvaluation {
        let perToken = try model.perTokenLoss(evaluationTokens)  // [batch, pos]
        let byPosition = perToken.mean(axis: 0).scalars
        var predictable: Float?, other: Float?
        if let mask = evaluationMask, mask.shape == perToken.shape {
            let m = mask.sum().scalar, o = Float(mask.count) - m
            if m > 0 { predictable = (perToken * mask).sum().scalar / m }
            if o > 0 { other = (perToken * (1 - mask)).sum().scalar / o }
        }
        let layers = model.config.nLayers
        let (logits, cache) = try model.runWithCache(repeatedTokens, names: .only((0..<layers).map { .pattern($0) }))
        let scores = HeadScores(patterns: try (0..<layers).map { try cache.tensor(.pattern($0)) })
        let repeatedLoss = try HookedTransformer.perTokenLoss(logits: logits, tokens: repeatedTokens).mean(axis: 0).scalars
        let half = repeatedTokens.shape[1] / 2
        return TrainingEvaluation(step: step, trainLoss: trainLoss, evalLoss: perToken.mean().scalar, lossByPosition: byPosition,
                                  icl: icl.score(lossByPosition: byPosition), predictableLoss: predictable, otherLoss: other,
                                  induction: scores.induction.rowScalars, previousToken: scores.previousToken.rowScalars,
                                  duplicateToken: scores.duplicateToken.rowScalars,
                                  repeatedFirstHalfLoss: mean(repeatedLoss[..<(half - 1)]),
                                  repeatedSecondHalfLoss: mean(repeatedLoss[half...]), elapsedSeconds: elapsed)
    }

    private func mean(_ values: ArraySlice<Float>) -> Float { values.reduce(0, +) / Float(max(values.count, 1)) }

    /// Trains for `config.steps` steps. With an `output` directory, writes `metrics.csv`,
    /// `metrics.json` (every evaluation and the summary), checkpoints `checkpoints/step-NNNNNN/`
    /// (TransformerLens layout) at `config.checkpointSteps`, and the final model in `final/`.
    public func train(output: URL? = nil, progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingSummary {
        var log = try output.map { try MetricsLog(directory: $0, layers: model.config.nLayers, heads: model.config.nHeads) }
        var evaluations: [TrainingEvaluation] = []
        var phaseChange: Int?
        var lossSum: Float = 0, lossCount = 0
        let clock = ContinuousClock()
        let start = clock.now
        var trainingTime: Duration = .zero
        func record(_ step: Int) throws -> TrainingEvaluation {
            let evaluation = try evaluate(step: step, trainLoss: lossCount > 0 ? lossSum / Float(lossCount) : .nan,
                                          elapsed: (clock.now - start).seconds)
            lossSum = 0
            lossCount = 0
            evaluations.append(evaluation)
            if phaseChange == nil && evaluation.bestInduction >= config.inductionThreshold { phaseChange = step }
            try log?.append(evaluation)
            return evaluation
        }
        _ = try record(0)
        for step in 1...max(config.steps, 1) where config.steps > 0 {
            let t0 = clock.now
            let loss = try self.step(learningRate: config.schedule.rate(at: step - 1, base: config.learningRate))
            trainingTime += clock.now - t0
            lossSum += loss
            lossCount += 1
            var evaluation: TrainingEvaluation?
            if step % config.evaluationInterval == 0 || step == config.steps { evaluation = try record(step) }
            if let output, config.checkpointSteps.contains(step) {
                try model.save(to: output.appendingPathComponent(String(format: "checkpoints/step-%06d", step)))
            }
            progress?(TrainingProgress(step: step, steps: config.steps, loss: loss,
                                       stepsPerSecond: Double(step) / (clock.now - start).seconds, evaluation: evaluation))
        }
        let summary = TrainingSummary(steps: config.steps, seconds: (clock.now - start).seconds,
                                      millisecondsPerStep: trainingTime.seconds * 1000 / Double(max(config.steps, 1)),
                                      phaseChangeStep: phaseChange, inductionThreshold: config.inductionThreshold,
                                      evaluations: evaluations)
        if let output {
            try model.save(to: output.appendingPathComponent("final"))
            try log?.finish(summary)
        }
        return summary
    }
}

extension HookedTransformer {
    /// Replaces several parameters at once (TransformerLens names; shapes must match).
    public func updateParameters(_ values: [String: Tensor]) throws {
        var seen = 0
        try visitParameters { name, _, slot in
            guard let value = values[name] else { return }
            guard value.shape == slot.shape else { throw ModelError.parameterShape(name, expected: slot.shape, found: value.shape) }
            slot.value = value
            seen += 1
        }
        if seen != values.count, let unknown = values.keys.sorted().first(where: { !parameterNames.contains($0) }) {
            throw ModelError.unknownParameter(unknown, available: parameterNames)
        }
    }
}

extension HookedTransformerConfig {
    /// Recipe R's model (../shared/reference/induction.md §2.1): attention-only, V 64, n_ctx 64,
    /// d_model 64, 4 heads of 16, LayerNorm without weight or bias, learned positions,
    /// N(0, 0.02²) initialisation. Biases exist (TransformerLens's layout) but do not train.
    public static func recipeR(layers: Int, smearKeys: Bool = false, contextLength: Int = 64, vocabularySize: Int = 64)
        -> HookedTransformerConfig {
        HookedTransformerConfig(nLayers: layers, dModel: 64, nCtx: contextLength, dHead: 16, nHeads: 4, dVocab: vocabularySize,
                                actFn: nil, normalizationType: .layerNormPre, attnOnly: true, initializerRange: 0.02,
                                modelName: "recipe-R-\(layers)L\(smearKeys ? "-smeared" : "")", smearKeys: smearKeys)
    }
}

extension TextDataset {
    /// Restarts the window sampler from `seed`.
    mutating func reseed(_ seed: UInt64) { self = TextDataset(tokens: tokens, vocabularySize: vocabularySize, sequenceLength: sequenceLength, seed: seed) }
}
