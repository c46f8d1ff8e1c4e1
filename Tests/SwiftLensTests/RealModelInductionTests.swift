import Foundation
import SwiftLens
import Testing

/// Induction heads in SmolLM2-135M-Instruct (see ``RealModel``), the first part of the
/// pretrained-model case: on repeated random tokens after a BOS — as TransformerLens's `evals`
/// builds them — the census names the heads, most positions park attention on the first token,
/// and knocking the induction heads out destroys copying while as many random heads do not.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelInductionTests {
    @Test func smolLM2InductionHeadCensusAndAblation() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2(), keepQuantized: true)
        let bos = try #require(model.tokenizer?.bosTokenID)
        let tokens = RepeatedRandomTokens.batch(count: 4, length: 50, vocabularySize: model.config.dVocab, seed: 1, bos: bos)
        #expect(tokens.shape == [4, 101] && tokens[0, 0] == bos && tokens[0, 1] == tokens[0, 51])
        let scores = try HeadScores.measure(model, repeatedTokens: tokens, prefix: 1)
        let heads = model.config.nHeads
        func ranked(_ t: Tensor) -> [(head: Head, score: Float)] {
            let v = t.scalars
            return v.indices.sorted { v[$0] > v[$1] }.map { (Head(layer: $0 / heads, head: $0 % heads), v[$0]) }
        }
        let induction = ranked(scores.induction), previous = ranked(scores.previousToken)
        print("SmolLM2 induction heads: " + induction.prefix(8).map { "\($0.head) \(String(format: "%.2f", $0.score))" }.joined(separator: ", "))
        print("SmolLM2 previous-token heads: " + previous.prefix(6).map { "\($0.head) \(String(format: "%.2f", $0.score))" }.joined(separator: ", "))
        // The strongest induction heads sit in layers 17–18; the strongest previous-token head
        // is L16H0, the layer just before them.
        #expect(Set(induction.prefix(3).map(\.head)) == [Head(layer: 18, head: 6), Head(layer: 17, head: 3), Head(layer: 17, head: 4)])
        #expect(induction[0].score > 0.8 && previous[0].head == Head(layer: 16, head: 0) && previous[0].score > 0.8)
        // The sink: on average a position pays a large share of its attention to the first token.
        let sink = scores.firstToken.mean().scalar
        #expect(sink > 0.3, "mean attention to the first token \(sink)")

        // Ablation: the heads above 0.4 together vs as many random heads (three draws).
        let found = induction.filter { $0.score >= 0.4 }.map(\.head)
        #expect(found.count >= 6 && found.count <= 12, "\(found)")
        let clean = try InductionLoss.measure(model, repeatedTokens: tokens)
        let ablated = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: found.map { .zeroAblateHead($0) })
        var random = RandomGenerator(seed: 3)
        var controls: [Float] = []
        for _ in 0..<3 {
            let pick = random.sampleWithoutReplacement(found.count, from: model.config.nLayers * heads).map { Head(layer: $0 / heads, head: $0 % heads) }
            controls.append(try InductionLoss.measure(model, repeatedTokens: tokens, hooks: pick.map { .zeroAblateHead($0) }))
        }
        print("SmolLM2 induction loss: clean \(clean), without \(found.count) induction heads \(ablated), without as many random heads \(controls)")
        #expect(ablated - clean > 5, "ablating the induction heads: \(clean) → \(ablated)")
        #expect(controls.allSatisfy { $0 - clean < 1.5 }, "random heads: \(controls) vs clean \(clean)")
    }

    /// TransformerLens 4.3's census on the same tokens (`Tests/Fixtures/smollm2/census_reference.json`,
    /// made by `Scripts/make_smollm2_census_reference.py` from the same GGUF): every head's
    /// induction, previous-token, duplicate-token and first-token score within 1e-4, and the
    /// zero-ablation induction and first-copy losses of every head of layers 0, 16, 17 and 18
    /// within 1e-4.
    @Test func smolLM2CensusMatchesTransformerLens() throws {
        struct Reference: Decodable {
            struct Losses: Decodable { let induction_loss: Float; let control_loss: Float }
            struct Ablation: Decodable { let induction_loss: [String: [Float]]; let control_loss: [String: [Float]] }
            let tokens: [[Int]]
            let scores: [String: [[Float]]]
            let clean: Losses
            let zero_ablation: Ablation
        }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("smollm2/census_reference.json")))
        let model = try HookedTransformer.load(RealModel.smolLM2())
        let tokens = IntTensor(shape: [reference.tokens.count, reference.tokens[0].count], values: reference.tokens.flatMap { $0 })
        let scores = try HeadScores.measure(model, repeatedTokens: tokens, prefix: 1)
        var worst: Float = 0
        for (key, mine) in [("induction", scores.induction), ("previous_token", scores.previousToken),
                            ("duplicate_token", scores.duplicateToken), ("first_token", scores.firstToken)] {
            let theirs = Tensor(shape: mine.shape, values: try #require(reference.scores[key]).flatMap { $0 })
            let difference = (mine - theirs).abs().max().scalar
            worst = max(worst, difference)
            #expect(difference <= 1e-4, "\(key): max difference \(difference) from TransformerLens")
        }
        let length = (tokens.shape[1] - 1) / 2
        func losses(_ hooks: [Hook]) throws -> (induction: Float, control: Float) {
            let perToken = try model.perTokenLoss(tokens, hooks: hooks)
            return (try InductionLoss.measure(perTokenLoss: perToken), perToken[.all, 1..<length].mean().scalar)
        }
        let clean = try losses([])
        #expect(abs(clean.induction - reference.clean.induction_loss) <= 1e-4 && abs(clean.control - reference.clean.control_loss) <= 1e-4,
                "clean \(clean) vs \(reference.clean)")
        var worstLoss: Float = 0
        for (layerText, theirs) in reference.zero_ablation.induction_loss {
            let layer = try #require(Int(layerText))
            for head in 0..<model.config.nHeads {
                let mine = try losses([.zeroAblateHead(Head(layer: layer, head: head))])
                let control = try #require(reference.zero_ablation.control_loss[layerText])[head]
                let difference = max(abs(mine.induction - theirs[head]), abs(mine.control - control))
                worstLoss = max(worstLoss, difference)
                #expect(difference <= 1e-4, "L\(layer)H\(head): \(mine) vs TransformerLens (\(theirs[head]), \(control))")
            }
        }
        print("SmolLM2 census vs TransformerLens: scores within \(worst), ablation losses within \(worstLoss)")
    }

    /// The whole study on SmolLM2 at small settings (2 × (BOS + 2 × 20) tokens): every head
    /// zero- and mean-ablated in one sweep each, entries equal to a plain hooked run, the
    /// induction heads carrying copying and not the first copy, random heads of neither kind
    /// doing little. (`lens demo --model` runs it at 4 × (BOS + 2 × 50).)
    @Test func smolLM2InductionStudy() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        var options = InductionStudy.Options()
        options.bos = try #require(model.tokenizer?.bosTokenID)
        options.sequences = 2
        options.length = 20
        options.randomDraws = 2
        let study = try InductionStudy.run(model, options: options)
        print("SmolLM2 study: induction heads \(study.inductionHeads), clean \(study.clean), without them \(study.withoutInductionHeads), "
              + "controls \(study.randomControls.map(\.losses)); largest zero-ablation effects \(study.zeroAblation.largestEffects(5))")
        #expect(study.inductionHeads.contains(Head(layer: 18, head: 6)) && study.inductionHeads.contains(Head(layer: 17, head: 4)))
        #expect(study.previousTokenHeads.first == Head(layer: 16, head: 0))
        #expect(study.withoutInductionHeads.induction - study.clean.induction > 4, "\(study.clean) → \(study.withoutInductionHeads)")
        #expect(abs(study.withoutInductionHeads.firstCopy - study.clean.firstCopy) < 0.5)
        for control in study.randomControls {
            #expect(control.losses.induction - study.clean.induction < 1.5, "\(control.heads): \(control.losses)")
            #expect(control.heads.allSatisfy { !study.inductionHeads.contains($0) && !study.previousTokenHeads.contains($0) })
        }
        // Sweep entries are what a plain hooked run gives.
        let mean = try #require(study.meanAblation)
        let z = try model.cache(study.tokens, names: .only([.z(16), .z(18)]))
        for head in [Head(layer: 16, head: 0), Head(layer: 18, head: 6)] {
            let zeroed = try RepeatLosses.measure(model, repeatedTokens: study.tokens, hooks: [.zeroAblateHead(head)])
            let meaned = try RepeatLosses.measure(model, repeatedTokens: study.tokens, hooks: [try .meanAblateHead(head, from: z)])
            #expect(abs(study.zeroAblation.induction[head.layer, head.head].scalar - zeroed.induction) < 1e-3)
            #expect(abs(study.zeroAblation.firstCopy[head.layer, head.head].scalar - zeroed.firstCopy) < 1e-3)
            #expect(abs(mean.induction[head.layer, head.head].scalar - meaned.induction) < 1e-3)
            #expect(abs(mean.firstCopy[head.layer, head.head].scalar - meaned.firstCopy) < 1e-3)
        }
        // The previous-token head of the induction circuit is among the largest single effects.
        #expect(study.zeroAblation.largestEffects(5).contains { $0.head == Head(layer: 16, head: 0) })
    }
}
