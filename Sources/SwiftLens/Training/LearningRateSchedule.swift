import Foundation

/// A learning-rate schedule: the rate at each step (0-based).
public enum LearningRateSchedule: Sendable, Equatable {
    /// The same rate throughout.
    case constant
    /// Linear warm-up from 0 over `steps`, then constant.
    case warmup(steps: Int)
    /// Linear warm-up over `warmup` steps, then a cosine decay to `minimum`·rate at `total`.
    case cosine(warmup: Int, total: Int, minimum: Float)

    /// The rate at `step` for base rate `rate`.
    public func rate(at step: Int, base rate: Float) -> Float {
        switch self {
        case .constant:
            return rate
        case let .warmup(steps):
            return steps > 0 && step < steps ? rate * Float(step + 1) / Float(steps) : rate
        case let .cosine(warmup, total, minimum):
            if warmup > 0 && step < warmup { return rate * Float(step + 1) / Float(warmup) }
            let span = max(1, total - warmup)
            let progress = min(1, Float(step - warmup) / Float(span))
            let cosine = 0.5 * (1 + Foundation.cos(Float.pi * progress))
            return rate * (minimum + (1 - minimum) * cosine)
        }
    }
}
