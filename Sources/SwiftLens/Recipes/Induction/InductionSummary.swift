import Foundation

/// What an induction-head training run produced (``InductionEvaluator/summarize(_:)``): the
/// run and its phase change. This is the `metrics.json` of `lens train`, read back with
/// ``read(from:)``.
public struct InductionSummary: Codable, Sendable {
    public var steps: Int
    public var seconds: Double
    public var millisecondsPerStep: Double
    /// The first evaluated step whose best induction score reached `inductionThreshold`: the
    /// phase change of Olsson et al. (2022), Argument 1 (macroscopic co-occurrence): induction heads form abruptly, at
    /// the same time as the jump in in-context learning.
    public var phaseChangeStep: Int?
    public var inductionThreshold: Float
    public var evaluations: [InductionEvaluation]

    /// The summary of `run`, detecting the phase change at `threshold`.
    public init(run: TrainingRun<InductionEvaluation>, inductionThreshold threshold: Float) {
        steps = run.steps
        seconds = run.seconds
        millisecondsPerStep = run.millisecondsPerStep
        inductionThreshold = threshold
        evaluations = run.evaluations
        phaseChangeStep = run.evaluations.first { $0.bestInduction >= threshold }?.step
    }

    /// Reads the `metrics.json` an induction training run wrote.
    public static func read(from url: URL) throws -> InductionSummary { try MetricsLog.read(InductionSummary.self, from: url) }
}
