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
