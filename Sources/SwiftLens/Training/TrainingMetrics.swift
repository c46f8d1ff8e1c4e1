/// One evaluation's record, as a `TrainingEvaluator` makes it: an element of `metrics.json`'s
/// `evaluations` and a row of `metrics.csv`.
public protocol TrainingMetrics: Codable, Sendable {
    /// The step evaluated (0: before the first step).
    var step: Int { get }
    /// The named metrics as `metrics.csv` columns, in order: the header name and the value as
    /// written (``csvField(_:)`` for a number). Every evaluation of a run has the same names.
    var csvColumns: [(name: String, value: String)] { get }
}

extension TrainingMetrics {
    /// A number as a CSV field: its shortest decimal form, empty for nil or NaN.
    public static func csvField(_ x: Float?) -> String { x.map { $0.isNaN ? "" : String($0) } ?? "" }
}
