/// The general evaluation: the mean next-token loss on a fixed held-out set drawn once from the
/// training stream restarted at another seed (`TokenStream.reseeded`).
public struct LossEvaluator: TrainingEvaluator {
    /// The held-out sequences, [sequences, sequenceLength].
    public let tokens: IntTensor

    /// - Parameters:
    ///   - data: the training stream (not advanced: the held-out set comes from a reseeded copy).
    ///   - sequences: size of the held-out set.
    ///   - seed: its seed.
    public init(data: any TokenStream, sequences: Int = 64, seed: UInt64 = 999) {
        var heldOut = data.reseeded(seed)
        tokens = heldOut.nextBatch(sequences)
    }

    public func evaluate(_ model: HookedTransformer, at point: TrainingPoint) throws -> LossEvaluation {
        LossEvaluation(step: point.step, trainLoss: point.trainLoss, evalLoss: try model.loss(tokens).scalar,
                       elapsedSeconds: point.elapsedSeconds)
    }
}
