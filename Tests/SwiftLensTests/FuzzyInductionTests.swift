import Foundation
import SwiftLens
import Testing

/// Fuzzy induction on known answers: how the sequences are built, the copying scores on
/// hand-made logits, and the scores of the trained 2-layer model (Tests/Fixtures/trained/recipeR-2L-s0),
/// where a variant equal to its original must give exactly the exact-repeat scores and an
/// unrelated "variant" must leave its induction heads nothing to match. Bad input throws.
@Suite struct FuzzyInductionTests {
    /// Pairs (i, i + 32) of the 64-token fixture vocabulary: unrelated tokens, all distinct.
    static let unrelatedPairs = (0..<32).map { FuzzyWordPair(original: $0, variant: $0 + 32) }
    /// Pairs whose variant is the original itself.
    static let identityPairs = (0..<64).map { FuzzyWordPair(original: $0, variant: $0) }

    static func trainedModel() throws -> HookedTransformer {
        try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))
    }

    @Test func sequencesPutEachWordsVariantInTheSecondCopy() throws {
        let s = try FuzzySequences.sample(pairs: Self.unrelatedPairs, length: 8, count: 3, seed: 5, bos: 63)
        #expect(s.prefix == 1 && s.length == 8 && s.count == 3 && s.sequenceLength == 17)
        #expect(s.fuzzy.shape == [3, 17] && s.exact.shape == [3, 17] && s.unrepeated.shape == [3, 17])
        #expect(s.predictionPositions == 9..<16)
        for b in 0..<3 {
            let (fuzzy, exact, unrepeated) = (s.fuzzy[b].scalars, s.exact[b].scalars, s.unrepeated[b].scalars)
            #expect(fuzzy[0] == 63 && exact[0] == 63 && unrepeated[0] == 63)
            for k in 0..<8 {
                #expect(fuzzy[1 + k] == s.pairs[b][k].original && fuzzy[9 + k] == s.pairs[b][k].variant)
                #expect(fuzzy[9 + k] == fuzzy[1 + k] + 32, "the second copy holds each first-copy word's variant")
                #expect(exact[9 + k] == exact[1 + k] && exact[1 + k] == fuzzy[1 + k])
                #expect(unrepeated[9 + k] == fuzzy[9 + k])
            }
            // No token twice in a row; the unrelated first copy shares no token with the row.
            #expect(Set(fuzzy).count == 17, "\(fuzzy)")
            #expect(Set(unrepeated).count == 17 && Set(unrepeated[1...8]).isDisjoint(with: fuzzy))
        }
        // Seeded: the same seed gives the same rows, another seed others.
        let again = try FuzzySequences.sample(pairs: Self.unrelatedPairs, length: 8, count: 3, seed: 5, bos: 63)
        let other = try FuzzySequences.sample(pairs: Self.unrelatedPairs, length: 8, count: 3, seed: 6, bos: 63)
        #expect(again.fuzzy == s.fuzzy && again.unrepeated == s.unrepeated && other.fuzzy != s.fuzzy)
        // Pairs that share a token are never both taken: here every pair shares its variant with another.
        let sharing = (0..<20).map { FuzzyWordPair(original: $0, variant: 40 + $0 / 2) }
        let picked = try FuzzySequences.sample(pairs: sharing, length: 4, count: 5, seed: 1)
        for b in 0..<5 { #expect(Set(picked.fuzzy[b].scalars).count == 8) }
    }

    /// Two rows of 3 words over an 8-token vocabulary; logits built so each probability is known.
    @Test func copyingScoresOnHandMadeLogits() throws {
        let pairs = [[FuzzyWordPair(original: 0, variant: 4), FuzzyWordPair(original: 1, variant: 5), FuzzyWordPair(original: 2, variant: 6)],
                     [FuzzyWordPair(original: 2, variant: 6), FuzzyWordPair(original: 0, variant: 4), FuzzyWordPair(original: 3, variant: 7)]]
        let s = try FuzzySequences(pairs: pairs, unrelated: [[3, 7, 1], [1, 5, 2]])
        #expect(s.prefix == 0 && s.predictionPositions == 3..<5)
        var logits = Tensor.zeros([2, 6, 8])
        // Row 0, position 3 (v(w0) = 4): next original 1, next variant 5. logit[1] = ln 3 → p = 3/10.
        logits.setElement(log(3), at: [0, 3, 1])
        // Row 0, position 4: next original 2, variant 6. logit[6] = ln 6 → p(6) = 6/13, p(2) = 1/13.
        logits.setElement(log(6), at: [0, 4, 6])
        // Row 1, position 3: next original 0, variant 4. logit[4] = ln 2 → p(4) = 2/9, p(0) = 1/9.
        logits.setElement(log(2), at: [1, 3, 4])
        // Row 1, position 4: next original 3, variant 7. Uniform except logit[5] = ln 9 (neither): p(3) = p(7) = 1/16.
        logits.setElement(log(9), at: [1, 4, 5])
        // Positions the score must not read: huge logits for the targets.
        for position in [0, 1, 2, 5] { for token in 0..<8 { logits.setElement(100, at: [0, position, token]) } }
        let scores = try FuzzyCopying(logits: logits, sequences: s)
        let original = (log(3.0 / 10) + log(1.0 / 13) + log(1.0 / 9) + log(1.0 / 16)) / 4
        let variant = (log(1.0 / 10) + log(6.0 / 13) + log(2.0 / 9) + log(1.0 / 16)) / 4
        #expect(abs(scores.originalLogProb - Float(original)) < 1e-5, "\(scores.originalLogProb) vs \(original)")
        #expect(abs(scores.variantLogProb - Float(variant)) < 1e-5, "\(scores.variantLogProb) vs \(variant)")
        #expect(scores.originalTop1 == 0.25 && scores.variantTop1 == 0.5)

        #expect(throws: AnalysisError.self) { try FuzzyCopying(logits: Tensor.zeros([2, 5, 8]), sequences: s) }
        #expect(throws: AnalysisError.self) { try FuzzyCopying(logits: Tensor.zeros([2, 6, 6]), sequences: s) }
    }

    /// With every variant equal to its original, the fuzzy sequences are exact repeats: every
    /// score must equal the exact one, and the induction score must be ``HeadScores``' on them.
    @Test func identityVariantsGiveTheExactScores() throws {
        let model = try Self.trainedModel()
        let s = try FuzzySequences.sample(pairs: Self.identityPairs, length: 32, count: 4, seed: 2)
        #expect(s.fuzzy == s.exact)
        let fuzzy = try FuzzyInduction.measure(model, sequences: s)
        let direct = try HeadScores.measure(model, repeatedTokens: s.exact)
        #expect(fuzzy.fuzzyScores.induction == fuzzy.exactScores.induction)
        #expect(fuzzy.fuzzyScores.induction.maxAbsoluteDifference(direct.induction) < 1e-6)
        #expect(fuzzy.fuzzyCopying == fuzzy.exactCopying && fuzzy.ablatedCopying == nil && fuzzy.ablatedHeads.isEmpty)
        // Here the original is the variant, so the two targets score the same.
        #expect(fuzzy.fuzzyCopying.originalLogProb == fuzzy.fuzzyCopying.variantLogProb)
    }

    /// Unrelated variants: the layer-1 induction heads of the trained model match exact repeats
    /// and have nothing to match in the fuzzy copy, and the model stops copying. The model was
    /// trained on 2 × 32 tokens (n_ctx 64), so the rows are 32 words: the 64 tokens of its
    /// vocabulary split at random into 32 originals and 32 "variants"; the unrelated first copy
    /// is the originals in another order (no variant has an earlier copy).
    @Test func unrelatedVariantsLeaveTheToyInductionHeadsNothingToMatch() throws {
        let model = try Self.trainedModel()
        var generator = RandomGenerator(seed: 3)
        var rows: [[FuzzyWordPair]] = [], unrelated: [[Int]] = []
        for _ in 0..<6 {
            let order = generator.sampleWithoutReplacement(64, from: 64)
            rows.append((0..<32).map { FuzzyWordPair(original: order[$0], variant: order[32 + $0]) })
            unrelated.append(Array(order[1..<32]) + [order[0]])
        }
        let s = try FuzzySequences(pairs: rows, unrelated: unrelated)
        let layer1 = (0..<4).map { Head(layer: 1, head: $0) }
        let r = try FuzzyInduction.measure(model, sequences: s, ablating: layer1)
        let exact = r.exactScores.induction[1].scalars, fuzzy = r.fuzzyScores.induction[1].scalars
        print("toy model layer 1 induction scores: exact \(exact), fuzzy \(fuzzy), unrepeated \(r.unrepeatedScores.induction[1].scalars)")
        #expect(exact.min()! > 0.5, "every layer-1 head matches exact prefixes: \(exact)")
        #expect(fuzzy.max()! < 0.1 && r.unrepeatedScores.induction[1].max().scalar < 0.1, "\(fuzzy)")
        print("toy model copying: exact \(r.exactCopying), fuzzy \(r.fuzzyCopying), unrepeated \(r.unrepeatedCopying), ablated \(r.ablatedCopying!)")
        #expect(r.exactCopying.originalLogProb > r.fuzzyCopying.originalLogProb + 2)
        #expect(r.exactCopying.originalTop1 > 0.8 && r.fuzzyCopying.originalTop1 < 0.2)
        #expect(r.ablatedHeads == layer1 && r.ablatedCopying != nil)
    }

    @Test func badInputThrows() throws {
        let model = try Self.trainedModel()
        // Too short, no rows, too few pairs for a copy and an unrelated first copy.
        #expect(throws: AnalysisError.self) { try FuzzySequences.sample(pairs: Self.unrelatedPairs, length: 1, count: 2, seed: 0) }
        #expect(throws: AnalysisError.self) { try FuzzySequences.sample(pairs: Self.unrelatedPairs, length: 4, count: 0, seed: 0) }
        #expect(throws: AnalysisError.self) { try FuzzySequences.sample(pairs: Self.unrelatedPairs, length: 17, count: 1, seed: 0) }
        // Ragged rows.
        let pair = FuzzyWordPair(original: 1, variant: 2)
        #expect(throws: AnalysisError.self) { try FuzzySequences(pairs: [[pair, pair], [pair]], unrelated: [[3, 4], [3]]) }
        #expect(throws: AnalysisError.self) { try FuzzySequences(pairs: [[pair, pair]], unrelated: [[3, 4, 5]]) }
        // Longer than the context (n_ctx 64): 2 × 33 positions.
        let long = try FuzzySequences(pairs: [Array(Self.unrelatedPairs.prefix(32)) + [pair]], unrelated: [Array(0..<33)])
        #expect(throws: ModelError.self) { try FuzzyInduction.measure(model, sequences: long) }
        // Tokens outside the vocabulary.
        let outside = try FuzzySequences(pairs: [[FuzzyWordPair(original: 1, variant: 64), pair]], unrelated: [[3, 4]])
        #expect(throws: ModelError.self) { try FuzzyInduction.measure(model, sequences: outside) }
        // A head the model does not have.
        let fine = try FuzzySequences.sample(pairs: Self.unrelatedPairs, length: 4, count: 1, seed: 0)
        #expect(throws: AnalysisError.self) { try FuzzyInduction.measure(model, sequences: fine, ablating: [Head(layer: 2, head: 0)]) }
        #expect(throws: AnalysisError.self) { try FuzzyInduction.measure(model, sequences: fine, ablating: [Head(layer: 0, head: 4)]) }
        // Word lists need a tokenizer; the fixture model has none.
        #expect(throws: ModelError.noTokenizer) { try FuzzyInduction.measure(model, kind: .capitalised, length: 4, count: 1, seed: 0) }
        #expect(throws: ModelError.noTokenizer) { try FuzzyWordPair.pairs(model, texts: [(" house", " House")]) }
        // Name prompts: the placeholder once, something after it, two different surnames.
        #expect(throws: AnalysisError.self) { try FuzzyNamePrompt(text: "Dr. Elara Voss … Dr. Elara", surname: " Voss", otherSurname: " Quill") }
        #expect(throws: AnalysisError.self) { try FuzzyNamePrompt(text: "A{surname} B{surname} A", surname: " Voss", otherSurname: " Quill") }
        #expect(throws: AnalysisError.self) { try FuzzyNamePrompt(text: "Dr. Elara{surname}", surname: " Voss", otherSurname: " Quill") }
        #expect(throws: AnalysisError.self) { try FuzzyNamePrompt(text: "A{surname} met A", surname: " Voss", otherSurname: " Voss") }
        let prompt = try FuzzyNamePrompt(text: "A{surname} met A", surname: " Voss", otherSurname: " Quill")
        #expect(prompt.clean == "A Voss met A" && prompt.corrupted == "A Quill met A")
        #expect(throws: ModelError.noTokenizer) { try FuzzyNamePatching.measure(model, prompt: prompt) }
    }

    @Test func pluralsFollowEnglishSpelling() {
        let expected = ["house": "houses", "box": "boxes", "church": "churches", "dish": "dishes", "class": "classes",
                        "city": "cities", "day": "days", "key": "keys", "child": "children", "man": "men", "leaf": "leaves"]
        let plurals = Dictionary(uniqueKeysWithValues: FuzzyVariantKind.plural.candidates.map { ($0.original, $0.variant) })
        for (noun, plural) in expected { #expect(plurals[" " + noun] == " " + plural, "\(noun)") }
        #expect(FuzzyVariantKind.capitalised.candidates.contains { $0 == (" house", " House") })
        #expect(FuzzyVariantKind.leadingSpace.candidates.contains { $0 == (" house", "house") })
        #expect(FuzzyVariantKind.synonym.candidates.contains { $0 == (" big", " large") })
        for kind in FuzzyVariantKind.allCases { #expect(kind.candidates.allSatisfy { $0.original != $0.variant }, "\(kind)") }
    }
}
