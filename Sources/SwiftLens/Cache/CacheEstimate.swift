/// How much memory a ``HookedTransformer/runWithCache(_:names:positions:hooks:memoryBudget:)``
/// request needs, computed from the model's declared hook points and config before anything is
/// allocated (``HookedTransformer/cacheEstimate(batch:positions:names:keeping:)``).
///
/// Every count saturates at `Int.max` instead of overflowing, so an absurd request gives an
/// absurd estimate, never a trap.
public struct CacheEstimate: Sendable, Equatable, CustomStringConvertible {
    /// One cached activation: its hook point, the shape it will have (after the position
    /// slice), and its bytes (Float32).
    public struct Point: Sendable, Equatable {
        public let name: HookName
        public let shape: [Int]
        public let bytes: Int
    }

    /// Sequences in the batch.
    public let batch: Int
    /// Positions per sequence.
    public let positions: Int
    /// Positions kept per cached activation (``positions`` unless a slice keeps fewer).
    public let keptPositions: Int
    /// Every cached point, in firing order.
    public let points: [Point]
    /// The logits the run returns, [batch, positions, d_vocab_out] Float32.
    public let logitsBytes: Int
    /// The forward pass's own transient memory beyond what it keeps, approximated as four times
    /// the largest activation it computes, unsliced (attention holds scores, masked scores,
    /// pattern and its output at once). Measured peaks of `lens cache` stay below the total.
    public let workingBytes: Int

    public init(batch: Int, positions: Int, keptPositions: Int, points: [Point], logitsBytes: Int, workingBytes: Int) {
        self.batch = batch
        self.positions = positions
        self.keptPositions = keptPositions
        self.points = points
        self.logitsBytes = logitsBytes
        self.workingBytes = workingBytes
    }

    /// Bytes of the cached activations.
    public var cacheBytes: Int { points.reduce(0) { Self.adding($0, $1.bytes) } }

    /// Everything the request holds at its peak: cache, logits and working memory.
    public var totalBytes: Int { Self.adding(Self.adding(cacheBytes, logitsBytes), workingBytes) }

    /// The largest cached points, biggest first (at most `count`).
    public func largest(_ count: Int = 3) -> [Point] {
        Array(points.sorted { ($0.bytes, $1.name) > ($1.bytes, $0.name) }.prefix(count))
    }

    /// The largest batch of this request's shape whose ``totalBytes`` fits in `budget` (0 if not
    /// even one sequence does): every term grows linearly with the batch.
    public func largestBatch(within budget: Int) -> Int {
        let perSequence = max(1, totalBytes / max(batch, 1) + (totalBytes % max(batch, 1) == 0 ? 0 : 1))
        return budget / perSequence
    }

    public var description: String {
        "\(Self.describe(bytes: totalBytes)) (cache \(Self.describe(bytes: cacheBytes)) over \(points.count) hook point\(points.count == 1 ? "" : "s") "
            + "for \(batch) sequence\(batch == 1 ? "" : "s") × \(keptPositions == positions ? "\(positions)" : "\(keptPositions) of \(positions)") positions, "
            + "logits \(Self.describe(bytes: logitsBytes)), working memory \(Self.describe(bytes: workingBytes)))"
    }

    /// `bytes` for people: "512 B", "3.4 MB", "7.7 GB" (powers of 1000).
    public static func describe(bytes: Int) -> String {
        if bytes == Int.max { return "more than 9 EB" }
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : "\((value * 10).rounded() / 10) \(units[unit])"
    }

    /// The product of `values`, or `Int.max` when it overflows (sizes are never negative).
    static func product(_ values: [Int]) -> Int {
        values.reduce(1) { product, v in
            let (p, overflow) = product.multipliedReportingOverflow(by: v)
            return overflow ? Int.max : p
        }
    }

    /// `a + b`, or `Int.max` when that overflows.
    static func adding(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : s
    }
}
