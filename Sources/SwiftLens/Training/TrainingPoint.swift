/// Where training stands when an evaluation runs: what the `Trainer` knows and the evaluator
/// does not.
public struct TrainingPoint: Sendable {
    /// Steps taken (0: the untrained model).
    public var step: Int
    /// Mean training-batch loss since the previous evaluation (NaN at step 0: no step yet).
    public var trainLoss: Float
    /// Seconds since training started, including earlier evaluations.
    public var elapsedSeconds: Double

    public init(step: Int, trainLoss: Float, elapsedSeconds: Double) {
        self.step = step
        self.trainLoss = trainLoss
        self.elapsedSeconds = elapsedSeconds
    }
}
