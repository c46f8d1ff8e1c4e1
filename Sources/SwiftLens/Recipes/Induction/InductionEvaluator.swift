import Foundation

/// The induction-head evaluation of Recipe R (README.md here), after Olsson et al. (2022),
/// "In-context Learning and Induction Heads":
///
/// - on a fixed evaluation set from the training stream reseeded: the loss, the loss by
///   position, the ICL score (`InContextLearningScore`), and — for `InductionData` — the loss on
///   copy-predictable targets and on the others;
/// - on repeated random tokens: every head's induction, previous-token and duplicate-token
///   score (`HeadScores`) and the loss on each half.
///
/// Its summary (``InductionSummary``) finds the phase change: the first evaluation whose best
/// induction score reaches ``Options/inductionThreshold``.
public struct InductionEvaluator: TrainingEvaluator {
    /// Sizes, seeds and the threshold; the defaults are Recipe R's.
    public struct Options: Sendable {
        /// Sequences in the fixed evaluation set, and its seed.
        public var evaluationSequences = 128
        public var evaluationSeed: UInt64 = 999
        /// Repeated random tokens for the head scores: sequences, distinct tokens per half (at
        /// most the vocabulary and half the context), and seed.
        public var repeatedSequences = 64
        public var repeatedLength = 32
        public var repeatedSeed: UInt64 = 777
        /// The ICL windows (default: from the sequence length).
        public var icl: InContextLearningScore?
        /// The phase change is the first evaluation whose best induction score reaches this
        /// (0.4: the threshold of ARENA's induction-head detector).
        public var inductionThreshold: Float = 0.4

        public init() {}
    }

    public let options: Options
    /// The fixed evaluation set, [sequences, sequenceLength].
    public let evaluationTokens: IntTensor
    /// Which of its targets a copy makes predictable, [sequences, sequenceLength − 1] (nil
    /// unless the stream is `InductionData`).
    public let evaluationMask: Tensor?
    /// Repeated random tokens, [sequences, 2·length].
    public let repeatedTokens: IntTensor
    private let icl: InContextLearningScore

    /// An evaluator for `model` trained on `data` (neither is changed).
    public init(model: HookedTransformer, data: any TokenStream, options: Options = Options()) {
        self.options = options
        if let induction = data as? InductionData {
            var heldOut = induction.reseeded(options.evaluationSeed)
            let batch = heldOut.nextBatchWithMask(options.evaluationSequences)
            evaluationTokens = batch.tokens
            evaluationMask = batch.predictable
        } else {
            var heldOut = data.reseeded(options.evaluationSeed)
            evaluationTokens = heldOut.nextBatch(options.evaluationSequences)
            evaluationMask = nil
        }
        let length = min(options.repeatedLength, data.vocabularySize, model.config.nCtx / 2)
        repeatedTokens = RepeatedRandomTokens.batch(count: options.repeatedSequences, length: length,
                                                    vocabularySize: min(data.vocabularySize, model.config.dVocab),
                                                    seed: options.repeatedSeed)
        icl = options.icl ?? InContextLearningScore(contextLength: data.sequenceLength - 1)
    }

    public func evaluate(_ model: HookedTransformer, at point: TrainingPoint) throws -> InductionEvaluation {
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
        return InductionEvaluation(step: point.step, trainLoss: point.trainLoss, evalLoss: perToken.mean().scalar,
                                   lossByPosition: byPosition, icl: icl.score(lossByPosition: byPosition),
                                   predictableLoss: predictable, otherLoss: other,
                                   induction: scores.induction.rowScalars, previousToken: scores.previousToken.rowScalars,
                                   duplicateToken: scores.duplicateToken.rowScalars,
                                   repeatedFirstHalfLoss: mean(repeatedLoss[..<(half - 1)]),
                                   repeatedSecondHalfLoss: mean(repeatedLoss[half...]), elapsedSeconds: point.elapsedSeconds)
    }

    public func summarize(_ run: TrainingRun<InductionEvaluation>) -> InductionSummary {
        InductionSummary(run: run, inductionThreshold: options.inductionThreshold)
    }

    private func mean(_ values: ArraySlice<Float>) -> Float { values.reduce(0, +) / Float(max(values.count, 1)) }
}
