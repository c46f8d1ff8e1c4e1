import Foundation
import SwiftLens
import Testing

/// Fuzzy induction in SmolLM2-135M-Instruct (see ``RealModel``; Olsson et al. 2022, Argument 4).
/// Measured (Tutorial 14, 8 sequences of 20 words per kind): the 8 strongest induction heads
/// keep 0.86 of their exact prefix-matching score when the second copy is capitalised and 0.80
/// without leading spaces, 0.12 for plurals and 0.20 for synonyms; after a capitalised copy the
/// model predicts the next word capitalised (+6.2 nats over an unrepeated control). On
/// “Dr. Elara Voss … Dr. Elara” it predicts « V» (log p −0.24), and patching heads one at a
/// time at the last position restores most with L28H2, L23H2 and L29H1.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct FuzzyInductionRealModelTests {
    /// The 8 induction heads of the random-token census (RealModelInductionTests).
    static let census = [Head(layer: 18, head: 6), Head(layer: 17, head: 3), Head(layer: 17, head: 4), Head(layer: 17, head: 5),
                         Head(layer: 18, head: 7), Head(layer: 23, head: 2), Head(layer: 23, head: 7), Head(layer: 20, head: 6)]

    static func model() throws -> HookedTransformer { try HookedTransformer.load(RealModel.smolLM2(), keepQuantized: true) }

    @Test func wordPairsAreSingleTokensAndFuzzyMatchingDependsOnTheVariant() throws {
        let model = try Self.model()
        // The word lists: every kept pair is one token each way; a two-token word is refused.
        for kind in FuzzyVariantKind.allCases {
            let (pairs, dropped) = try FuzzyWordPair.pairs(model, kind: kind)
            #expect(pairs.count >= 40 && pairs.count + dropped.count <= kind.candidates.count, "\(kind): \(pairs.count) pairs")
            for pair in pairs.prefix(10) {
                #expect(try model.toSingleToken(pair.originalText) == pair.original && model.toSingleToken(pair.variantText) == pair.variant)
            }
        }
        #expect(throws: ModelError.notOneToken(" Elara", count: 2)) { try FuzzyWordPair.pairs(model, texts: [(" house", " Elara")]) }
        #expect(throws: AnalysisError.self) { try FuzzyWordPair.pairs(model, texts: [(" house", " house")]) }

        func mean(_ scores: Tensor, _ heads: [Head]) -> Float { heads.map { scores[$0.layer, $0.head].scalar }.reduce(0, +) / Float(heads.count) }
        var retained: [FuzzyVariantKind: Float] = [:]
        for kind in [FuzzyVariantKind.capitalised, .plural] {
            let r = try FuzzyInduction.measure(model, kind: kind, length: 20, count: 3, seed: 14,
                                               ablating: kind == .capitalised ? Self.census : [])
            let (exact, fuzzy) = (mean(r.exactScores.induction, Self.census), mean(r.fuzzyScores.induction, Self.census))
            retained[kind] = fuzzy / exact
            let allHeads = r.fuzzyScores.induction.mean().scalar
            print("SmolLM2 fuzzy induction, \(kind.rawValue): census heads exact \(exact) fuzzy \(fuzzy) unrepeated "
                  + "\(mean(r.unrepeatedScores.induction, Self.census)); all heads fuzzy \(allHeads); L18H6 \(r.fuzzyScores.induction[18, 6].scalar); "
                  + "copying fuzzy \(r.fuzzyCopying) unrepeated \(r.unrepeatedCopying) ablated \(String(describing: r.ablatedCopying))")
            #expect(exact > 0.4 && mean(r.unrepeatedScores.induction, Self.census) < 0.05, "\(kind)")
            #expect(r.exactCopying.originalTop1 > 0.6, "\(kind): the model copies exact repeats")
            if kind == .capitalised {
                #expect(fuzzy / exact > 0.6 && fuzzy > 10 * allHeads, "capitals keep the prefix matching: \(fuzzy) of \(exact)")
                #expect(r.fuzzyScores.induction[18, 6].scalar > 0.7)
                // The model continues with the next word capitalised, thanks to the induction heads.
                let gain = r.fuzzyCopying.variantLogProb - r.unrepeatedCopying.variantLogProb
                let lost = r.fuzzyCopying.variantLogProb - r.ablatedCopying!.variantLogProb
                #expect(gain > 3 && lost > 3 && r.fuzzyCopying.variantTop1 > 0.4, "gain \(gain), lost to ablation \(lost)")
            } else {
                #expect(fuzzy / exact < 0.3, "plurals break the prefix matching: \(fuzzy) of \(exact)")
                #expect(r.fuzzyCopying.variantLogProb - r.unrepeatedCopying.variantLogProb < 2)
            }
        }
        #expect(retained[.capitalised]! > 2 * retained[.plural]!)
    }

    @Test func theNameIsCopiedAndLateHeadsCarryIt() throws {
        let model = try Self.model()
        let prompt = try FuzzyNamePrompt(text: "Dr. Elara{surname} studied the night sky for twenty years. When a new comet was found, the team named it after Dr. Elara",
                                         surname: " Voss", otherSurname: " Quill")
        let r = try FuzzyNamePatching.measure(model, prompt: prompt)
        let values = r.restored.scalars
        let order = values.indices.sorted { values[$0] > values[$1] }.map { Head(layer: $0 / 9, head: $0 % 9) }
        print("SmolLM2 “… Dr. Elara” → « V»: log p \(r.answerLogProb), rank \(r.answerRank); logit difference clean \(r.cleanDifference), "
              + "corrupted \(r.corruptedDifference); heads restoring most: " + order.prefix(6).map { "\($0) \(r.restored[$0.layer, $0.head].scalar)" }.joined(separator: ", "))
        #expect(r.restored.shape == [30, 9] && r.cleanTokens.shape == r.corruptedTokens.shape)
        #expect(try model.toStrTokens([r.answer]) == [" V"] && r.answerRank == 0 && r.answerLogProb > -0.5)
        #expect(r.cleanDifference > 5 && r.corruptedDifference < -5)
        #expect(Set(order.prefix(3)) == [Head(layer: 28, head: 2), Head(layer: 23, head: 2), Head(layer: 29, head: 1)])
        #expect(r.restored[17, 4].scalar < 0.1, "L17H4 alone restores little")
        // Patched together: the 6 best heads restore most; the induction heads of layers 17–18 little.
        let together = try FuzzyNamePatching.restored(model, prompt: prompt, patching: [Array(order.prefix(6)), Self.census.filter { $0.layer <= 18 }])
        print("SmolLM2 name patching together: best 6 \(together[0]), layer 17–18 induction heads \(together[1])")
        #expect(together[0] > 0.7 && together[1] < 0.3)
        // The same prompt's sweep and joint patching agree for a single head.
        let single = try FuzzyNamePatching.restored(model, prompt: prompt, patching: [[order[0]]])[0]
        #expect(abs(single - r.restored[order[0].layer, order[0].head].scalar) < 1e-3)
        // Surnames of different lengths cannot be patched position by position.
        let uneven = try FuzzyNamePrompt(text: prompt.text, surname: " Voss", otherSurname: " Quillingsworthy")
        #expect(throws: AnalysisError.self) { try FuzzyNamePatching.measure(model, prompt: uneven) }
    }
}
