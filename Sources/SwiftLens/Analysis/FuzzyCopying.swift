/// Does the model copy across a fuzzy repeat? At each second-copy position P + L + k of
/// ``FuzzySequences`` (k in 0 ..< L − 1, the word there being v(w_k)), two candidates for the
/// next token:
///
/// - the **original** w_{k+1}, the token that followed the earlier copy — what exact induction
///   predicts (the model cannot know that the next word, too, will come as a variant);
/// - the **variant** v(w_{k+1}), the token that actually comes next.
///
/// Each is scored by its mean log-probability and by how often it is the model's top-1 token,
/// averaged over the positions and rows. Read against the same numbers on
/// ``FuzzySequences/unrepeated`` (same second copy, nothing to copy from) to see what the first
/// copy adds.
public struct FuzzyCopying: Sendable, Equatable, Codable {
    /// Mean log p(w_{k+1}), nats.
    public let originalLogProb: Float
    /// Mean log p(v(w_{k+1})), nats.
    public let variantLogProb: Float
    /// Fraction of positions where w_{k+1} is the most likely token.
    public let originalTop1: Float
    /// Fraction of positions where v(w_{k+1}) is the most likely token.
    public let variantTop1: Float

    public init(originalLogProb: Float, variantLogProb: Float, originalTop1: Float, variantTop1: Float) {
        self.originalLogProb = originalLogProb
        self.variantLogProb = variantLogProb
        self.originalTop1 = originalTop1
        self.variantTop1 = variantTop1
    }

    /// The scores from `logits` [count, P + 2L, d_vocab] of a run on any of `sequences`'s
    /// three token sets (the second copies, and so the targets, are the same).
    /// - Throws: ``AnalysisError/invalidShape(what:expected:found:)`` when the logits do not
    ///   match the sequences.
    public init(logits: Tensor, sequences: FuzzySequences) throws {
        let (count, t) = (sequences.count, sequences.sequenceLength)
        guard logits.rank == 3, logits.shape[0] == count, logits.shape[1] == t else {
            throw AnalysisError.invalidShape(what: "fuzzy-copying logits", expected: "[\(count), \(t), d_vocab]", found: logits.shape)
        }
        let vocab = logits.shape[2]
        let targets = sequences.pairs.flatMap { $0.flatMap { [$0.original, $0.variant] } }
        if let bad = targets.first(where: { !(0..<vocab).contains($0) }) {
            throw AnalysisError.invalidShape(what: "fuzzy-copying logits (token \(bad) must be a column)", expected: "[\(count), \(t), > \(bad)]",
                                             found: logits.shape)
        }
        // The log-softmax and arg-max run in the tensor kernels (optimised in every build); only
        // the few target entries are read here.
        let logProbs = logits.logSoftmax()
        let best = logits.argmax(axis: -1).scalars  // [count · t]
        var sums = (original: 0.0, variant: 0.0, originalTop: 0, variantTop: 0)
        let positions = sequences.predictionPositions
        logProbs.withUnsafeBufferPointer { x in
            for b in 0..<count {
                for i in positions {
                    let next = sequences.pairs[b][i - positions.lowerBound + 1]
                    let row = (b * t + i) * vocab
                    sums.original += Double(x[row + next.original])
                    sums.variant += Double(x[row + next.variant])
                    if best[b * t + i] == next.original { sums.originalTop += 1 }
                    if best[b * t + i] == next.variant { sums.variantTop += 1 }
                }
            }
        }
        let n = Double(count * positions.count)
        self.init(originalLogProb: Float(sums.original / n), variantLogProb: Float(sums.variant / n),
                  originalTop1: Float(Double(sums.originalTop) / n), variantTop1: Float(Double(sums.variantTop) / n))
    }
}
