/// A request refused before it allocated anything, because its estimate (``CacheEstimate``)
/// exceeds the memory it may use: the message says how much it needs, what is allowed, which
/// activations are largest and how to shrink it.
public enum MemoryBudgetError: Error, CustomStringConvertible, Equatable {
    /// Caching `estimate` needs more than `budget` bytes.
    case cacheTooLarge(estimate: CacheEstimate, budget: Int)

    public var description: String {
        switch self {
        case let .cacheTooLarge(estimate, budget):
            let largest = estimate.largest().map { "\($0.name) \($0.shape) \(CacheEstimate.describe(bytes: $0.bytes))" }
            let fits = estimate.largestBatch(within: budget)
            return "caching this request needs about \(estimate), more than the \(CacheEstimate.describe(bytes: budget)) allowed. "
                + (largest.isEmpty ? "" : "Largest: \(largest.joined(separator: ", ")). ")
                + "To shrink it, cache fewer hook points (names:), keep fewer positions (positions:, e.g. .at(-1)), "
                + (fits > 0 ? "or run at most \(fits) sequence\(fits == 1 ? "" : "s") at a time." : "or use shorter sequences.")
        }
    }
}
