import Foundation

/// One evaluation of an induction-head training run (``InductionEvaluator``): losses, the ICL
/// score and every head's scores. Its fields are the keys of `metrics.json`'s `evaluations`.
public struct InductionEvaluation: TrainingMetrics {
    public var step: Int
    /// Mean training loss since the previous evaluation (NaN before the first step).
    public var trainLoss: Float
    public var evalLoss: Float
    /// Mean per-token loss at each position of the evaluation set.
    public var lossByPosition: [Float]
    /// `InContextLearningScore` of `lossByPosition` (negative: later tokens are predicted better).
    public var icl: Float
    /// Loss on targets an earlier copy makes predictable, and on the others (`InductionData`
    /// only; nil for other streams).
    public var predictableLoss: Float?
    public var otherLoss: Float?
    /// Per-head scores on repeated random tokens, [layer][head] (`HeadScores`).
    public var induction: [[Float]]
    public var previousToken: [[Float]]
    public var duplicateToken: [[Float]]
    /// Loss on the first and second half of the repeated random tokens.
    public var repeatedFirstHalfLoss: Float
    public var repeatedSecondHalfLoss: Float
    public var elapsedSeconds: Double

    public var bestInduction: Float { induction.joined().max() ?? 0 }
    public var bestPreviousToken: Float { previousToken.joined().max() ?? 0 }

    /// Scalars first, then every head's score as `induction_L0H1`, `previous_token_L0H1`,
    /// `duplicate_token_L0H1`, …
    public var csvColumns: [(name: String, value: String)] {
        let f = Self.csvField
        var columns: [(name: String, value: String)] = [
            ("step", String(step)), ("train_loss", f(trainLoss)), ("eval_loss", f(evalLoss)), ("icl", f(icl)),
            ("predictable_loss", f(predictableLoss)), ("other_loss", f(otherLoss)),
            ("rrt_first_half_loss", f(repeatedFirstHalfLoss)), ("rrt_second_half_loss", f(repeatedSecondHalfLoss)),
            ("best_induction", f(bestInduction)), ("best_previous_token", f(bestPreviousToken)),
            ("elapsed_seconds", String(format: "%.3f", elapsedSeconds)),
        ]
        for (kind, table) in [("induction", induction), ("previous_token", previousToken), ("duplicate_token", duplicateToken)] {
            for (l, row) in table.enumerated() {
                for (h, score) in row.enumerated() { columns.append(("\(kind)_L\(l)H\(h)", f(score))) }
            }
        }
        return columns
    }
}
