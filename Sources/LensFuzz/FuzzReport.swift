import Foundation

/// The outcome table of a run — counts per outcome and per input family — and its failing
/// cases, grouped by mutation class with the case numbers that reproduce each.
public struct FuzzReport: Codable, Sendable {
    public var seed: UInt64
    /// Every result, by case number.
    public var results: [FuzzResult]
    /// Wall-clock seconds of the whole run.
    public var seconds: Double

    public init(seed: UInt64, results: [FuzzResult], seconds: Double) {
        self.seed = seed
        self.results = results.sorted { $0.index < $1.index }
        self.seconds = seconds
    }

    /// The cases whose outcome is a defect.
    public var failures: [FuzzResult] { results.filter { $0.outcome.isFailure } }

    /// How many cases of `family` (nil: all) ended in `outcome`.
    public func count(_ outcome: FuzzOutcome, family: FuzzFamily? = nil) -> Int {
        results.count(where: { $0.outcome == outcome && (family == nil || $0.family == family) })
    }

    /// Cases marked valid that were refused with a clean error: not defects (a stricter reader
    /// may refuse what a lenient one accepts), but a sign of a mutator's rule or a reader
    /// rejecting a good input, so the table shows them.
    public func rejectedValid(family: FuzzFamily? = nil) -> Int {
        results.count(where: { $0.validity == .valid && $0.outcome == .cleanError && (family == nil || $0.family == family) })
    }

    /// The outcome table: one row per family and a total, one column per outcome.
    public var table: String {
        let outcomes = FuzzOutcome.allCases
        let header = ["family", "cases"] + outcomes.map(\.rawValue) + ["valid but rejected"]
        var rows: [[String]] = []
        for family in FuzzFamily.allCases where results.contains(where: { $0.family == family }) {
            rows.append([family.rawValue, "\(results.count(where: { $0.family == family }))"] + outcomes.map { "\(count($0, family: family))" }
                        + ["\(rejectedValid(family: family))"])
        }
        rows.append(["total", "\(results.count)"] + outcomes.map { "\(count($0))" } + ["\(rejectedValid())"])
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  ")
        }
        let indices = results.map(\.index)
        let range = indices.isEmpty ? "none" : "\(indices.min()!)...\(indices.max()!)"
        var text = "seed \(seed): \(results.count) cases (\(range)) in \(String(format: "%.1f", seconds)) s\n"
        text += line(header) + "\n" + line(header.map { String(repeating: "-", count: $0.count) }) + "\n"
        text += rows.map(line).joined(separator: "\n")
        return text
    }

    /// The failing cases grouped by outcome and mutation class: how many, the first case
    /// numbers, and one example with its message.
    public var failureSummary: String {
        let groups = Dictionary(grouping: failures) { "\($0.outcome.rawValue) | \($0.mutation)" }
        guard !groups.isEmpty else { return "no failures" }
        return groups.keys.sorted().map { key in
            let cases = groups[key]!.sorted { $0.index < $1.index }
            let example = cases[0]
            let numbers = cases.prefix(8).map { "\($0.index)" }.joined(separator: ", ") + (cases.count > 8 ? ", …" : "")
            return "\(key): \(cases.count) (cases \(numbers))\n    e.g. case \(example.index) [\(example.base)] \(example.detail)\n    → "
                + (example.message.isEmpty ? "(loaded and ran)" : example.message.split(separator: "\n").joined(separator: "\n      "))
        }.joined(separator: "\n")
    }

    /// The whole report as JSON (results included).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
