import Foundation

/// A finished training run: its timing and every evaluation, in step order.
public struct TrainingRun<Evaluation: TrainingMetrics>: Codable, Sendable {
    public var steps: Int
    /// Wall-clock seconds, evaluations included.
    public var seconds: Double
    /// Mean milliseconds of one optimisation step (evaluations excluded).
    public var millisecondsPerStep: Double
    public var evaluations: [Evaluation]

    public init(steps: Int, seconds: Double, millisecondsPerStep: Double, evaluations: [Evaluation]) {
        self.steps = steps
        self.seconds = seconds
        self.millisecondsPerStep = millisecondsPerStep
        self.evaluations = evaluations
    }

    /// Reads the `metrics.json` a run with this kind of evaluation wrote.
    public static func read(from url: URL) throws -> TrainingRun { try MetricsLog.read(TrainingRun.self, from: url) }
}
