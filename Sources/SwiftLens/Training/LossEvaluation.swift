import Foundation

/// ``LossEvaluator``'s record: training and held-out loss.
public struct LossEvaluation: TrainingMetrics {
    public var step: Int
    /// Mean training loss since the previous evaluation (NaN before the first step).
    public var trainLoss: Float
    /// Mean next-token loss on the held-out sequences.
    public var evalLoss: Float
    public var elapsedSeconds: Double

    public var csvColumns: [(name: String, value: String)] {
        [("step", String(step)), ("train_loss", Self.csvField(trainLoss)), ("eval_loss", Self.csvField(evalLoss)),
         ("elapsed_seconds", String(format: "%.3f", elapsedSeconds))]
    }
}
