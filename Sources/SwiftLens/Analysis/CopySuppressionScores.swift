/// Copy suppression (McDougall et al. 2023, "Copy Suppression: Comprehensively Understanding an
/// Attention Head"): a head that attends to a token earlier in the context and *lowers* that
/// token's logit — negative copying — measured on natural text through the real forward pass.
///
/// Definition implemented, for head (l, h), query position i of sequence b:
///
///     j*        = argmax_{firstKey ≤ j ≤ i} A_{l,h}[b, i, j]          (the key it attends to most)
///     effect    = u_{b,i} · (W_U[:, x_b[j*]] − mean_t W_U[:, t])
///     score(l, h) = mean over b and i ≥ firstKey of effect
///
/// - u_{b,i} is the head's output `hook_result[b, i, h]` (z·W_O, no b_O) as it reaches the
///   unembedding — through `ln_final` linearised at the cached scale and times its weight,
///   exactly as ``LogitCopyingScore`` does (it shares that code): the head's direct effect on the
///   logits, additive over components.
/// - Centring the unembedding over the vocabulary removes what the head adds to every logit
///   alike (which the softmax ignores), so 0 means "neither raised nor lowered relative to an
///   average token"; negative = suppression, positive = copying, in logit units.
/// - Keys before `firstKey` are never "the attended token": on SmolLM2 (no BOS of its own) the
///   first position is an attention sink that most heads park on whatever token is there, and
///   reading that token's logit would measure the sink, not the head's use of context.
///
/// Why the argmax token: a copy-suppression head's OV circuit is token-specific (it writes
/// "not this token" for the token it reads), so its effect is on the token it reads most; the
/// per-position ``effect`` and ``attended`` arrays let you find the concrete cases (the token a
/// head attends to and whose logit it lowers). The weight-side evidence is the head's OV
/// eigenvalue score, `model.ovEigenvalueCopyingScores()`.
public struct CopySuppressionScores: Sendable {
    /// Why the scores cannot be measured.
    public enum CopySuppressionError: Error, CustomStringConvertible, Equatable {
        case tooShort(length: Int, firstKey: Int)
        case invalidFirstKey(Int)

        public var description: String {
            switch self {
            case let .tooShort(length, firstKey): "sequences of \(length) tokens leave no query position at or after firstKey \(firstKey)"
            case let .invalidFirstKey(k): "firstKey must be ≥ 0, found \(k)"
            }
        }
    }

    /// [n_layers, n_heads]: the mean of ``effect`` over every sequence and query position
    /// i ≥ ``firstKey``, in logit units (negative: the head suppresses what it attends to).
    public let score: Tensor
    /// [batch, pos, n_layers, n_heads]: the head's direct effect at query i on the centred logit
    /// of the token it attends to most; 0 at positions before ``firstKey``.
    public let effect: Tensor
    /// [batch, pos, n_layers, n_heads]: the key position j* that head attends to most from i
    /// (among keys ≥ ``firstKey``); −1 at positions before ``firstKey``.
    public let attended: IntTensor
    /// The tokens measured, [batch, pos].
    public let tokens: IntTensor
    /// Keys (and queries) before this position are left out (the attention sink).
    public let firstKey: Int

    /// Measures every head on `tokens` [batch, pos] (or [pos]) — natural text.
    /// - Parameters:
    ///   - firstKey: positions before it are neither keys nor queries (1: skip the sink at 0).
    ///   - cache: a cache of `model` on `tokens` with every layer's `hook_pattern`, head results
    ///     (or `hook_z`) and `ln_final.hook_scale`; computed if absent.
    /// - Throws: ``CopySuppressionError``, the model's errors for bad tokens, and
    ///   ``CacheAnalysisError`` for a cache of other tokens.
    public static func measure(_ model: HookedTransformer, tokens: IntTensor, firstKey: Int = 1,
                               cache: ActivationCache? = nil) throws -> CopySuppressionScores {
        let rows = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard rows.rank == 2 else { throw ModelError.invalidTokensShape(tokens.shape) }
        guard firstKey >= 0 else { throw CopySuppressionError.invalidFirstKey(firstKey) }
        let (batch, length) = (rows.shape[0], rows.shape[1])
        guard length > firstKey else { throw CopySuppressionError.tooShort(length: length, firstKey: firstKey) }
        let (layers, heads) = (model.config.nLayers, model.config.nHeads)
        var source: ActivationCache
        if let cache {
            source = cache
            if source.model == nil { source.model = model }
        } else {
            var names: [HookName] = (0..<layers).flatMap { [HookName.z($0), .pattern($0)] }
            if model.lnFinal != nil { names.append(.finalScale) }
            source = try model.cache(rows, names: .only(names))
        }
        var divisor: Tensor?
        if model.lnFinal != nil {
            let scale = try source.tensor(.finalScale)
            guard scale.shape == [batch, length, 1] else {
                throw CacheAnalysisError.shapeMismatch("\(HookName.finalScale)", expected: "[\(batch), \(length), 1] for these tokens", found: scale.shape)
            }
            divisor = scale.unsqueezed(axis: -1)   // [batch, pos, 1, 1]
        }
        let wU = model.unembed.wU
        let centredRows = (wU - wU.mean(axis: 1, keepDims: true)).transposed(0, 1)   // [d_vocab, d_model]
        let tokenIDs = rows.scalars
        var effects = [Float](repeating: 0, count: batch * length * layers * heads)
        var attended = [Int](repeating: -1, count: effects.count)
        for l in 0..<layers {
            let results = try source.headResults(layer: l)
            let pattern = try source.tensor(.pattern(l))
            guard results.rank == 4, Array(results.shape.prefix(3)) == [batch, length, heads] else {
                throw CacheAnalysisError.shapeMismatch("the head results of layer \(l)", expected: "[\(batch), \(length), \(heads), d_model] for these tokens",
                                                       found: results.shape)
            }
            guard pattern.shape == [batch, heads, length, length] else {
                throw CacheAnalysisError.shapeMismatch("\(HookName.pattern(l))", expected: "[\(batch), \(heads), \(length), \(length)] for these tokens",
                                                       found: pattern.shape)
            }
            let u = LogitCopyingScore.throughFinalNorm(results, of: model, dividedBy: divisor)   // [batch, pos, head, d_model]
            // The attended token of each (b, i, h): argmax of the pattern over keys firstKey...i.
            var keys = [Int](repeating: 0, count: batch * length * heads)
            pattern.withUnsafeBufferPointer { a in
                for b in 0..<batch {
                    for h in 0..<heads {
                        for i in firstKey..<length {
                            let row = ((b * heads + h) * length + i) * length
                            var best = firstKey
                            for j in firstKey...i where a[row + j] > a[row + best] { best = j }
                            keys[(b * length + i) * heads + h] = best
                        }
                    }
                }
            }
            // keys is [batch, pos, head]: row b of the tokens is index / (pos · head).
            let targetTokens = IntTensor(shape: [batch, length, heads],
                                         values: keys.enumerated().map { index, key in tokenIDs[(index / (heads * length)) * length + key] })
            let directions = centredRows.indexSelect(targetTokens, axis: 0)   // [batch, pos, head, d_model]
            let perPosition = (u * directions).sum(axis: -1).scalars             // [batch, pos, head]
            for b in 0..<batch {
                for i in firstKey..<length {
                    for h in 0..<heads {
                        let from = (b * length + i) * heads + h, to = ((b * length + i) * layers + l) * heads + h
                        effects[to] = perPosition[from]
                        attended[to] = keys[from]
                    }
                }
            }
        }
        let effect = Tensor(shape: [batch, length, layers, heads], values: effects)
        let queries = Float(batch * (length - firstKey))
        return CopySuppressionScores(score: effect.sum(axes: [0, 1]) / queries, effect: effect,
                                     attended: IntTensor(shape: [batch, length, layers, heads], values: attended),
                                     tokens: rows, firstKey: firstKey)
    }

    /// One position where a head attends to a token and changes that token's logit.
    public struct Example: Sendable {
        public let batch: Int
        /// The query position.
        public let query: Int
        /// The key position the head attends to most, and its token.
        public let key: Int
        public let token: Int
        /// The head's direct effect on that token's centred logit.
        public let effect: Float
    }

    /// The `count` positions where `head` lowers the attended token's logit most, most negative first.
    public func strongestSuppressions(of head: Head, count: Int) -> [Example] {
        let (batch, length, layers, heads) = (effect.shape[0], effect.shape[1], effect.shape[2], effect.shape[3])
        guard (0..<layers).contains(head.layer), (0..<heads).contains(head.head) else { return [] }
        let values = effect.scalars, keys = attended.scalars, ids = tokens.scalars
        var found: [Example] = []
        for b in 0..<batch {
            for i in firstKey..<length {
                let index = ((b * length + i) * layers + head.layer) * heads + head.head
                let key = keys[index]
                found.append(Example(batch: b, query: i, key: key, token: ids[b * length + key], effect: values[index]))
            }
        }
        return Array(found.sorted { $0.effect < $1.effect }.prefix(max(count, 0)))
    }
}
