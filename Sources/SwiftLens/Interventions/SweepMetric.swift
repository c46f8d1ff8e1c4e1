/// What a sweep measures for each variant: a scalar from the logits, and which positions of the
/// logits it reads — a sweep normalises and unembeds only those (for GPT-2 the unembedding is
/// a sixth of a forward pass; a logit difference at the last position needs one row of it).
///
/// ```swift
/// let metric = SweepMetric(positions: .last) { logits in          // [batch, 1, d_vocab]
///     (logits[0, -1, answer] - logits[0, -1, wrong]).scalar
/// }
/// ```
public struct SweepMetric {
    /// Positions of the logits a metric reads (the position axis of what it receives).
    public enum Positions: Sendable, Equatable {
        /// Every position: the metric receives [batch, pos, d_vocab].
        case all
        /// The last position: [batch, 1, d_vocab].
        case last
        /// Positions `range` (0-based, within the sequence): [batch, range.count, d_vocab].
        case range(Range<Int>)

        /// The positions read, checked against `length` (nil: all of them).
        func rows(length: Int) throws -> Range<Int>? {
            switch self {
            case .all: return nil
            case .last: return (length - 1)..<length
            case .range(let r):
                guard r.lowerBound >= 0, r.upperBound <= length, !r.isEmpty else {
                    throw SweepError.positionsOutOfRange(r, length: length)
                }
                return r
            }
        }
    }

    public let positions: Positions
    /// Logits at `positions`, [batch, n_positions, d_vocab_out] → the metric.
    public let evaluate: (Tensor) throws -> Float

    public init(positions: Positions = .all, _ evaluate: @escaping (Tensor) throws -> Float) {
        self.positions = positions
        self.evaluate = evaluate
    }

    /// The mean next-token loss of the predictions made at positions `range` (position p
    /// predicts token p + 1 of `tokens`, [batch, pos]).
    public static func loss(tokens: IntTensor, predictingAt range: Range<Int>) -> SweepMetric {
        SweepMetric(positions: .range(range)) { logits in
            guard range.upperBound < tokens.shape[1], logits.shape[0] == tokens.shape[0], logits.shape[1] == range.count else {
                throw SweepError.metricShape(expected: [tokens.shape[0], range.count], found: Array(logits.shape.prefix(2)))
            }
            let targets = tokens[.all, (range.lowerBound + 1)..<(range.upperBound + 1)]
            return logits.crossEntropy(targets: targets).mean().scalar
        }
    }

    /// TransformerLens's `evals.induction_loss` on repeated tokens [batch, 2L] (or [batch, 2L + 1]
    /// with a BOS): the mean loss over the second half's predictions from position L + 1 on (the
    /// first tokens whose continuation an induction head can know), as
    /// `loss_per_token[:, L + 1:]` — half = L for 2L tokens.
    public static func inductionLoss(tokens: IntTensor) -> SweepMetric {
        loss(tokens: tokens, predictingAt: InductionLoss.predictionPositions(sequenceLength: tokens.shape[1]))
    }

    /// The loss on the first copy of repeated tokens (``InductionLoss/firstCopyLoss(perTokenLoss:)``):
    /// the control measured beside ``inductionLoss(tokens:)``, e.g. in one sweep with
    /// `run(measuring: [.inductionLoss(tokens: t), .firstCopyLoss(tokens: t)])`.
    public static func firstCopyLoss(tokens: IntTensor) -> SweepMetric {
        loss(tokens: tokens, predictingAt: InductionLoss.firstCopyPositions(sequenceLength: tokens.shape[1]))
    }

    /// `logits[:, -1, answer] − logits[:, -1, wrong]`, averaged over the batch: the logit
    /// difference of TransformerLens's patching demos, read at the last position only.
    public static func logitDifference(answer: Int, wrong: Int) -> SweepMetric {
        SweepMetric(positions: .last) { logits in
            let vocab = logits.shape[2]
            guard (0..<vocab).contains(answer), (0..<vocab).contains(wrong) else {
                throw SweepError.metricShape(expected: [vocab], found: [answer, wrong])
            }
            return (logits[.all, -1, answer] - logits[.all, -1, wrong]).mean().scalar
        }
    }
}
