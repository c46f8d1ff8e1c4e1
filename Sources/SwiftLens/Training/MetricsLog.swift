import Foundation

/// Writes training evaluations as they happen: `metrics.csv` (one row per evaluation, scalar
/// columns then per-head scores `induction_L0H1` …) and, at the end, `metrics.json` (every
/// evaluation with its loss by position, and the summary).
struct MetricsLog {
    let directory: URL
    private let csv: FileHandle
    private let layers: Int, heads: Int

    init(directory: URL, layers: Int, heads: Int) throws {
        self.directory = directory
        self.layers = layers
        self.heads = heads
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let url = directory.appendingPathComponent("metrics.csv")
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            csv = try FileHandle(forWritingTo: url)
        } catch {
            throw ModelError.io("cannot write metrics in \(directory.path): \(error.localizedDescription)")
        }
        var header = ["step", "train_loss", "eval_loss", "icl", "predictable_loss", "other_loss", "rrt_first_half_loss",
                      "rrt_second_half_loss", "best_induction", "best_previous_token", "elapsed_seconds"]
        for kind in ["induction", "previous_token", "duplicate_token"] {
            for l in 0..<layers { for h in 0..<heads { header.append("\(kind)_L\(l)H\(h)") } }
        }
        try write(header.joined(separator: ",") + "\n")
    }

    private func write(_ line: String) throws {
        do { try csv.write(contentsOf: Data(line.utf8)) } catch {
            throw ModelError.io("cannot write metrics.csv: \(error.localizedDescription)")
        }
    }

    mutating func append(_ e: TrainingEvaluation) throws {
        func f(_ x: Float?) -> String { x.map { $0.isNaN ? "" : String($0) } ?? "" }
        var row = [String(e.step), f(e.trainLoss), f(e.evalLoss), f(e.icl), f(e.predictableLoss), f(e.otherLoss),
                   f(e.repeatedFirstHalfLoss), f(e.repeatedSecondHalfLoss), f(e.bestInduction), f(e.bestPreviousToken),
                   String(format: "%.3f", e.elapsedSeconds)]
        for table in [e.induction, e.previousToken, e.duplicateToken] { row += table.joined().map { f($0) } }
        try write(row.joined(separator: ",") + "\n")
    }

    func finish(_ summary: TrainingSummary) throws {
        try? csv.close()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = TrainingSummary.nonConformingFloats.encoding
        do {
            try encoder.encode(summary).write(to: directory.appendingPathComponent("metrics.json"))
        } catch {
            throw ModelError.io("cannot write metrics.json: \(error.localizedDescription)")
        }
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) * 1e-18
    }
}
