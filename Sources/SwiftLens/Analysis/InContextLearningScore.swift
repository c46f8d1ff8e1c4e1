/// The in-context-learning score (Olsson et al. 2022): the mean loss at late positions minus the
/// mean loss at early positions; more negative means more in-context learning.
public struct InContextLearningScore: Sendable {
    /// Positions (of the per-token loss) averaged early and late.
    public var early: ClosedRange<Int>
    public var late: ClosedRange<Int>

    public init(early: ClosedRange<Int>, late: ClosedRange<Int>) {
        self.early = early
        self.late = late
    }

    /// The reference's windows for a context of `contextLength`: early = 4 positions from
    /// round(0.09·n_ctx) (n_ctx 64: 6–9), late = the last 8 (56–63).
    public init(contextLength n: Int) {
        let start = Int((0.09 * Double(n)).rounded())
        early = start...(start + 3)
        late = max(0, n - 8)...(n - 1)
    }

    /// Olsson et al.'s score on real text — the loss at token 500 minus the loss at token 50 —
    /// with each averaged over 10 positions of the per-token loss to steady it: early 45–54,
    /// late 495–504. With a BOS in front of each document, per-token-loss position p predicts the
    /// document's token p (0-based), so these are document tokens 45–54 and 495–504. Needs a
    /// per-token loss of at least 505 positions (documents of ≥ 505 tokens after the BOS).
    public static let olsson = InContextLearningScore(early: 45...54, late: 495...504)

    /// The score from a per-position loss vector (mean over the batch of the per-token loss).
    public func score(lossByPosition loss: [Float]) -> Float {
        func mean(_ r: ClosedRange<Int>) -> Float {
            let values = r.filter { loss.indices.contains($0) }.map { loss[$0] }
            return values.reduce(0, +) / Float(max(values.count, 1))
        }
        return mean(late) - mean(early)
    }
}
