/// Fuzzy-induction probes: random sequences of words, each followed by a second copy in
/// which every word is replaced by its variant (Olsson et al. 2022, Argument 4), with the two
/// controls that make the numbers readable. For row b, with P = 1 for a BOS (else 0) and L =
/// `length` words w₀ … w_{L−1} (distinct pairs, no token used twice in a row — not even as
/// another pair's variant):
///
/// - ``fuzzy``: [BOS] w₀ … w_{L−1} v(w₀) … v(w_{L−1}) — the probe;
/// - ``exact``: [BOS] w₀ … w_{L−1} w₀ … w_{L−1} — ordinary repeated tokens on the same words;
/// - ``unrepeated``: [BOS] u₀ … u_{L−1} v(w₀) … v(w_{L−1}) — the same second copy after L other
///   words from the pool (no pair of the row), so nothing in the first copy predicts it.
///
/// All three are [count, P + 2L] with the copies at the same positions, so per-head attention
/// scores (``HeadScores``) read the same cells: at second-copy position P + L + k, the
/// prefix-matching target is P + k + 1, the token after the earlier copy of the *original* of
/// the current variant.
public struct FuzzySequences: Sendable {
    /// 1 with a BOS first, else 0.
    public let prefix: Int
    /// Words per copy, L.
    public let length: Int
    /// The sampled pairs of each row, [count][L].
    public let pairs: [[FuzzyWordPair]]
    /// The words of each row's unrepeated first copy, [count][L].
    public let unrelated: [[Int]]
    public let bos: Int?

    /// Samples `count` rows of `length` pairs from `pool` (seeded, reproducible).
    /// - Throws: ``AnalysisError/invalidArgument(_:)`` when `length` < 2, `count` < 1, or the
    ///   pool has too few pairs for a row and its unrelated first copy (2·`length` distinct
    ///   pairs are needed; a pair sharing a token with one already taken is skipped).
    public static func sample(pairs pool: [FuzzyWordPair], length: Int, count: Int, seed: UInt64, bos: Int? = nil) throws -> FuzzySequences {
        guard length >= 2 else { throw AnalysisError.invalidArgument("fuzzy sequences need at least 2 words per copy; found length \(length)") }
        guard count >= 1 else { throw AnalysisError.invalidArgument("fuzzy sequences need at least 1 row; found count \(count)") }
        var generator = RandomGenerator(seed: seed)
        var rows: [[FuzzyWordPair]] = [], unrelated: [[Int]] = []
        for _ in 0..<count {
            var used = Set<Int>()
            if let bos { used.insert(bos) }
            var row: [FuzzyWordPair] = [], others: [Int] = []
            for i in generator.sampleWithoutReplacement(pool.count, from: pool.count) {
                let pair = pool[i]
                if row.count < length {
                    guard !used.contains(pair.original), !used.contains(pair.variant) else { continue }
                    row.append(pair)
                    used.formUnion([pair.original, pair.variant])
                } else if others.count < length {
                    guard !used.contains(pair.original) else { continue }
                    others.append(pair.original)
                    used.insert(pair.original)
                } else { break }
            }
            guard others.count == length else {
                throw AnalysisError.invalidArgument("fuzzy sequences of \(length) words need about \(2 * length) pairs with distinct tokens "
                                                    + "(a copy and an unrelated first copy); the pool of \(pool.count) pairs gave \(row.count) + \(others.count)")
            }
            rows.append(row)
            unrelated.append(others)
        }
        return FuzzySequences(prefix: bos == nil ? 0 : 1, length: length, pairs: rows, unrelated: unrelated, bos: bos)
    }

    /// Sequences from given rows of pairs (e.g. hand-picked), with `unrelated` first copies.
    /// - Throws: ``AnalysisError/invalidArgument(_:)`` when rows are empty or differ in length
    ///   from each other or from `unrelated`.
    public init(pairs: [[FuzzyWordPair]], unrelated: [[Int]], bos: Int? = nil) throws {
        guard let length = pairs.first?.count, length >= 2, pairs.allSatisfy({ $0.count == length }),
              unrelated.count == pairs.count, unrelated.allSatisfy({ $0.count == length }) else {
            throw AnalysisError.invalidArgument("fuzzy sequences need rows of the same length ≥ 2 and one unrelated first copy per row; "
                                                + "found pair rows of lengths \(pairs.map(\.count)) and unrelated rows of lengths \(unrelated.map(\.count))")
        }
        self.init(prefix: bos == nil ? 0 : 1, length: length, pairs: pairs, unrelated: unrelated, bos: bos)
    }

    private init(prefix: Int, length: Int, pairs: [[FuzzyWordPair]], unrelated: [[Int]], bos: Int?) {
        self.prefix = prefix
        self.length = length
        self.pairs = pairs
        self.unrelated = unrelated
        self.bos = bos
    }

    public var count: Int { pairs.count }
    /// P + 2L.
    public var sequenceLength: Int { prefix + 2 * length }

    /// [count, P + 2L]: first copy originals, second copy variants.
    public var fuzzy: IntTensor { tokens { row, b in row.map(\.original) + row.map(\.variant) } }
    /// [count, P + 2L]: the originals twice.
    public var exact: IntTensor { tokens { row, b in row.map(\.original) + row.map(\.original) } }
    /// [count, P + 2L]: unrelated words, then the variants.
    public var unrepeated: IntTensor { tokens { row, b in unrelated[b] + row.map(\.variant) } }

    /// The second-copy positions whose next token is a second-copy word: P + L + k for
    /// k in 0 ..< L − 1 (the last position predicts past the sequence).
    public var predictionPositions: Range<Int> { (prefix + length)..<(prefix + 2 * length - 1) }

    private func tokens(_ body: ([FuzzyWordPair], Int) -> [Int]) -> IntTensor {
        IntTensor(shape: [count, sequenceLength], values: pairs.enumerated().flatMap { b, row in (bos.map { [$0] } ?? []) + body(row, b) })
    }
}
