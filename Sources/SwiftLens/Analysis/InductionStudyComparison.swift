import Foundation

/// Olsson et al.'s Argument 6 as one table: models of very different size put through the same
/// measurements (``InductionStudy``) — how their heads' scores are distributed, how much the
/// induction heads carry copying, and how much of the in-context learning goes when they are
/// ablated, beside as many random heads. A row per measurement, a column per model.
///
/// ```swift
/// let table = InductionStudyComparison(["2-layer (Recipe R)": small, "SmolLM2-135M": smol])
/// print(table.text())
/// ```
public struct InductionStudyComparison {
    /// One measurement across the models, already formatted.
    public struct Row: Sendable, Equatable {
        public let measurement: String
        public let values: [String]
    }

    /// The models' names, in column order.
    public let models: [String]
    public let rows: [Row]

    /// Builds the table from studies in column order.
    public init(_ studies: KeyValuePairs<String, InductionStudy>) {
        self.init(names: studies.map(\.key), studies: studies.map(\.value))
    }

    public init(names: [String], studies: [InductionStudy]) {
        models = names
        var rows: [Row] = []
        func row(_ name: String, _ value: (InductionStudy) -> String) { rows.append(Row(measurement: name, values: studies.map(value))) }
        func f(_ x: Float, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }
        func signed(_ x: Float) -> String { String(format: "%+.2f", x) }
        func mean(_ xs: [Float]) -> Float { xs.isEmpty ? .nan : xs.reduce(0, +) / Float(xs.count) }
        func sortedScores(_ t: Tensor) -> [Float] { t.scalars.sorted() }
        func quantile(_ xs: [Float], _ q: Double) -> Float { xs.isEmpty ? .nan : xs[min(xs.count - 1, Int(Double(xs.count - 1) * q))] }

        row("layers × heads") { "\($0.scores.induction.shape[0]) × \($0.scores.induction.shape[1])" }
        row("repeated random tokens") { s in
            "\(s.options.sequences) × (\(s.options.bos == nil ? "" : "BOS + ")2 × \(s.options.length))"
        }
        row("induction heads (score ≥ threshold)") { s in
            let count = s.scores.induction.scalars.filter { $0 >= s.options.threshold }.count
            return "\(count) of \(s.scores.induction.count) (\(f(100 * Float(count) / Float(max(s.scores.induction.count, 1)), 0)) %)"
        }
        row("best induction score") { f(sortedScores($0.scores.induction).last ?? .nan) }
        row("induction score: median / 90th percentile") { s in
            let xs = sortedScores(s.scores.induction)
            return "\(f(quantile(xs, 0.5))) / \(f(quantile(xs, 0.9)))"
        }
        row("previous-token heads (score ≥ threshold)") { s in
            "\(s.scores.previousToken.scalars.filter { $0 >= s.options.threshold }.count)"
        }
        row("mean attention to the first token") { f($0.scores.firstToken.mean().scalar) }
        row("heads ablated together") { "\($0.inductionHeads.count)" }
        row("induction loss: clean → without them") { "\(f($0.clean.induction)) → \(f($0.withoutInductionHeads.induction))" }
        row("… without as many random heads (mean)") { s in
            s.randomControls.isEmpty ? "–" : f(mean(s.randomControls.map(\.losses.induction)))
        }
        row("first-copy loss: clean → without them") { "\(f($0.clean.firstCopy)) → \(f($0.withoutInductionHeads.firstCopy))" }
        row("ICL score: clean → without them") { s in
            s.icl.map { "\(signed($0.clean.score)) → \(signed($0.withoutInductionHeads.score))" } ?? "–"
        }
        row("… without as many random heads (mean)") { s in
            let scores = s.randomControls.compactMap { $0.icl?.score }
            return scores.isEmpty ? "–" : signed(mean(scores))
        }
        row("share of the ICL score removed (random heads)") { s in
            guard let icl = s.icl, icl.clean.score != 0 else { return "–" }
            let removed = 1 - icl.withoutInductionHeads.score / icl.clean.score
            let random = s.randomControls.compactMap { $0.icl?.score }
            return "\(f(100 * removed, 0)) %" + (random.isEmpty ? "" : " (\(f(100 * (1 - mean(random) / icl.clean.score), 0)) %)")
        }
        self.rows = rows
    }

    /// The table as aligned text, one line per row.
    public func text() -> String {
        let header = Row(measurement: "measurement", values: models)
        let all = [header] + rows
        let first = all.map(\.measurement.count).max() ?? 0
        let widths = models.indices.map { i in all.map { $0.values[i].count }.max() ?? 0 }
        return all.map { row in
            row.measurement.padding(toLength: first + 2, withPad: " ", startingAt: 0)
                + zip(row.values, widths).map { $0.padding(toLength: $1 + 2, withPad: " ", startingAt: 0) }.joined()
        }.joined(separator: "\n")
    }
}
