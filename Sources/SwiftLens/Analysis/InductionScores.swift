/// Per-head attention scores on repeated random tokens — sequences of L distinct tokens
/// followed by the same L tokens (Olsson et al. 2022, "In-context Learning and Induction Heads",
/// prefix matching; the stripe and sub-diagonal means of ARENA's induction and previous-token
/// detectors; duplicate tokens as TransformerLens `transformer_lens/head_detector.py`):
///
/// - **induction** (prefix matching): mean over the second half of A[i, i − L + 1], the
///   attention to the token after the current token's earlier occurrence; range [0, 1];
/// - **previous token**: mean over i ≥ 1 of A[i, i − 1];
/// - **duplicate token**: mean over the second half of A[i, i − L], the current token's earlier
///   occurrence.
///
/// Each is averaged over the batch and is an [n_layers, n_heads] tensor.
public struct HeadScores: Sendable {
    public let induction: Tensor
    public let previousToken: Tensor
    public let duplicateToken: Tensor

    /// The scores of `model` on `tokens` ([batch, 2L] repeated random tokens).
    public static func measure(_ model: HookedTransformer, repeatedTokens tokens: IntTensor, hooks: [Hook] = []) throws -> HeadScores {
        let layers = model.config.nLayers
        let cache = try model.cache(tokens, names: .only((0..<layers).map { .pattern($0) }), hooks: hooks)
        let patterns = try (0..<layers).map { try cache.tensor(.pattern($0)) }
        return HeadScores(patterns: patterns)
    }

    /// The scores from attention patterns [batch, head, 2L, 2L], one per layer.
    public init(patterns: [Tensor]) {
        precondition(!patterns.isEmpty && patterns.allSatisfy { $0.rank == 4 && $0.shape[2] % 2 == 0 },
                     "HeadScores needs [batch, head, 2L, 2L] patterns")
        let heads = patterns[0].shape[1]
        var ind: [Float] = [], prev: [Float] = [], dup: [Float] = []
        for pattern in patterns {
            let (batch, t) = (pattern.shape[0], pattern.shape[2])
            let half = t / 2
            pattern.withUnsafeBufferPointer { a in
                for h in 0..<heads {
                    var si = 0.0, sp = 0.0, sd = 0.0
                    for b in 0..<batch {
                        let base = (b * heads + h) * t * t
                        for i in 1..<t { sp += Double(a[base + i * t + i - 1]) }
                        for i in half..<t {
                            si += Double(a[base + i * t + i - half + 1])
                            sd += Double(a[base + i * t + i - half])
                        }
                    }
                    ind.append(Float(si / Double(batch * half)))
                    prev.append(Float(sp / Double(batch * (t - 1))))
                    dup.append(Float(sd / Double(batch * half)))
                }
            }
        }
        let shape = [patterns.count, heads]
        induction = Tensor(shape: shape, values: ind)
        previousToken = Tensor(shape: shape, values: prev)
        duplicateToken = Tensor(shape: shape, values: dup)
    }
}

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

    /// The score from a per-position loss vector (mean over the batch of the per-token loss).
    public func score(lossByPosition loss: [Float]) -> Float {
        func mean(_ r: ClosedRange<Int>) -> Float {
            let values = r.filter { loss.indices.contains($0) }.map { loss[$0] }
            return values.reduce(0, +) / Float(max(values.count, 1))
        }
        return mean(late) - mean(early)
    }
}
