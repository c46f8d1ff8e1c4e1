/// TransformerLens's head detector (`head_detector.detect_head`, v2.18): how closely each head's
/// attention pattern matches a detection pattern D [pos, pos] — a lower-triangular 0/1 matrix
/// marking where a head of some kind should attend — on given token sequences.
///
/// Scores per head, with A the head's [pos, pos] pattern on one sequence:
/// - ``ErrorMeasure/mul``: Σ(A ⊙ D) / ΣA, the fraction of attention that lands on the pattern.
///   ΣA = pos unless positions are excluded, so rows with no marked key (e.g. the first half of
///   a repeated sequence for the induction pattern) count as zero: on 2×L repeated tokens the
///   induction score tops out near 0.5, half of `HeadScores.induction`'s maximum.
/// - ``ErrorMeasure/abs``: 1 − round(mean|A − D| · pos, 3) = 1 − round(Σ|A − D| / pos, 3):
///   1 for a perfect match, possibly below −1.
///
/// `excludeBOS` zeroes key column 0 and `excludeCurrentToken` the diagonal (of A for `mul`, of
/// |A − D| for `abs`) before scoring. Differences from TransformerLens, all on paths where it
/// misbehaves: the cached pattern is never modified (TL zeroes it in place for `mul`); with
/// several sequences every option is honoured (TL drops them for named patterns); sequences
/// may fill the whole context (TL asks for pos < n_ctx); no warning is printed for a `mul`
/// pattern with values other than 0 and 1.
///
/// ```swift
/// let previous = try HeadDetector.measure(model, tokens: rrt, pattern: .previousToken)   // [n_layers, n_heads]
/// ```
public enum HeadDetector {
    /// What attention to look for.
    public enum Pattern: Sendable {
        /// A[i, i − 1] for i ≥ 1 (`previous_token_head`).
        case previousToken
        /// A[i, j] for j < i with token j == token i (`duplicate_token_head`).
        case duplicateToken
        /// A[i, j + 1] for j < i with token j == token i: the token after an earlier copy of the
        /// current token (`induction_head`).
        case induction
        /// A lower-triangular [pos, pos] pattern of your own.
        case custom(Tensor)
    }

    /// How a pattern is compared with the head's attention (TransformerLens's `error_measure`).
    public enum ErrorMeasure: String, Sendable {
        case mul, abs
    }

    /// Why detection cannot run.
    public enum DetectionError: Error, CustomStringConvertible, Equatable {
        case sequenceLength(Int, contextLength: Int)
        case patternShape(expected: [Int], found: [Int])
        case patternNotLowerTriangular(row: Int, column: Int, value: Float)
        case headOutOfRange(Head, layers: Int, heads: Int)
        case cacheShape(layer: Int, expected: [Int], found: [Int])
        case noSequences

        public var description: String {
            switch self {
            case let .sequenceLength(length, n):
                "head detection needs sequences of 2...\(n) tokens (n_ctx); found \(length)"
            case let .patternShape(expected, found):
                "the detection pattern must be [pos, pos] = \(expected) for these tokens; found \(found)"
            case let .patternNotLowerTriangular(row, column, value):
                "the detection pattern must be lower triangular (keys at or before each query); found \(value) at query \(row), key \(column)"
            case let .headOutOfRange(head, layers, heads):
                "head \(head) does not exist: the model has \(layers) layers of \(heads) heads"
            case let .cacheShape(layer, expected, found):
                "the cache's pattern of layer \(layer) has shape \(found); expected \(expected) for these tokens"
            case .noSequences:
                "head detection needs at least one token sequence"
            }
        }
    }

    // MARK: Detection patterns

    /// The detection pattern [pos, pos] for `tokens`, built exactly as TransformerLens does.
    public static func detectionPattern(_ pattern: Pattern, tokens: [Int]) throws -> Tensor {
        let n = tokens.count
        var d = [Float](repeating: 0, count: n * n)
        switch pattern {
        case .previousToken:
            for i in 1..<max(n, 1) { d[i * n + i - 1] = 1 }
        case .duplicateToken:
            for i in 0..<n { for j in 0..<i where tokens[j] == tokens[i] { d[i * n + j] = 1 } }
        case .induction:
            // The duplicate pattern shifted one key to the right; the column that wraps round to
            // key 0 is cleared, then the lower triangle kept.
            for i in 0..<n { for j in 0..<i where tokens[j] == tokens[i] && j + 1 <= i { d[i * n + j + 1] = 1 } }
        case let .custom(tensor):
            try validate(tensor, length: n)
            return tensor
        }
        return Tensor(shape: [n, n], values: d)
    }

    /// Checks that `pattern` is [length, length] and zero above the diagonal.
    static func validate(_ pattern: Tensor, length n: Int) throws {
        guard pattern.shape == [n, n] else { throw DetectionError.patternShape(expected: [n, n], found: pattern.shape) }
        try pattern.withUnsafeBufferPointer { p in
            for i in 0..<n {
                for j in (i + 1)..<max(n, i + 1) where p[i * n + j] != 0 {
                    throw DetectionError.patternNotLowerTriangular(row: i, column: j, value: p[i * n + j])
                }
            }
        }
    }

    // MARK: Scoring

    /// The score of one attention pattern `attention` [pos, pos] (query rows) against
    /// `detection` [pos, pos]; see ``HeadDetector`` for the formulas.
    public static func score(attention: Tensor, detection: Tensor, excludeBOS: Bool = false,
                             excludeCurrentToken: Bool = false, errorMeasure: ErrorMeasure = .mul) throws -> Float {
        let n = detection.shape.first ?? 0
        try validate(detection, length: n)
        guard attention.shape == [n, n] else { throw DetectionError.patternShape(expected: [n, n], found: attention.shape) }
        return attention.withUnsafeBufferPointer { a in
            detection.withUnsafeBufferPointer { d in
                score(a, d, n: n, excludeBOS: excludeBOS, excludeCurrentToken: excludeCurrentToken, errorMeasure: errorMeasure)
            }
        }
    }

    /// `score` on raw row-major [n, n] buffers.
    static func score(_ a: UnsafeBufferPointer<Float>, _ d: UnsafeBufferPointer<Float>, n: Int, excludeBOS: Bool,
                      excludeCurrentToken: Bool, errorMeasure: ErrorMeasure) -> Float {
        func excluded(_ i: Int, _ j: Int) -> Bool { (excludeBOS && j == 0) || (excludeCurrentToken && i == j) }
        var matched = 0.0, total = 0.0
        for i in 0..<n {
            for j in 0..<n where !excluded(i, j) {
                let (x, y) = (Double(a[i * n + j]), Double(d[i * n + j]))
                switch errorMeasure {
                case .mul:
                    matched += x * y
                    total += x
                case .abs:
                    total += Swift.abs(x - y)
                }
            }
        }
        if errorMeasure == .mul { return Float(matched / total) }
        // As TransformerLens: the float32 mean times pos, rounded to 3 decimals, from 1.
        let meanTimesLength = Double(Float(total / Double(n * n)) * Float(n))
        return Float(1 - (meanTimesLength * 1000).rounded(.toNearestOrEven) / 1000)
    }

    // MARK: Measuring a model

    /// TransformerLens's `detect_head`: each head's ``HeadDetector`` score on `tokens`, averaged
    /// over sequences. No tokenizer is involved: pass the token ids (with a BOS if you want one).
    ///
    /// - Parameters:
    ///   - tokens: one sequence [pos], or several of one length [batch, pos] (each row is scored
    ///     on its own and the scores averaged, as TL does for a list of strings).
    ///   - pattern: a named pattern (built from each row's tokens) or a custom [pos, pos] one.
    ///   - heads: the heads to score; the others get −1. Default: every head.
    ///   - cache: a cache of `model` on exactly `tokens` holding `hook_pattern` of the layers
    ///     needed; without one, the patterns are computed (one forward pass).
    ///   - hooks: hooks for that forward pass (e.g. an ablation); unused when `cache` is given.
    /// - Returns: [n_layers, n_heads].
    /// - Throws: ``HeadDetector/DetectionError`` for a sequence shorter than 2 or longer than
    ///   n_ctx, a custom pattern of the wrong shape or not lower triangular, an unknown head,
    ///   or a cache that does not fit; model errors for bad token ids.
    public static func measure(_ model: HookedTransformer, tokens: IntTensor, pattern: Pattern,
                               heads: [Head]? = nil, cache: ActivationCache? = nil,
                               excludeBOS: Bool = false, excludeCurrentToken: Bool = false,
                               errorMeasure: ErrorMeasure = .mul, hooks: [Hook] = []) throws -> Tensor {
        let config = model.config
        let rows = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard rows.rank == 2 else { throw ModelError.invalidTokensShape(tokens.shape) }
        let (batch, length) = (rows.shape[0], rows.shape[1])
        guard batch > 0 else { throw DetectionError.noSequences }
        guard length >= 2 && length <= config.nCtx else {
            throw DetectionError.sequenceLength(length, contextLength: config.nCtx)
        }
        let (layers, headCount) = (config.nLayers, config.nHeads)
        let selected = heads ?? Head.all(layers: layers, heads: headCount)
        for head in selected where !(0..<layers).contains(head.layer) || !(0..<headCount).contains(head.head) {
            throw DetectionError.headOutOfRange(head, layers: layers, heads: headCount)
        }
        let detections = try (0..<batch).map { b in
            try detectionPattern(pattern, tokens: Array(rows.scalars[(b * length)..<((b + 1) * length)]))
        }
        let neededLayers = Set(selected.map(\.layer)).sorted()
        let source = try cache ?? model.cache(rows, names: .only(neededLayers.map { .pattern($0) }), hooks: hooks)
        var scores = [Float](repeating: -1, count: layers * headCount)
        for l in neededLayers {
            let attention = try source.tensor(.pattern(l))
            let expected = [batch, headCount, length, length]
            guard attention.shape == expected else {
                throw DetectionError.cacheShape(layer: l, expected: expected, found: attention.shape)
            }
            attention.withUnsafeBufferPointer { a in
                for h in selected.filter({ $0.layer == l }).map(\.head) {
                    var sum: Float = 0
                    for b in 0..<batch {
                        let start = (b * headCount + h) * length * length
                        sum += detections[b].withUnsafeBufferPointer { d in
                            score(UnsafeBufferPointer(rebasing: a[start..<(start + length * length)]), d, n: length,
                                  excludeBOS: excludeBOS, excludeCurrentToken: excludeCurrentToken, errorMeasure: errorMeasure)
                        }
                    }
                    scores[l * headCount + h] = sum / Float(batch)
                }
            }
        }
        return Tensor(shape: [layers, headCount], values: scores)
    }

    /// ``measure(_:tokens:pattern:heads:cache:excludeBOS:excludeCurrentToken:errorMeasure:hooks:)`` on
    /// sequences of different lengths: each is run and scored on its own; the scores averaged.
    /// Custom patterns need sequences of one length.
    public static func measure(_ model: HookedTransformer, sequences: [[Int]], pattern: Pattern, heads: [Head]? = nil,
                               excludeBOS: Bool = false, excludeCurrentToken: Bool = false,
                               errorMeasure: ErrorMeasure = .mul, hooks: [Hook] = []) throws -> Tensor {
        guard !sequences.isEmpty else { throw DetectionError.noSequences }
        var total = Tensor.zeros([model.config.nLayers, model.config.nHeads])
        for sequence in sequences {
            total += try measure(model, tokens: IntTensor(sequence), pattern: pattern, heads: heads, excludeBOS: excludeBOS,
                                 excludeCurrentToken: excludeCurrentToken, errorMeasure: errorMeasure, hooks: hooks)
        }
        return total / Float(sequences.count)
    }
}
