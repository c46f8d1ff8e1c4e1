import Foundation
import LensCommandLine

/// Timing helpers shared by the `lens bench …` commands.
enum Benchmark {
    /// Best wall time in seconds of `body` over repeated runs: one warm-up, then at least
    /// `minRuns` runs and until `minSeconds` have passed (best-of is the least noisy statistic on
    /// a shared machine).
    static func bestTime(minRuns: Int = 5, minSeconds: Double = 0.3, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        var runs = 0
        let clock = ContinuousClock()
        let start = clock.now
        while runs < minRuns || (clock.now - start).seconds < minSeconds {
            let t0 = clock.now
            body()
            best = min(best, (clock.now - t0).seconds)
            runs += 1
            if runs > 10_000 { break }
        }
        return best
    }
}

extension Duration {
    var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) * 1e-18
    }
}

/// A printed table whose rows are also written as JSON records.
struct ResultTable {
    let title: String
    let columns: [String]
    var rows: [[String]] = []
    var records: [[String: Any]] = []

    mutating func add(_ cells: [String], record: [String: Any]) {
        rows.append(cells)
        records.append(record)
    }

    func render() -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { i, c in
                i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: " | ") + " |"
        }
        var out = "\(title)\n\n" + line(columns) + "\n"
        out += "|" + widths.enumerated().map { i, w in
            i == 0 ? String(repeating: "-", count: w + 2) : String(repeating: "-", count: w + 1) + ":"
        }.joined(separator: "|") + "|\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }
}

func format(_ x: Double, _ digits: Int = 1) -> String {
    String(format: "%.\(digits)f", x)
}

/// Writes a JSON object (records may hold `nil`s, written as null).
func writeJSON(_ object: [String: Any], to path: String) throws {
    func clean(_ value: Any) -> Any {
        switch value {
        case let dict as [String: Any]: return dict.mapValues(clean)
        case let array as [Any]: return array.map(clean)
        case let optional as Optional<Any>:
            switch optional {
            case .some(let v): return v
            case .none: return NSNull()
            }
        }
    }
    let data = try JSONSerialization.data(withJSONObject: clean(object), options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
}

/// CPU model, core count and date, for benchmark records.
func machineDescription() -> [String: Any] {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
        .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
    return ["cpu": model, "cores": ProcessInfo.processInfo.activeProcessorCount,
            "date": ISO8601DateFormatter().string(from: Date())]
}

/// What the model benchmarks say when `Scripts/bench_transformerlens.py` cannot run.
let transformerLensUnavailable = "note: the TransformerLens comparison is unavailable (python3 with torch, transformers and "
    + "transformer-lens; see Scripts/bench_transformerlens.py)\n"

/// A peer measured in the same run: `Scripts/<script>` run with python3 and `arguments`, its
/// last line of standard output read as a JSON object; nil when the script, python3 or its
/// packages are missing or it fails (standard error goes to `log`, if given).
func pythonPeerFigures(script: String, _ arguments: [String], log: URL? = nil) -> [String: Any]? {
    guard let path = packageFile("Scripts/" + script) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    if let log { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
    process.standardError = log.flatMap { try? FileHandle(forWritingTo: $0) } ?? FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        if let log { FileHandle.standardError.write(Data("note: Scripts/\(script) failed (status \(process.terminationStatus)); its log: \(log.path)\n".utf8)) }
        return nil
    }
    // The whole output is the JSON object, or (scripts that log progress) its last line is.
    if let whole = try? JSONSerialization.jsonObject(with: output) as? [String: Any] { return whole }
    let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
}

/// Runs this executable again with `arguments` — a benchmark's measuring child, so that its
/// peak memory is its own — and decodes the JSON it prints; `what` names it in the error.
func measureInChildProcess<Measurement: Decodable>(_ arguments: [String], what: String) throws -> Measurement {
    let process = Process()
    #if os(Linux)
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    #else
    process.executableURL = Bundle.main.executableURL
    #endif
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw UsageError(description: "the measuring process (\(what)) failed with status \(process.terminationStatus)")
    }
    return try JSONDecoder().decode(Measurement.self, from: data)
}

/// The package's root directory, found from this source file.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A file under the package (found from this source file, or from the working directory).
func packageFile(_ path: String) -> String? {
    [packageRoot.appendingPathComponent(path).path, FileManager.default.currentDirectoryPath + "/" + path]
        .first { FileManager.default.fileExists(atPath: $0) }
}
