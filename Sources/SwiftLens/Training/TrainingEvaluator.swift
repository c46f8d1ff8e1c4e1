/// What a `Trainer` measures every `evaluationInterval` steps, and what it reports at the end.
///
/// The trainer knows nothing about the metrics: it calls ``evaluate(_:at:)`` (without training
/// hooks), logs each record to `metrics.csv`, collects them into a ``TrainingRun`` and writes
/// ``summarize(_:)`` of that run as `metrics.json`. ``LossEvaluator`` (held-out loss) is the
/// general one; recipes bring their own (e.g. `InductionEvaluator`).
public protocol TrainingEvaluator {
    /// One evaluation's record.
    associatedtype Evaluation: TrainingMetrics
    /// What a finished run reports (and `metrics.json` holds): by default the run itself.
    associatedtype Summary: Codable & Sendable = TrainingRun<Evaluation>

    /// Measures `model` at `point` (the model must not be changed).
    func evaluate(_ model: HookedTransformer, at point: TrainingPoint) throws -> Evaluation

    /// The report of a finished run, e.g. with conclusions drawn from its evaluations.
    func summarize(_ run: TrainingRun<Evaluation>) -> Summary
}

extension TrainingEvaluator where Summary == TrainingRun<Evaluation> {
    public func summarize(_ run: TrainingRun<Evaluation>) -> TrainingRun<Evaluation> { run }
}
