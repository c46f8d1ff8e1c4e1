/// Fuzzy induction (Olsson et al. 2022, "In-context Learning and Induction Heads", Argument 4):
/// do induction heads still match the prefix when the repeat is not exact — when the second
/// copy writes each word as a variant (" House" for " house", " houses", " large" for " big") —
/// and does the model still copy?
///
/// One measurement runs the model on the three token sets of ``FuzzySequences`` and reports,
/// per head ([n_layers, n_heads], ``HeadScores``):
///
/// - ``fuzzyScores``: on the fuzzy sequences; `induction` is the **fuzzy prefix-matching
///   score**, the mean attention from second-copy position P + L + k (the variant v(w_k)) to
///   P + k + 1, the token after the earlier copy of v(w_k)'s *original*; `duplicateToken` is
///   the attention to that original itself;
/// - ``exactScores``: the same cells on exact repeats of the same words (the ordinary
///   prefix-matching score);
/// - ``unrepeatedScores``: the same cells when the first copy holds other words — the level
///   a head reaches by position alone;
///
/// and whether the model copies (``FuzzyCopying``): the log-probability and top-1 rate of the
/// next original and of the next variant on each token set, and on the fuzzy sequences with
/// `ablating` heads zero-ablated.
///
/// ```swift
/// let fuzzy = try FuzzyInduction.measure(model, kind: .capitalised, length: 20, count: 8, seed: 0)
/// fuzzy.fuzzyScores.induction            // [n_layers, n_heads]
/// fuzzy.fuzzyCopying.originalLogProb     // vs fuzzy.unrepeatedCopying.originalLogProb
/// ```
public struct FuzzyInduction: Sendable {
    public let sequences: FuzzySequences
    public let fuzzyScores: HeadScores
    public let exactScores: HeadScores
    public let unrepeatedScores: HeadScores
    public let fuzzyCopying: FuzzyCopying
    public let exactCopying: FuzzyCopying
    public let unrepeatedCopying: FuzzyCopying
    /// On the fuzzy sequences with ``ablatedHeads`` zero-ablated (nil when none were given).
    public let ablatedCopying: FuzzyCopying?
    public let ablatedHeads: [Head]

    /// Measures `model` on `sequences`.
    /// - Throws: ``AnalysisError/invalidArgument(_:)`` for a head outside the model; the
    ///   model's errors for tokens outside its vocabulary or sequences longer than n_ctx.
    public static func measure(_ model: HookedTransformer, sequences: FuzzySequences, ablating heads: [Head] = []) throws -> FuzzyInduction {
        let c = model.config
        if let bad = heads.first(where: { !(0..<c.nLayers).contains($0.layer) || !(0..<c.nHeads).contains($0.head) }) {
            throw AnalysisError.invalidArgument("head \(bad) is not in the model (\(c.nLayers) layers × \(c.nHeads) heads)")
        }
        let names = NameFilter.only((0..<c.nLayers).map { HookName.pattern($0) })
        func run(_ tokens: IntTensor) throws -> (scores: HeadScores, copying: FuzzyCopying) {
            let (logits, cache) = try model.runWithCache(tokens, names: names)
            let patterns = try (0..<c.nLayers).map { try cache.tensor(.pattern($0)) }
            return (HeadScores(patterns: patterns, prefix: sequences.prefix), try FuzzyCopying(logits: logits, sequences: sequences))
        }
        let fuzzy = try run(sequences.fuzzy), exact = try run(sequences.exact), unrepeated = try run(sequences.unrepeated)
        let ablated = try heads.isEmpty ? nil
            : FuzzyCopying(logits: model(sequences.fuzzy, hooks: heads.map { .zeroAblateHead($0) }), sequences: sequences)
        return FuzzyInduction(sequences: sequences, fuzzyScores: fuzzy.scores, exactScores: exact.scores,
                              unrepeatedScores: unrepeated.scores, fuzzyCopying: fuzzy.copying, exactCopying: exact.copying,
                              unrepeatedCopying: unrepeated.copying, ablatedCopying: ablated, ablatedHeads: heads)
    }

    /// Measures `model` on `count` sequences of `length` words sampled (with `seed`) from the
    /// built-in word pairs of `kind` that its tokenizer writes as single tokens, after the
    /// tokenizer's BOS (none if it has no BOS token).
    /// - Throws: ``ModelError/noTokenizer`` without a tokenizer; ``AnalysisError/invalidArgument(_:)``
    ///   when `kind` has too few single-token pairs for `length`; as ``measure(_:sequences:ablating:)``.
    public static func measure(_ model: HookedTransformer, kind: FuzzyVariantKind, length: Int, count: Int, seed: UInt64,
                               ablating heads: [Head] = []) throws -> FuzzyInduction {
        guard let tokenizer = model.tokenizer else { throw ModelError.noTokenizer }
        let pool = try FuzzyWordPair.pairs(model, kind: kind).pairs
        let sequences = try FuzzySequences.sample(pairs: pool, length: length, count: count, seed: seed, bos: tokenizer.bosTokenID)
        return try measure(model, sequences: sequences, ablating: heads)
    }

    /// How much of their exact-repeat prefix matching `heads` keep on the fuzzy repeat: their
    /// mean fuzzy induction score over their mean exact one (0 for no heads or no exact score).
    public func keptShare(heads: [Head]) -> Float {
        func mean(_ t: Tensor) -> Float { heads.map { t[$0.layer, $0.head].scalar }.reduce(0, +) / Float(max(heads.count, 1)) }
        let exact = mean(exactScores.induction)
        return exact > 0 ? mean(fuzzyScores.induction) / exact : 0
    }

    /// What the fuzzy first copy adds to predicting the next variant: its mean log-probability
    /// on the fuzzy repeat minus on the unrepeated control, nats — clean, and with the ablated
    /// heads (nil when none were ablated).
    public var variantGain: (clean: Float, ablated: Float?) {
        (fuzzyCopying.variantLogProb - unrepeatedCopying.variantLogProb,
         ablatedCopying.map { $0.variantLogProb - unrepeatedCopying.variantLogProb })
    }
}
