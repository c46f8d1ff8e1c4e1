/// A word and its variant, each a single token of a model's tokenizer: " house" (id) and
/// " House" (id). The unit of a fuzzy-induction sequence (``FuzzySequences``).
public struct FuzzyWordPair: Hashable, Sendable, Codable {
    public let original: Int
    public let variant: Int
    public let originalText: String
    public let variantText: String

    public init(original: Int, variant: Int, originalText: String = "", variantText: String = "") {
        self.original = original
        self.variant = variant
        self.originalText = originalText
        self.variantText = variantText
    }

    /// The pairs of `texts`, each text tokenised by `model`'s tokenizer.
    /// - Throws: ``ModelError/notOneToken(_:count:)`` for the first text that is not exactly one
    ///   token; ``AnalysisError/invalidArgument(_:)`` for a pair whose two texts are the same
    ///   token (no variant at all); ``ModelError/noTokenizer`` without a tokenizer.
    public static func pairs(_ model: HookedTransformer, texts: [(original: String, variant: String)]) throws -> [FuzzyWordPair] {
        try texts.map { texts in
            let (o, v) = (try model.toSingleToken(texts.original), try model.toSingleToken(texts.variant))
            guard o != v else {
                throw AnalysisError.invalidArgument("“\(texts.original)” and “\(texts.variant)” are the same token (\(o)); a variant must differ")
            }
            return FuzzyWordPair(original: o, variant: v, originalText: texts.original, variantText: texts.variant)
        }
    }

    /// The built-in candidates of `kind` (``FuzzyVariantKind/candidates``) that `model`'s
    /// tokenizer writes as one token each, once per original token; `dropped` lists the others
    /// (a word such as " automobile" that is two tokens cannot be a single-token variant).
    public static func pairs(_ model: HookedTransformer, kind: FuzzyVariantKind) throws
        -> (pairs: [FuzzyWordPair], dropped: [(original: String, variant: String)]) {
        var kept: [FuzzyWordPair] = [], dropped: [(original: String, variant: String)] = []
        var seen = Set<Int>()
        for candidate in kind.candidates {
            do {
                let pair = try pairs(model, texts: [candidate])[0]
                if seen.insert(pair.original).inserted { kept.append(pair) }
            } catch let error as ModelError {
                guard case .notOneToken = error else { throw error }
                dropped.append(candidate)
            } catch is AnalysisError {
                dropped.append(candidate)
            }
        }
        return (kept, dropped)
    }
}
