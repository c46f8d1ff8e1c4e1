import Foundation
import SwiftLens
import Testing

/// The head census on repeated tokens after a prefix (a BOS, as pretrained models expect), with
/// grouped-query attention: the copying scores with a prefix and with key-value heads shared
/// by several query heads, on a model built so that the answer is known; the OV eigenvalue
/// scores from the d_head × d_head product against the full circuit; `detect_head` with the BOS
/// in the sequence; `lens scores --bos`; and a processed model keeping its tokenizer.
@Suite struct HeadCensusTests {
    /// One attention-only layer without norms, d_model = d_vocab = d_head = 8, W_E = W_U = I,
    /// W_Q = W_K = 0 (every head attends uniformly, A[i, j] = 1/(i + 1)), 4 query heads sharing
    /// 2 key-value heads: W_V = I for key-value head 0 and −2·I for key-value head 1, W_O = I,
    /// −I, I, −I. Query head h reads key-value head h / 2, so its OV circuit is
    /// W_V[h / 2]·W_O[h] = (1, −1, −2, 2)·I — reading head h % 2 instead would give
    /// (1, −2, −1, 2)·I.
    static func groupedIdentityModel() throws -> HookedTransformer {
        let eye = Tensor.eye(UniformIdentityModel.width)
        return try UniformIdentityModel.make(values: [eye, eye * -2], outputs: [eye, -eye, eye, -eye])
    }

    /// The copying score of a uniformly attending copier of OV circuit I on `x` = prefix + r + r:
    /// its logit for token t at position i is count_i(t)/(i + 1) (count over positions ≤ i,
    /// the prefix included), so the score is mean over the second copy of
    /// count_i(t_i)/(i + 1) − 1/8 with t_i = x[i − L + 1].
    static func uniformCopierScore(_ x: [Int], prefix: Int) -> Double {
        let half = (x.count - prefix) / 2
        var total = 0.0
        for i in (prefix + half)..<x.count {
            let target = x[i - half + 1]
            total += Double(x[0...i].filter { $0 == target }.count) / Double(i + 1) - 1 / 8
        }
        return total / Double(half)
    }

    @Test(arguments: [0, 1, 2])
    func copyingScoreAfterAPrefixWithGroupedQueryHeads(prefix: Int) throws {
        let model = try Self.groupedIdentityModel()
        let half = [5, 2, 7, 1]
        // The prefix tokens (a BOS, or two) are not in the copies, except 2 in the two-token prefix:
        // it is then counted among the earlier occurrences of the target 2.
        let x = Array([3, 2].prefix(prefix)) + half + half
        let copier = Self.uniformCopierScore(x, prefix: prefix)
        #expect(copier > 0)
        let scores = try LogitCopyingScore.measure(model, repeatedTokens: IntTensor([x, x]), prefix: prefix)
        #expect(scores.shape == [1, 4])
        for (head, factor) in [1.0, -1, -2, 2].enumerated() {
            let got = Double(scores[0, head].scalar)
            #expect(abs(got - factor * copier) <= 1e-5, "P = \(prefix), query head \(head): \(got), expected \(factor * copier)")
        }
        // The same through a cache, and the weights-only score of the same circuits: +1 for (1, 2)·I, −1 for (−1, −2)·I.
        let (_, cache) = try model.runWithCache(IntTensor([x]))
        #expect(try LogitCopyingScore.measure(model, repeatedTokens: IntTensor([x]), prefix: prefix, cache: cache)
            .maxAbsoluteDifference(scores) <= 1e-5)
        let ov = try model.ovCopyingScores(topOneAccuracy: false)
        #expect(ov.eigenvalueScore.maxAbsoluteDifference(Tensor([[1, -1, -1, 1]])) <= 1e-5, "\(ov.eigenvalueScore)")
        #expect(ov.topOneAccuracy == nil)
    }

    @Test func copyingScoreRefusesTokensThatAreNotPrefixedRepeats() throws {
        let model = try Self.groupedIdentityModel()
        let x = [3, 5, 2, 7, 1, 5, 2, 7, 1]
        #expect(throws: LogitCopyingScore.CopyingError.oddLength(9)) { try LogitCopyingScore.measure(model, repeatedTokens: IntTensor(x)) }
        #expect(throws: LogitCopyingScore.CopyingError.notRepeated(batch: 0, position: 5)) {
            try LogitCopyingScore.measure(model, repeatedTokens: IntTensor([3, 5, 2, 7, 1, 4, 2, 7, 1]), prefix: 1)
        }
        #expect(throws: LogitCopyingScore.CopyingError.oddLength(7)) { try LogitCopyingScore.measure(model, repeatedTokens: IntTensor(x), prefix: 2) }
        for bad in [-1, 8, 9, 20] {
            #expect(throws: LogitCopyingScore.CopyingError.invalidPrefix(bad, length: 9)) {
                try LogitCopyingScore.measure(model, repeatedTokens: IntTensor(x), prefix: bad)
            }
        }
        let message = "\(LogitCopyingScore.CopyingError.invalidPrefix(8, length: 9))"
        #expect(message.contains("P = 8") && message.contains("9"), "\(message)")
    }

    /// Without the top-1 accuracy the eigenvalue scores come from W_V·(W_O·W_U·W_E), whose
    /// non-zero eigenvalues are those of the full circuit W_E·W_V·W_O·W_U: the same scores as
    /// from the full circuit, on every classic fixture and a grouped-query model.
    @Test(arguments: ["classic/attn2l", "classic/gpt2tiny", "classic/llamatiny", "classic/shortformer", "gqa"])
    func ovEigenvalueScoresFromTheSmallProductMatchTheFullCircuit(fixture: String) throws {
        let model: HookedTransformer
        if fixture == "gqa" {
            let config = HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 8, dHead: 4, nHeads: 6, dVocab: 24, normalizationType: .rms,
                                                 positionalEmbeddingType: .rotary, attnOnly: true, nKeyValueHeads: 2)
            model = try HookedTransformer(config: config, seed: 5)
        } else {
            model = try HookedTransformer.load(directory: Fixtures.url(fixture))
        }
        let small = try model.ovCopyingScores(topOneAccuracy: false), full = try model.ovCopyingScores(topOneAccuracy: true)
        #expect(small.eigenvalueScore.shape == [model.config.nLayers, model.config.nHeads])
        #expect(small.eigenvalueScore.maxAbsoluteDifference(full.eigenvalueScore) <= 1e-4, "\(fixture)")
        #expect(small.positiveEigenvalueFraction.maxAbsoluteDifference(full.positiveEigenvalueFraction) <= 1e-6, "\(fixture)")
        #expect(full.topOneAccuracy != nil && small.topOneAccuracy == nil)
    }

    /// `detect_head` on BOS + [r, r]: TransformerLens builds the detection pattern from the
    /// token ids, BOS included — for distinct random tokens and a BOS that occurs once, the
    /// induction pattern marks exactly (i, i − L + 1) and the duplicate pattern (i, i − L) on
    /// the second copy — and "mul" divides by all the attention, so detect_head's induction and
    /// duplicate scores are exactly L/(2L + 1) times `HeadScores(prefix: 1)`'s.
    @Test func detectHeadWithABOSIsTheCensusScaled() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))
        let length = 12
        let tokens = RepeatedRandomTokens.batch(count: 3, length: length, vocabularySize: model.config.dVocab, seed: 9, bos: 0)
        let row = tokens[0].scalars
        let n = row.count
        let induction = try HeadDetector.detectionPattern(.induction, tokens: row)
        let duplicate = try HeadDetector.detectionPattern(.duplicateToken, tokens: row)
        for i in 0..<n {
            for j in 0..<n {
                let second = i >= 1 + length
                #expect(induction[i, j].scalar == (second && j == i - length + 1 ? 1 : 0), "induction pattern (\(i), \(j))")
                #expect(duplicate[i, j].scalar == (second && j == i - length ? 1 : 0), "duplicate pattern (\(i), \(j))")
            }
        }
        let census = try HeadScores.measure(model, repeatedTokens: tokens, prefix: 1)
        let ratio = Float(length) / Float(2 * length + 1)
        let detected = try HeadDetector.measure(model, tokens: tokens, pattern: .induction)
        #expect(detected.maxAbsoluteDifference(census.induction * ratio) <= 1e-5, "\(detected) vs \(census.induction * ratio)")
        let detectedDuplicate = try HeadDetector.measure(model, tokens: tokens, pattern: .duplicateToken)
        #expect(detectedDuplicate.maxAbsoluteDifference(census.duplicateToken * ratio) <= 1e-5)
        // The model's induction heads (layer 1) still stand out, at about half the height.
        #expect(detected[1].min().scalar > 2 * detected[0].max().scalar, "\(detected)")
    }

    /// Weight processing keeps the tokenizer (and its BOS), so `lens scores --process --bos`
    /// finds the BOS of a processed model.
    @Test func processedModelKeepsItsTokenizer() throws {
        let model = try TextInterfaceTests.model(prependsBOS: false)
        let processed = try model.processed()
        #expect(processed.tokenizer?.bosTokenID == 63)
        #expect(try processed.toTokens("the cat") == model.toTokens("the cat"))
    }

    /// `lens scores --bos-id` builds [BOS, r, r], and every score it writes is the library's with
    /// a prefix of 1; `--tokens` of that form are recognised; bad combinations are refused.
    @Test func lensScoresWithABOS() throws {
        let directory = Fixtures.url("trained/recipeR-2L-s0/final")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-scores-bos-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try BuiltExecutable.run("lens", ["scores", directory.path, "--rrt", "20x4", "--seed", "3", "--bos-id", "0", "--out", out.path])
        #expect(run.status == 0, "\(run.combined)")
        #expect(run.stdout.contains("tokens [4, 41] (a BOS, then repeated, L = 20)") && run.stdout.contains("  first ")
                && run.stdout.contains("mean attention to the first token"), "\(run.combined)")
        #expect(run.stdout.contains("induction heads above 0.4: L1H0 ("), "\(run.combined)")

        let model = try HookedTransformer.load(directory: directory)
        let tokens = RepeatedRandomTokens.batch(count: 4, length: 20, vocabularySize: model.config.dVocab, seed: 3, bos: 0)
        let written = try SafetensorsFile(contentsOf: out)
        #expect(try written.intTensor("tokens") == tokens)
        let census = try HeadScores.measure(model, repeatedTokens: tokens, prefix: 1)
        #expect(try written.tensor("induction").maxAbsoluteDifference(census.induction) < 1e-6)
        #expect(try written.tensor("previous_token").maxAbsoluteDifference(census.previousToken) < 1e-6)
        #expect(try written.tensor("first_token").maxAbsoluteDifference(census.firstToken) < 1e-6)
        #expect(try written.tensor("copying_logit").maxAbsoluteDifference(LogitCopyingScore.measure(model, repeatedTokens: tokens, prefix: 1)) < 1e-5)
        #expect(try written.tensor("detect_induction").maxAbsoluteDifference(HeadDetector.measure(model, tokens: tokens, pattern: .induction)) < 1e-6)

        // The same tokens given with --tokens: recognised as [BOS, r, r].
        let json = "[" + (0..<2).map { b in "[" + tokens[b].scalars.map(String.init).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        let given = try BuiltExecutable.run("lens", ["scores", directory.path, "--tokens", json, "--top", "0"])
        #expect(given.status == 0 && given.stdout.contains("(a BOS, then repeated, L = 20)") && given.stdout.contains(" copy "), "\(given.combined)")

        for (arguments, message) in [(["--bos"], "--bos needs the model's BOS token, and this model has no tokenizer; give its id with --bos-id ID"),
                                     (["--bos-id", "5000"], "--bos-id 5000 is outside the vocabulary"),
                                     (["--bos-id", "0", "--tokens", "[[1, 2, 1, 2]]"], "--bos and --bos-id apply to --rrt tokens")] {
            let refused = try BuiltExecutable.run("lens", ["scores", directory.path] + arguments)
            #expect(refused.status != 0 && refused.combined.contains(message), "\(arguments): \(refused.combined)")
        }
    }
}
