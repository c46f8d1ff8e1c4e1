import Foundation

/// A general training loop for a `HookedTransformer`: batches from a `TokenStream`, AdamW with a
/// learning-rate schedule and optional gradient clipping, an evaluation every
/// `config.evaluationInterval` steps by a pluggable ``TrainingEvaluator``, checkpoints, and a
/// metrics log.
///
/// Every parameter trains unless `config.trainable` says otherwise. With `KernelThreads.count`
/// ≥ 2 and no `hooks`, each step computes two half batches at once on two threads
/// (`DataParallelGradients`); the step then equals the one-thread step up to float rounding,
/// and repeats bitwise at the same thread count.
///
/// ```swift
/// let text = try TextDataset(text: corpus, tokenizer: CharacterTokenizer(corpus: corpus), sequenceLength: 65, seed: 0)
/// let trainer = Trainer(model: model, data: text)               // held-out loss every 100 steps
/// let run = try trainer.train(output: URL(fileURLWithPath: "runs/text"))
/// print(run.evaluations.last!.evalLoss)
/// ```
///
/// The induction-head experiment (Recipes/Induction) plugs in `InductionEvaluator`:
/// `try InductionRecipe.recipeR(layers: 2).makeTrainer()`.
public final class Trainer<Evaluator: TrainingEvaluator> {
    public let model: HookedTransformer
    public var config: TrainingConfig
    /// Hooks active during training steps (e.g. `Hook.clampPattern`), not during evaluation.
    public var hooks: [Hook] = []
    public let evaluator: Evaluator
    private var data: any TokenStream
    private var optimizer: AdamW
    /// With two threads and no hooks, each step runs two half batches at once.
    private var dataParallel: DataParallelGradients?

    /// - Parameters:
    ///   - data: the training stream; the trainer advances its own copy.
    ///   - evaluator: what to measure every `config.evaluationInterval` steps.
    public init(model: HookedTransformer, data: any TokenStream, config: TrainingConfig = TrainingConfig(), evaluator: Evaluator) {
        self.model = model
        self.data = data
        self.config = config
        self.evaluator = evaluator
        optimizer = AdamW(learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon,
                          weightDecay: config.weightDecay)
    }

    /// One optimisation step on the next batch (the trainable parameters only); returns the
    /// batch's loss.
    public func step(learningRate: Float? = nil) throws -> Float {
        let batch = data.nextBatch(config.batchSize)
        let selection = config.trainable.filter(for: model)
        var (loss, grads): (Float, [String: Tensor])
        if DataParallelGradients.applies(batch: batch, hooks: hooks) {
            if dataParallel == nil { dataParallel = try DataParallelGradients(model: model) }
            (loss, grads) = try dataParallel!.lossAndGradients(of: model, batch: batch, parameters: selection)
        } else {
            (loss, grads) = try model.lossAndGradients(batch, hooks: hooks, parameters: selection)
        }
        if let maxNorm = config.maxGradientNorm { clipGradientNorm(&grads, maxNorm: maxNorm) }
        var parameters = grads.keys.reduce(into: [String: Tensor]()) { dict, name in dict[name] = try? model.parameter(name) }
        optimizer.update(&parameters, gradients: grads, learningRate: learningRate)
        try model.updateParameters(parameters)
        return loss
    }

    /// Runs the evaluator on the model now (no hooks).
    public func evaluate(step: Int, trainLoss: Float, elapsed: Double) throws -> Evaluator.Evaluation {
        try evaluator.evaluate(model, at: TrainingPoint(step: step, trainLoss: trainLoss, elapsedSeconds: elapsed))
    }

    /// Trains for `config.steps` steps, evaluating at step 0, every `config.evaluationInterval`
    /// steps and after the last. With an `output` directory, writes `metrics.csv` (a row per
    /// evaluation), `metrics.json` (the evaluator's summary), checkpoints
    /// `checkpoints/step-NNNNNN/` (TransformerLens layout) at `config.checkpointSteps`, and the
    /// final model in `final/`.
    public func train(output: URL? = nil, progress: ((TrainingProgress<Evaluator.Evaluation>) -> Void)? = nil) throws
        -> Evaluator.Summary {
        var log = try output.map { try MetricsLog(directory: $0) }
        var evaluations: [Evaluator.Evaluation] = []
        var lossSum: Float = 0, lossCount = 0
        let clock = ContinuousClock()
        let start = clock.now
        var trainingTime: Duration = .zero
        func record(_ step: Int) throws -> Evaluator.Evaluation {
            let evaluation = try evaluate(step: step, trainLoss: lossCount > 0 ? lossSum / Float(lossCount) : .nan,
                                          elapsed: (clock.now - start).seconds)
            lossSum = 0
            lossCount = 0
            evaluations.append(evaluation)
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
            var evaluation: Evaluator.Evaluation?
            if step % config.evaluationInterval == 0 || step == config.steps { evaluation = try record(step) }
            if let output, config.checkpointSteps.contains(step) {
                try model.save(to: output.appendingPathComponent(String(format: "checkpoints/step-%06d", step)))
            }
            progress?(TrainingProgress(step: step, steps: config.steps, loss: loss,
                                       stepsPerSecond: Double(step) / (clock.now - start).seconds, evaluation: evaluation))
        }
        let run = TrainingRun(steps: config.steps, seconds: (clock.now - start).seconds,
                              millisecondsPerStep: trainingTime.seconds * 1000 / Double(max(config.steps, 1)),
                              evaluations: evaluations)
        let summary = evaluator.summarize(run)
        if let output {
            try model.save(to: output.appendingPathComponent("final"))
            try log?.finish(summary)
        }
        return summary
    }
}

extension Trainer where Evaluator == LossEvaluator {
    /// A trainer that evaluates the held-out loss (``LossEvaluator`` with its defaults).
    public convenience init(model: HookedTransformer, data: any TokenStream, config: TrainingConfig = TrainingConfig()) {
        self.init(model: model, data: data, config: config, evaluator: LossEvaluator(data: data))
    }
}
