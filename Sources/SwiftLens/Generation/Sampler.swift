import Foundation

/// How the next token is chosen from a row of logits: greedily (the first largest logit, as
/// PyTorch's `argmax` breaks ties) or by sampling after Hugging Face's warpers, in their order:
/// temperature → top-k → top-p → min-p, then a draw from the softmax of what is left.
///
/// A seed makes the draws repeat exactly; each row of a batch draws from its own stream
/// (seed, row), so a prompt samples the same continuation alone or in a batch.
///
/// Defaults differ between the libraries users know: TransformerLens samples by default with
/// no top-k; Hugging Face is greedy by default and applies top-k 50 when sampling. Here
/// ``greedy`` is the default and sampling applies only the warpers you set.
public struct Sampler: Sendable, Equatable {
    /// Divides the logits before the softmax (> 0; 1 leaves them).
    public var temperature: Float
    /// Keeps the `topK` largest logits (ties at the threshold survive).
    public var topK: Int?
    /// Keeps the smallest set of most likely tokens whose probability reaches `topP` (0 < p ≤ 1).
    public var topP: Float?
    /// Drops tokens whose probability is below `minP` × the largest probability (0 ≤ min-p ≤ 1).
    public var minP: Float?
    /// The seed of the draws (nil: a random one per generation).
    public var seed: UInt64?
    /// Whether tokens are drawn at all (false: greedy).
    public var samples: Bool

    /// Greedy decoding: the first token with the largest logit.
    public static let greedy = Sampler(samples: false)

    /// Sampling with the given warpers.
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, minP: Float? = nil, seed: UInt64? = nil) {
        self.init(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed, samples: true)
    }

    private init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, minP: Float? = nil, seed: UInt64? = nil,
                 samples: Bool) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
        self.samples = samples
    }

    /// Throws for a setting outside its range (temperature ≤ 0 or not finite, top-k < 1, top-p
    /// or min-p outside (0, 1]).
    public func validated() throws -> Sampler {
        guard samples else { return self }
        guard temperature.isFinite, temperature > 0 else { throw GenerationError.invalidSampler("temperature must be > 0, got \(temperature)") }
        if let topK, topK < 1 { throw GenerationError.invalidSampler("top-k must be ≥ 1, got \(topK)") }
        if let topP, !(topP > 0 && topP <= 1) { throw GenerationError.invalidSampler("top-p must be in (0, 1], got \(topP)") }
        if let minP, !(minP >= 0 && minP <= 1) { throw GenerationError.invalidSampler("min-p must be in [0, 1], got \(minP)") }
        return self
    }

    /// The random stream of batch row `row`.
    func generator(row: Int, seed: UInt64) -> RandomGenerator {
        RandomGenerator(seed: seed &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// The token chosen from `logits` (one row, d_vocab values).
    public func choose(from logits: UnsafeBufferPointer<Float>, using random: inout RandomGenerator) -> Int {
        guard samples else { return Self.argmax(logits) }
        // An infinite logit takes all the probability.
        if let infinite = logits.firstIndex(of: .infinity) { return infinite }
        // Candidates: (index, scaled logit), warped step by step.
        var candidates = logits.enumerated().compactMap { i, x -> (Int, Float)? in
            x.isNaN || x == -.infinity ? nil : (i, x / temperature)
        }
        guard !candidates.isEmpty else { return Self.argmax(logits) }
        // Top-k and top-p need the candidates in descending order; plain temperature and min-p
        // sampling skip the sort (a 50k vocabulary takes milliseconds to sort).
        if topK != nil || (topP ?? 1) < 1 {
            candidates.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        }
        if let topK, topK < candidates.count {
            let threshold = candidates[topK - 1].1
            candidates = Array(candidates.prefix { $0.1 >= threshold })
        }
        // Probabilities of what is left, in Double.
        func probabilities() -> [Double] {
            let top = Double(candidates.lazy.map(\.1).max()!)
            let e = candidates.map { Foundation.exp(Double($0.1) - top) }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
        if let topP, topP < 1 {
            let p = probabilities()
            var cumulative = 0.0, keep = 0
            while keep < p.count {
                cumulative += p[keep]
                keep += 1
                if cumulative >= Double(topP) { break }
            }
            candidates = Array(candidates.prefix(max(1, keep)))
        }
        if let minP, minP > 0 {
            let p = probabilities()
            let floor = Double(minP) * p.max()!
            candidates = Array(zip(candidates, p).filter { $0.1 >= floor }.map(\.0))
        }
        let p = probabilities()
        let u = random.nextDouble()
        var cumulative = 0.0
        for (candidate, probability) in zip(candidates, p) {
            cumulative += probability
            if u < cumulative { return candidate.0 }
        }
        return candidates[candidates.count - 1].0
    }

    /// The index of the first largest value (NaN never wins).
    static func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
        var best = 0, bestValue = -Float.infinity
        for (i, x) in values.enumerated() where x > bestValue {
            best = i
            bestValue = x
        }
        return best
    }
}
