/// What went wrong setting up or running a sweep.
public enum SweepError: Error, CustomStringConvertible, Equatable {
    case positionsOutOfRange(Range<Int>, length: Int)
    case metricShape(expected: [Int], found: [Int])
    case backwardHook(variant: String)
    case attachedHooks(count: Int)
    case badShard(String)
    case mergeMismatch(String)
    case incomplete(missing: [String])
    case noMetrics

    public var description: String {
        switch self {
        case let .positionsOutOfRange(r, length):
            "the metric reads positions \(r.lowerBound)..<\(r.upperBound), but the sequences have \(length) positions"
        case let .metricShape(expected, found):
            "the metric expected logits (or token ids) matching \(expected), found \(found)"
        case let .backwardHook(variant):
            "variant \"\(variant)\" has a backward hook; a sweep runs forward passes only"
        case let .attachedHooks(count):
            "the model has \(count) attached hook(s); pass them to the sweep as `baseHooks` so they apply to every run exactly once"
        case let .badShard(text):
            "a shard is written i/n with 0 ≤ i < n (e.g. 0/4), found \"\(text)\""
        case let .mergeMismatch(reason):
            "cannot merge sweep shards: \(reason)"
        case let .incomplete(missing):
            "the sweep has no value yet for \(missing.count) variant(s) (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : "")); run or merge the remaining shards"
        case .noMetrics:
            "a sweep needs at least one metric to measure its variants with; found none"
        }
    }
}
