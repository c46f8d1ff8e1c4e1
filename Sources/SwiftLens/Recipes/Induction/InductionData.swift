import Foundation

/// Synthetic "text" with in-context copies: the data of Recipes R and U (README.md in this
/// folder).
///
/// Each sequence starts as a base chain — a bigram Markov chain whose transition rows are drawn
/// from Dirichlet(α) (Recipe R), or i.i.d. uniform tokens (Recipe U) — then is overwritten left
/// to right in chunks: from position `copyStart` on, with probability `copyProbability` a chunk
/// copies an earlier span verbatim (length U{copyLength}, from a uniformly random earlier
/// start); otherwise U{freshLength} base tokens are kept. Tokens 2, 3, … of a copied span can
/// only be predicted by looking back in the context (induction).
public struct InductionData: TokenStream {
    /// How base tokens are drawn.
    public enum Base: Sendable {
        /// A bigram chain: `transitions[i]` is the next-token distribution after token i.
        case bigram(transitions: [[Double]])
        /// Independent uniform tokens.
        case uniform
    }

    public let vocabularySize: Int
    public let sequenceLength: Int
    public let base: Base
    public var copyProbability = 0.8
    public var copyStart = 24
    public var copyLength = 8...24
    public var freshLength = 6...16
    private var generator: RandomGenerator
    /// Cumulative transition rows for sampling.
    private let cumulative: [[Double]]

    public init(vocabularySize: Int, sequenceLength: Int, base: Base, seed: UInt64) {
        self.vocabularySize = vocabularySize
        self.sequenceLength = sequenceLength
        self.base = base
        generator = RandomGenerator(seed: seed)
        if case let .bigram(rows) = base {
            cumulative = rows.map { row in
                var total = 0.0
                return row.map { total += $0; return total }
            }
        } else {
            cumulative = []
        }
    }

    /// Recipe R: V = 64, 65-token sequences, bigram rows ~ Dirichlet(1) from `languageSeed`
    /// (stationary conditional entropy 3.74 nats; about 43% of targets are copy-predictable).
    public static func recipeR(seed: UInt64, vocabularySize: Int = 64, sequenceLength: Int = 65,
                               concentration: Double = 1.0, languageSeed: UInt64 = 1234) -> InductionData {
        var language = RandomGenerator(seed: languageSeed)
        let rows = (0..<vocabularySize).map { _ in dirichlet(count: vocabularySize, concentration: concentration, using: &language) }
        return InductionData(vocabularySize: vocabularySize, sequenceLength: sequenceLength, base: .bigram(transitions: rows), seed: seed)
    }

    /// Recipe U: uniform base tokens, same copies.
    public static func recipeU(seed: UInt64, vocabularySize: Int = 64, sequenceLength: Int = 65) -> InductionData {
        InductionData(vocabularySize: vocabularySize, sequenceLength: sequenceLength, base: .uniform, seed: seed)
    }

    /// The conditional entropy of the bigram language (nats) under its stationary distribution,
    /// i.e. the best loss achievable without the context (Recipe R: about 3.7; log 64 = 4.16).
    public var bigramEntropy: Double? {
        guard case let .bigram(rows) = base else { return nil }
        var pi = [Double](repeating: 1 / Double(vocabularySize), count: vocabularySize)
        for _ in 0..<500 {
            var next = [Double](repeating: 0, count: vocabularySize)
            for i in 0..<vocabularySize { for j in 0..<vocabularySize { next[j] += pi[i] * rows[i][j] } }
            pi = next
        }
        return -zip(pi, rows).reduce(0) { acc, pair in acc + pair.0 * pair.1.reduce(0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) } }
    }

    public mutating func nextBatch(_ size: Int) -> IntTensor { nextBatchWithMask(size).tokens }

    /// The same language and copy settings, sampled from `seed`.
    public func reseeded(_ seed: UInt64) -> InductionData {
        var copy = self
        copy.generator = RandomGenerator(seed: seed)
        return copy
    }

    /// The next `size` sequences and, per target position p (predicting token p+1), whether an
    /// earlier copy makes it predictable by induction: [size, sequenceLength − 1].
    public mutating func nextBatchWithMask(_ size: Int) -> (tokens: IntTensor, predictable: Tensor) {
        var tokens: [Int] = [], mask: [Float] = []
        tokens.reserveCapacity(size * sequenceLength)
        for _ in 0..<size {
            let (seq, predictable) = nextSequence()
            tokens += seq
            mask += predictable.dropFirst().map { $0 ? 1 : 0 }
        }
        return (IntTensor(shape: [size, sequenceLength], values: tokens),
                Tensor(shape: [size, sequenceLength - 1], values: mask))
    }

    private mutating func uniformInt(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + generator.nextInt(below: range.count)
    }

    /// One sequence and which of its tokens are induction-predictable.
    mutating func nextSequence() -> (tokens: [Int], predictable: [Bool]) {
        let n = sequenceLength
        var x = [Int](repeating: 0, count: n)
        x[0] = generator.nextInt(below: vocabularySize)
        for t in 1..<n {
            if cumulative.isEmpty {
                x[t] = generator.nextInt(below: vocabularySize)
            } else {
                let u = generator.nextDouble() * cumulative[x[t - 1]].last!
                x[t] = min(cumulative[x[t - 1]].partitioningIndex { $0 > u }, vocabularySize - 1)
            }
        }
        var predictable = [Bool](repeating: false, count: n)
        var t = 0
        while t < n {
            if t >= copyStart && generator.nextDouble() < copyProbability {
                let length = uniformInt(copyLength)
                let source = uniformInt(0...max(0, t - length))
                for i in 0..<length where t + i < n {
                    x[t + i] = x[source + i]
                    if i >= 1 { predictable[t + i] = true }
                }
                t += length
            } else {
                t += uniformInt(freshLength)
            }
        }
        return (x, predictable)
    }
}

/// Samples a probability vector from Dirichlet(concentration, …, concentration).
func dirichlet(count: Int, concentration alpha: Double, using generator: inout RandomGenerator) -> [Double] {
    let draws = (0..<count).map { _ in gamma(shape: alpha, using: &generator) }
    let total = draws.reduce(0, +)
    return draws.map { $0 / total }
}

/// Gamma(shape, 1) by Marsaglia & Tsang (2000), boosted for shape < 1.
func gamma(shape alpha: Double, using generator: inout RandomGenerator) -> Double {
    if alpha < 1 {
        let u = max(generator.nextDouble(), .leastNonzeroMagnitude)
        return gamma(shape: alpha + 1, using: &generator) * Foundation.pow(u, 1 / alpha)
    }
    let d = alpha - 1.0 / 3, c = 1 / (9 * d).squareRoot()
    while true {
        let x = generator.nextNormal()
        let v = (1 + c * x) * (1 + c * x) * (1 + c * x)
        if v <= 0 { continue }
        let u = max(generator.nextDouble(), .leastNonzeroMagnitude)
        if Foundation.log(u) < 0.5 * x * x + d - d * v + d * Foundation.log(v) { return d * v }
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `predicate` (which is false, then true), or count.
    func partitioningIndex(where predicate: (Double) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
