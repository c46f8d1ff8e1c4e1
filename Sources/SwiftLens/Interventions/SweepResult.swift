import Foundation

/// The metric value of every variant of a sweep (nil where another shard computes it), the
/// base run's value, and the shape results are reported in (e.g. [n_layers, n_heads]).
public struct SweepResult: Codable, Equatable {
    public var labels: [String]
    public var values: [Float?]
    /// The metric of the base run (no variant hooks).
    public var baseline: Float
    /// The shards this result holds.
    public var shards: [Shard]
    /// The shape of ``tensor()`` (default: one axis over the variants).
    public var shape: [Int]

    public init(labels: [String], values: [Float?], baseline: Float, shards: [Shard], shape: [Int]? = nil) {
        self.labels = labels
        self.values = values
        self.baseline = baseline
        self.shards = shards
        self.shape = shape ?? [values.count]
    }

    /// Whether every variant has a value.
    public var isComplete: Bool { values.allSatisfy { $0 != nil } }

    /// The values as a tensor of `shape`.
    /// - Throws: ``SweepError/incomplete(missing:)`` while some shards are missing.
    public func tensor() throws -> Tensor {
        let missing = zip(labels, values).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else { throw SweepError.incomplete(missing: missing) }
        return Tensor(shape: shape, values: values.map { $0! })
    }

    /// Joins the results of shards of one sweep (same labels, baseline and shape).
    public static func merging(_ parts: [SweepResult]) throws -> SweepResult {
        guard var merged = parts.first else { throw SweepError.mergeMismatch("no results given") }
        for part in parts.dropFirst() {
            guard part.labels == merged.labels, part.shape == merged.shape else {
                throw SweepError.mergeMismatch("the results come from different sweeps (labels or shape differ)")
            }
            guard part.baseline == merged.baseline || (part.baseline.isNaN && merged.baseline.isNaN) else {
                throw SweepError.mergeMismatch("base runs differ (\(merged.baseline) vs \(part.baseline)): another input or model")
            }
            if let repeated = part.shards.first(where: merged.shards.contains) {
                throw SweepError.mergeMismatch("shard \(repeated) appears twice")
            }
            for (i, value) in part.values.enumerated() where value != nil {
                merged.values[i] = value
            }
            merged.shards += part.shards
        }
        return merged
    }

    /// Writes the result as JSON (NaN and infinities as strings).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = MetricsLog.nonConformingFloats.encoding
        do { try encoder.encode(self).write(to: url, options: .atomic) } catch {
            throw ModelError.io("cannot write sweep result \(url.path): \(error.localizedDescription)")
        }
    }

    /// Reads a result written by ``write(to:)``.
    public static func read(from url: URL) throws -> SweepResult {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = MetricsLog.nonConformingFloats.decoding
        do { return try decoder.decode(SweepResult.self, from: Data(contentsOf: url)) } catch {
            throw ModelError.io("cannot read sweep result \(url.path): \(error)")
        }
    }
}
