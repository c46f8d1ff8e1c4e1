import Foundation
import SwiftLens
import Testing

/// `HeadDetector.measure` against TransformerLens 2.18's `head_detector` fixtures (three named patterns,
/// `mul` and `abs`, on token row 1 of each classic model), custom patterns and options, bad
/// input; and the logit-based copying score on a model built so that the answer is known.
@Suite struct HeadDetectorTests {
    static let classicModels = ["attn2l", "gpt2tiny", "llamatiny", "shortformer"]
    static let named: [(String, HeadDetector.Pattern)] = [("previous_token_head", .previousToken),
                                                          ("duplicate_token_head", .duplicateToken),
                                                          ("induction_head", .induction)]

    func load(_ name: String) throws -> (model: HookedTransformer, row1: IntTensor, analysis: SafetensorsFile) {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let tokens = try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens")
        return (model, tokens[1], try Fixtures.open("classic/\(name)/analysis.safetensors"))
    }

    // MARK: Parity with TransformerLens

    @Test(arguments: classicModels)
    func namedPatternsMatchTransformerLens(model name: String) throws {
        let (model, row1, analysis) = try load(name)
        var worst: Float = 0
        for (key, pattern) in Self.named {
            let detection = try HeadDetector.detectionPattern(pattern, tokens: row1.scalars)
            #expect(detection == (try analysis.tensor("head_detector.\(key).detection_pattern")), "\(name) \(key) pattern")
            for measure in [HeadDetector.ErrorMeasure.mul, .abs] {
                let got = try HeadDetector.measure(model, tokens: row1, pattern: pattern, errorMeasure: measure)
                let want = try analysis.tensor("head_detector.\(key).\(measure.rawValue)")
                #expect(got.shape == [2, 4])
                let diff = got.maxAbsoluteDifference(want)
                worst = max(worst, diff)
                #expect(diff <= 1e-4, "\(name) \(key).\(measure): max |Δ| = \(diff)")
            }
        }
        print("head detector \(name): max |Δ| = \(worst)")
    }

    // MARK: Options and custom patterns

    @Test func customPatternsHeadsAndExclusions() throws {
        let (model, row1, analysis) = try load("gpt2tiny")
        let (_, cache) = try model.runWithCache(row1)
        let induction = try analysis.tensor("head_detector.induction_head.detection_pattern")
        // The fixture's induction pattern, passed as a custom one, scores as the named pattern.
        let custom = try HeadDetector.measure(model, tokens: row1, pattern: .custom(induction), cache: cache)
        #expect(custom.maxAbsoluteDifference(try analysis.tensor("head_detector.induction_head.mul")) <= 1e-4)

        // Only the requested heads are scored; the others are −1.
        let wanted = [Head(layer: 1, head: 2), Head("L0H0")!]
        let some = try HeadDetector.measure(model, tokens: row1, pattern: .previousToken, heads: wanted, cache: cache)
        let all = try HeadDetector.measure(model, tokens: row1, pattern: .previousToken, cache: cache)
        for head in Head.all(layers: 2, heads: 4) {
            #expect(some[head.layer, head.head].scalar == (wanted.contains(head) ? all[head.layer, head.head].scalar : -1))
        }
        // Hooks apply to the forward pass the detector makes: a head clamped to the previous-token
        // pattern scores (pos − 1)/pos (query 0 attends to itself, which the pattern does not mark).
        let clamp = Hook.clampPattern(Head(layer: 1, head: 3), to: .previousTokenPattern(62))
        let clamped = try HeadDetector.measure(model, tokens: row1, pattern: .previousToken, hooks: [clamp])
        #expect(abs(clamped[1, 3].scalar - 61 / 62) <= 1e-5 && abs(all[1, 3].scalar - 61 / 62) > 0.01)
        #expect(clamped[0].maxAbsoluteDifference(all[0]) <= 1e-6)

        // Exclusions, against a direct computation on the cached pattern (which must not change).
        let before = cache[.pattern(1)]!
        let excluded = try HeadDetector.measure(model, tokens: row1, pattern: .custom(induction), cache: cache, excludeBOS: true, excludeCurrentToken: true)
        #expect(cache[.pattern(1)]! == before)
        let a = before[0, 3], d = induction
        var matched: Float = 0, total: Float = 0
        for i in 0..<62 {
            for j in 0...i where j != 0 && j != i {
                matched += a[i, j].scalar * d[i, j].scalar
                total += a[i, j].scalar
            }
        }
        #expect(abs(excluded[1, 3].scalar - matched / total) <= 1e-5)
        let absExcluded = try HeadDetector.measure(model, tokens: row1, pattern: .custom(induction), cache: cache, excludeBOS: true, errorMeasure: .abs)
        var error: Float = 0
        for i in 0..<62 { for j in 1..<62 { error += abs(a[i, j].scalar - d[i, j].scalar) } }
        #expect(abs(absExcluded[1, 3].scalar - (1 - (error / 62 * 1000).rounded() / 1000)) <= 1e-3)

        // Several sequences are scored one by one and averaged.
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let both = try HeadDetector.measure(model, tokens: tokens, pattern: .duplicateToken)
        let row0 = try HeadDetector.measure(model, tokens: tokens[0], pattern: .duplicateToken)
        let one = try HeadDetector.measure(model, tokens: row1, pattern: .duplicateToken)
        #expect(both.maxAbsoluteDifference((row0 + one) / 2) <= 1e-6)
        let ragged = try HeadDetector.measure(model, sequences: [tokens[0].scalars, Array(row1.scalars.prefix(40))], pattern: .duplicateToken)
        let short = try HeadDetector.measure(model, tokens: IntTensor(Array(row1.scalars.prefix(40))), pattern: .duplicateToken)
        #expect(ragged.maxAbsoluteDifference((row0 + short) / 2) <= 1e-6)
    }

    @Test func knownAnswerScores() throws {
        // A head that is exactly a previous-token head except that query 0 attends to itself.
        let n = 8
        var attention = try HeadDetector.detectionPattern(.previousToken, tokens: Array(0..<n))
        attention.setElement(1, at: [0, 0])
        let detection = try HeadDetector.detectionPattern(.previousToken, tokens: Array(0..<n))
        // mul: 7 of 8 rows' mass on the pattern; abs: Σ|A − D| = 1 → 1 − round(1/8, 3).
        #expect(try HeadDetector.score(attention: attention, detection: detection) == 7.0 / 8.0)
        #expect(try HeadDetector.score(attention: attention, detection: detection, errorMeasure: .abs) == 1 - 0.125)
        #expect(try HeadDetector.score(attention: attention, detection: detection, excludeBOS: true, errorMeasure: .abs) == 1)
        // Induction pattern of [a b c a b c]: query 3 (a) → key 1 (b), 4 → 2, 5 → 3.
        let induction = try HeadDetector.detectionPattern(.induction, tokens: [7, 8, 9, 7, 8, 9])
        #expect(induction.sum().scalar == 3 && induction[3, 1].scalar == 1 && induction[4, 2].scalar == 1 && induction[5, 3].scalar == 1)
        let duplicate = try HeadDetector.detectionPattern(.duplicateToken, tokens: [7, 8, 9, 7, 8, 9])
        #expect(duplicate.sum().scalar == 3 && duplicate[3, 0].scalar == 1 && duplicate[5, 2].scalar == 1)
    }

    @Test func badInputThrows() throws {
        let (model, row1, _) = try load("attn2l")
        let square = Tensor.zeros([62, 62])
        #expect(throws: HeadDetector.DetectionError.patternShape(expected: [62, 62], found: [61, 62])) {
            try HeadDetector.measure(model, tokens: row1, pattern: .custom(Tensor.zeros([61, 62])))
        }
        #expect(throws: HeadDetector.DetectionError.self) { try HeadDetector.measure(model, tokens: row1, pattern: .custom(Tensor.zeros([62]))) }
        var upper = square
        upper.setElement(1, at: [3, 7])
        #expect(throws: HeadDetector.DetectionError.patternNotLowerTriangular(row: 3, column: 7, value: 1)) {
            try HeadDetector.measure(model, tokens: row1, pattern: .custom(upper))
        }
        #expect(throws: HeadDetector.DetectionError.self) { try HeadDetector.measure(model, tokens: IntTensor([5]), pattern: .previousToken) }
        #expect(throws: HeadDetector.DetectionError.self) {
            try HeadDetector.measure(model, tokens: IntTensor(Array(repeating: 1, count: 65)), pattern: .previousToken)
        }
        #expect(throws: HeadDetector.DetectionError.headOutOfRange(Head(layer: 2, head: 0), layers: 2, heads: 4)) {
            try HeadDetector.measure(model, tokens: row1, pattern: .induction, heads: [Head(layer: 2, head: 0)])
        }
        #expect(throws: HeadDetector.DetectionError.self) { try HeadDetector.measure(model, tokens: row1, pattern: .induction, heads: [Head("L0H4")!]) }
        #expect(throws: HeadDetector.DetectionError.self) { try HeadDetector.measure(model, sequences: [], pattern: .induction) }
        let (_, otherCache) = try model.runWithCache(IntTensor(Array(row1.scalars.prefix(30))))
        #expect(throws: HeadDetector.DetectionError.self) { try HeadDetector.measure(model, tokens: row1, pattern: .induction, cache: otherCache) }
        #expect(throws: HeadDetector.DetectionError.self) {
            try HeadDetector.score(attention: Tensor.zeros([4, 4]), detection: Tensor.zeros([5, 5]))
        }
    }

    // MARK: Copying score

    /// One attention-only layer without norms, d_model = d_vocab = 8, W_E = W_U = I and
    /// W_Q = W_K = 0, so every head attends uniformly (A[i, j] = 1/(i + 1)). Head 0 has
    /// W_V W_O = I (it writes the average one-hot of the tokens it reads: a copier), head 1
    /// −I (an anti-copier). Its logit contribution at position i is then
    /// count_i(t)/(i + 1) for token t, where count_i(t) is how often t occurs at positions ≤ i,
    /// and the copying score is mean_i [count_i(t_i)/(i + 1) − 1/8] — positive for head 0,
    /// exactly its negative for head 1.
    @Test func copyingScoreKnownAnswer() throws {
        // Uniform attention (zero Q and K), identity embeddings; head 0 copies, head 1 suppresses.
        let model = try CopySuppressionTests.copierAndSuppressor()
        let v = model.config.dVocab
        let half = [5, 2, 7, 1]
        let x = half + half
        var expected = 0.0
        for i in half.count..<x.count {
            let target = x[i - half.count + 1]
            let count = x[0...i].filter { $0 == target }.count
            expected += Double(count) / Double(i + 1) - 1 / Double(v)
        }
        expected /= Double(half.count)
        let scores = try LogitCopyingScore.measure(model, repeatedTokens: IntTensor([x, x]))
        #expect(scores.shape == [1, 2])
        #expect(expected > 0)
        #expect(abs(Double(scores[0, 0].scalar) - expected) <= 1e-5, "copier: \(scores[0, 0].scalar), expected \(expected)")
        #expect(abs(Double(scores[0, 1].scalar) + expected) <= 1e-5, "anti-copier: \(scores[0, 1].scalar), expected \(-expected)")

        #expect(throws: LogitCopyingScore.CopyingError.notRepeated(batch: 0, position: 4)) {
            try LogitCopyingScore.measure(model, repeatedTokens: IntTensor([5, 2, 7, 1, 2, 2, 7, 1]))
        }
        #expect(throws: LogitCopyingScore.CopyingError.oddLength(7)) { try LogitCopyingScore.measure(model, repeatedTokens: IntTensor(Array(x.prefix(7)))) }
    }

    /// On a processed model (ln_final without weight, W_U centred over the vocabulary) the
    /// copying score is TransformerLens's logit attribution of each head to the token it should
    /// copy, averaged over the second copy.
    @Test func copyingScoreIsLogitAttributionOnProcessedModels() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny/processed"))
        #expect(model.config.normalizationType == .layerNormPre)
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let row1 = tokens[1].reshaped([1, -1])
        let (_, cache) = try model.runWithCache(row1)
        let heads = try cache.stackHeadResults(positions: .stride(31, 62)).tensor
        let attributions = try cache.logitAttrs(heads, tokens: row1[.all, 1..<32], positions: .stride(31, 62))
        let expected = attributions.mean(axes: [1, 2]).reshaped([2, 4])
        let scores = try LogitCopyingScore.measure(model, repeatedTokens: row1, cache: cache)
        #expect(scores.maxAbsoluteDifference(expected) <= 1e-4, "\(scores) vs \(expected)")
        #expect(try LogitCopyingScore.measure(model, repeatedTokens: row1).maxAbsoluteDifference(scores) <= 1e-5)
    }

    /// On unprocessed models the head output reaches the logits through ln_final's weight too:
    /// the score is the normalised head result (`applyLN`) times that weight, dotted with the
    /// vocabulary-centred unembedding of the token to copy.
    @Test(arguments: ["gpt2tiny", "llamatiny"])
    func copyingScoreGoesThroughTheFinalNormWeight(model name: String) throws {
        let (model, row1Flat, _) = try load(name)
        let row1 = row1Flat.reshaped([1, -1])
        let (_, cache) = try model.runWithCache(row1)
        let normalised = try cache.stackHeadResults(positions: .stride(31, 62), applyLN: true).tensor
        let u = normalised * (try model.parameter("ln_final.w"))
        let wU = try model.parameter("unembed.W_U")
        let directions = (wU - wU.mean(axis: 1, keepDims: true)).transposed(0, 1).indexSelect(row1[.all, 1..<32], axis: 0)
        let expected = (u * directions).sum(axis: -1).mean(axes: [1, 2]).reshaped([2, 4])
        let scores = try LogitCopyingScore.measure(model, repeatedTokens: row1, cache: cache)
        #expect(scores.maxAbsoluteDifference(expected) <= 1e-4, "\(name): \(scores) vs \(expected)")
        // Leaving the weight out would give a different answer (the weights are 1 + 0.1·N(0, 1)).
        let withoutWeight = (normalised * directions).sum(axis: -1).mean(axes: [1, 2]).reshaped([2, 4])
        #expect(scores.maxAbsoluteDifference(withoutWeight) > 1e-3)
    }
}
