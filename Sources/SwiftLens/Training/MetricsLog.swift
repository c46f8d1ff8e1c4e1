import Foundation

/// Writes a run's evaluations as they happen: `metrics.csv` (a header from the first
/// evaluation's column names, then one row per evaluation) and, at the end, `metrics.json` (the
/// evaluator's summary, holding every evaluation).
struct MetricsLog {
    let directory: URL
    private let csv: FileHandle
    private var wroteHeader = false

    /// JSON has no NaN or infinity (the training loss before the first step is NaN): they are
    /// written as the strings "nan", "inf" and "-inf".
    static let nonConformingFloats = (
        encoding: JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                                 nan: "nan"),
        decoding: JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                                   nan: "nan"))

    init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let url = directory.appendingPathComponent("metrics.csv")
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            csv = try FileHandle(forWritingTo: url)
        } catch {
            throw ModelError.io("cannot write metrics in \(directory.path): \(error.localizedDescription)")
        }
    }

    private func write(_ line: String) throws {
        do { try csv.write(contentsOf: Data(line.utf8)) } catch {
            throw ModelError.io("cannot write metrics.csv: \(error.localizedDescription)")
        }
    }

    mutating func append(_ evaluation: some TrainingMetrics) throws {
        let columns = evaluation.csvColumns
        if !wroteHeader {
            try write(columns.map(\.name).joined(separator: ",") + "\n")
            wroteHeader = true
        }
        try write(columns.map(\.value).joined(separator: ",") + "\n")
    }

    func finish(_ summary: some Encodable) throws {
        try? csv.close()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = Self.nonConformingFloats.encoding
        do {
            try encoder.encode(summary).write(to: directory.appendingPathComponent("metrics.json"), options: .atomic)
        } catch {
            throw ModelError.io("cannot write metrics.json: \(error.localizedDescription)")
        }
    }

    /// Decodes a `metrics.json`.
    static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = nonConformingFloats.decoding
        do {
            return try decoder.decode(type, from: Data(contentsOf: url))
        } catch {
            throw ModelError.io("cannot read training metrics \(url.path): \(error)")
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
