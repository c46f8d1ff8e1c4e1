/// Per-head attention scores on repeated random tokens — sequences of L distinct tokens
/// followed by the same L tokens, optionally after a prefix (a BOS; TransformerLens's `evals`
/// prepends one for pretrained models) (Olsson et al. 2022, "In-context Learning and Induction
/// Heads", prefix matching; the stripe and sub-diagonal means of ARENA's induction and
/// previous-token detectors; duplicate tokens as TransformerLens `transformer_lens/head_detector.py`).
/// With P the prefix length, the copies are at positions P ..< P + L and P + L ..< P + 2L:
///
/// - **induction** (prefix matching): mean over the second copy of A[i, i − L + 1], the
///   attention to the token after the current token's earlier occurrence; range [0, 1];
/// - **previous token**: mean over i ≥ P + 1 of A[i, i − 1] (within the sequence: a first token
///   attending to the prefix is not counted);
/// - **duplicate token**: mean over the second copy of A[i, i − L], the current token's
///   earlier occurrence;
/// - **first token** (the attention sink): mean over i ≥ 1 of A[i, 0], the attention a
///   position pays to the first one — in pretrained models most heads park most of it there.
///
/// Each is averaged over the batch and is an [n_layers, n_heads] tensor.
public struct HeadScores: Sendable {
    public let induction: Tensor
    public let previousToken: Tensor
    public let duplicateToken: Tensor
    public let firstToken: Tensor

    /// The scores of `model` on `tokens` ([batch, P + 2L] repeated random tokens after a
    /// prefix of `prefix` tokens, e.g. 1 for a BOS).
    public static func measure(_ model: HookedTransformer, repeatedTokens tokens: IntTensor, prefix: Int = 0,
                               hooks: [Hook] = []) throws -> HeadScores {
        let layers = model.config.nLayers
        let cache = try model.cache(tokens, names: .only((0..<layers).map { .pattern($0) }), hooks: hooks)
        let patterns = try (0..<layers).map { try cache.tensor(.pattern($0)) }
        return HeadScores(patterns: patterns, prefix: prefix)
    }

    /// The scores from attention patterns [batch, head, P + 2L, P + 2L], one per layer, for a
    /// prefix of P = `prefix` positions.
    public init(patterns: [Tensor], prefix: Int = 0) {
        precondition(prefix >= 0 && !patterns.isEmpty
                     && patterns.allSatisfy { $0.rank == 4 && $0.shape[2] > prefix && ($0.shape[2] - prefix) % 2 == 0 },
                     "HeadScores needs [batch, head, P + 2L, P + 2L] patterns")
        let heads = patterns[0].shape[1]
        var ind: [Float] = [], prev: [Float] = [], dup: [Float] = [], first: [Float] = []
        for pattern in patterns {
            let (batch, t) = (pattern.shape[0], pattern.shape[2])
            let half = (t - prefix) / 2
            pattern.withUnsafeBufferPointer { a in
                for h in 0..<heads {
                    var si = 0.0, sp = 0.0, sd = 0.0, sf = 0.0
                    for b in 0..<batch {
                        let base = (b * heads + h) * t * t
                        for i in (prefix + 1)..<t { sp += Double(a[base + i * t + i - 1]) }
                        for i in 1..<t { sf += Double(a[base + i * t]) }
                        for i in (prefix + half)..<t {
                            si += Double(a[base + i * t + i - half + 1])
                            sd += Double(a[base + i * t + i - half])
                        }
                    }
                    ind.append(Float(si / Double(batch * half)))
                    prev.append(Float(sp / Double(batch * max(t - prefix - 1, 1))))
                    dup.append(Float(sd / Double(batch * half)))
                    first.append(Float(sf / Double(batch * max(t - 1, 1))))
                }
            }
        }
        let shape = [patterns.count, heads]
        induction = Tensor(shape: shape, values: ind)
        previousToken = Tensor(shape: shape, values: prev)
        duplicateToken = Tensor(shape: shape, values: dup)
        firstToken = Tensor(shape: shape, values: first)
    }
}
