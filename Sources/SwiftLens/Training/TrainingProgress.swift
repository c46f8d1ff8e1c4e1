/// Progress reported after each training step.
public struct TrainingProgress<Evaluation: TrainingMetrics>: Sendable {
    public let step: Int
    public let steps: Int
    /// This step's batch loss.
    public let loss: Float
    /// Steps per second since training started, evaluations included.
    public let stepsPerSecond: Double
    public var etaSeconds: Double { Double(steps - step) / max(stepsPerSecond, 1e-9) }
    /// Set on steps that ran an evaluation.
    public let evaluation: Evaluation?
}
