import Foundation
import SwiftLens
import Testing

/// The induction-head analysis on a model our trainer produced: Recipe R, 2 layers, seed 0,
/// made by `lens train --seed 0 --checkpoints 500,1000 --out Tests/Fixtures/trained/recipeR-2L-s0`
/// (phase change at step 800). The detectors must find its previous-token head and induction
/// heads, and ablating the induction heads must destroy in-context copying. (Measured: 4
/// induction heads L1H0–3 with scores 0.70–0.72, previous-token head L0H3 at 0.69; induction
/// loss 0.21 clean, 0.83–1.01 without one induction head, 4.88 without all four, 4.12 without
/// the previous-token head — the reference's 0.3 → 4.9.)
@Suite struct TrainedModelAnalysisTests {
    static let run = "trained/recipeR-2L-s0"
    static let tokens = RepeatedRandomTokens.batch(count: 16, length: 32, vocabularySize: 64, seed: 31337)

    static func model(_ checkpoint: String = "final") throws -> HookedTransformer {
        try HookedTransformer.load(directory: Fixtures.url("\(run)/\(checkpoint)"))
    }

    /// Heads whose score [n_layers, n_heads] is at least `threshold`, in (layer, head) order.
    static func heads(_ scores: Tensor, above threshold: Float) -> [Head] {
        Head.all(layers: scores.shape[0], heads: scores.shape[1]).filter { scores[$0.layer, $0.head].scalar >= threshold }
    }

    @Test func detectorsFindThePreviousTokenAndInductionHeads() throws {
        let model = try Self.model()
        let scores = try HeadScores.measure(model, repeatedTokens: Self.tokens)
        // TransformerLens's detector on one sequence (its "mul" induction score tops out near 0.5 on 2×L tokens).
        let sequence = Self.tokens[0 ..< 1]
        let detectedPrevious = try HeadDetector.measure(model, tokens: sequence, pattern: .previousToken)
        let detectedInduction = try HeadDetector.measure(model, tokens: sequence, pattern: .induction)

        let previous = Self.heads(scores.previousToken, above: 0.4)
        let induction = Self.heads(scores.induction, above: 0.4)
        #expect(!previous.isEmpty && previous.allSatisfy { $0.layer == 0 }, "previous-token heads \(previous)")
        #expect(!induction.isEmpty && induction.allSatisfy { $0.layer == 1 }, "induction heads \(induction)")
        // The detector agrees on which heads they are.
        #expect(Self.heads(detectedPrevious, above: 0.4) == previous)
        #expect(Self.heads(detectedInduction, above: 0.2) == induction)
        // Before the phase change (step 500) there is neither.
        let early = try HeadScores.measure(Self.model("checkpoints/step-000500"), repeatedTokens: Self.tokens)
        #expect(early.induction.max().scalar < 0.1 && early.previousToken.max().scalar < 0.2)
    }

    @Test func ablatingTheInductionHeadsRaisesTheLossOnRepeatedTokens() throws {
        let model = try Self.model()
        let metric = SweepMetric.inductionLoss(tokens: Self.tokens)
        let scan = try Sweep.headAblation(model, tokens: Self.tokens, metric: metric).run()
        let single = try scan.tensor()
        let scores = try HeadScores.measure(model, repeatedTokens: Self.tokens)
        let induction = Self.heads(scores.induction, above: 0.4)
        let all = try Sweep(model: model, tokens: Self.tokens, metric: metric, variants: [
            Sweep.Variant("all induction heads", hooks: induction.map { Hook.zeroAblateHead(Head(layer: $0.layer, head: $0.head)) }),
        ]).run().values[0]!
        // Clean: the second copy is predicted almost perfectly.
        #expect(scan.baseline < 1)
        // Together the induction heads carry the copying: without them the loss is near chance (log 64 = 4.16).
        #expect(all > scan.baseline + 2)
        // Each alone matters less (they are redundant, Singh et al. 2024).
        for h in induction { #expect(single[h.layer, h.head].scalar < all) }
        // The previous-token head feeds their keys (K-composition): without it, no copying either.
        let previous = Self.heads(scores.previousToken, above: 0.4)
        for h in previous { #expect(single[h.layer, h.head].scalar > scan.baseline + 2) }
        // Heads that are neither induction nor previous-token heads barely matter.
        for h in Head.all(layers: 2, heads: 4) where !induction.contains(h) && !previous.contains(h) {
            #expect(single[h.layer, h.head].scalar < scan.baseline + 0.5, "\(h): \(single[h.layer, h.head].scalar)")
        }
    }
}
