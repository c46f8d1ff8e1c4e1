// A patching experiment written as a Swift test: copy this file to start your own.
//
// The model is the 2-layer attention-only model SwiftLens trained and committed
// (Tests/Fixtures/trained/recipeR-2L-s0/final): previous-token head L0H3 and induction heads
// L1H0–3. An induction head predicts B after "… A B … A" by attending to the position whose
// *previous* token is A — a fact that the previous-token head L0H3 writes into that position.
//
// Clean prompt:     r₀ … r₁₉ r₀ … r₉       (20 random tokens, then the first 10 again)
//                   the last token is r₉, and the model should predict r₁₀.
// Corrupted prompt: the first-half r₉ (position 9) is replaced by a token y outside r, so no
//                   position has r₉ as its previous token and induction has nothing to find.
// Patch:            L0H3's output (`hook_z`) at position 10 from the clean run into the corrupted
//                   run. It says "my previous token was r₉" again, and the prediction comes back —
//                   although the corrupted token itself is still in the input.
//
// The metric is a closure: the loss (−log p) of the answer r₁₀ at the last position, averaged
// over 8 prompts. The numbers in the comments were measured on Linux x86_64 (they move only in
// the last digits between machines).
//
//     swift test --filter PatchingExampleTests
import Foundation
import SwiftLens
import Testing

@Suite struct PreviousTokenHeadPatching {
    /// The repository root, found from this file's path (the directory holding Package.swift).
    static let root: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.pathComponents.count > 1,
              !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    static let previousTokenHead = (layer: 0, head: 3)
    /// A head that is neither a previous-token head nor an induction head.
    static let otherHead = (layer: 0, head: 0)
    static let length = 20, copied = 10, batch = 8

    static func model() throws -> HookedTransformer {
        try HookedTransformer.load(directory: root.appendingPathComponent("Tests/Fixtures/trained/recipeR-2L-s0/final"))
    }

    /// The clean and corrupted prompts [batch, 30] and each row's answer r₁₀.
    static func prompts() -> (clean: IntTensor, corrupted: IntTensor, answers: [Int]) {
        let halves = RepeatedRandomTokens.batch(count: batch, length: length, vocabularySize: 64, seed: 1)
        var clean: [Int] = [], corrupted: [Int] = [], answers: [Int] = []
        for b in 0..<batch {
            let r = (0..<length).map { halves[b, $0] }
            let prompt = r + r[..<copied]                                  // r₀ … r₁₉ r₀ … r₉
            var swapped = prompt
            swapped[copied - 1] = (0..<64).first { !r.contains($0) }!      // the first-half r₉ → y
            clean += prompt
            corrupted += swapped
            answers.append(r[copied])
        }
        let shape = [batch, length + copied]
        return (IntTensor(shape: shape, values: clean), IntTensor(shape: shape, values: corrupted), answers)
    }

    /// The metric: the mean loss (−log p) of each row's answer at the last position. Declaring
    /// `positions: .last` lets patching sweeps unembed only that position.
    static func answerLoss(_ answers: [Int]) -> SweepMetric {
        SweepMetric(positions: .last) { logits in  // [batch, 1, d_vocab]
            let logProbabilities = logits.logSoftmax(axis: -1)
            return -answers.enumerated().map { logProbabilities[$0.offset, 0, $0.element].scalar }.reduce(0, +) / Float(answers.count)
        }
    }

    /// The metric on a full run of `tokens` with `hooks`.
    static func measure(_ model: HookedTransformer, _ tokens: IntTensor, _ metric: SweepMetric, hooks: [Hook] = []) throws -> Float {
        let logits = try model(tokens, hooks: hooks)  // [batch, pos, d_vocab]
        return try metric.evaluate(logits[.all, (logits.shape[1] - 1)...])
    }

    @Test func patchingThePreviousTokenHeadRestoresInduction() throws {
        let model = try Self.model()
        let (clean, corrupted, answers) = Self.prompts()
        let metric = Self.answerLoss(answers)
        let (_, cleanCache) = try model.runWithCache(clean)
        let cleanLoss = try Self.measure(model, clean, metric)          // 0.269 (exp(−0.269) ≈ 0.76)
        let corruptedLoss = try Self.measure(model, corrupted, metric)  // 4.457: worse than chance (log 64 = 4.16)
        #expect(cleanLoss < 0.5 && corruptedLoss > 4)
        func recovered(_ loss: Float) -> Float { (corruptedLoss - loss) / (corruptedLoss - cleanLoss) }

        // L0H3 at position 10 only: 0.282, 99.7 % of the way back to clean.
        let (l, h) = Self.previousTokenHead
        let patched = try Self.measure(model, corrupted, metric, hooks: [.patch(.z(l), from: cleanCache, .all, .at(Self.copied), .at(h))])
        #expect(recovered(patched) > 0.95)

        // L0H3 at every position: the same (0.282); the other positions carry nothing that differs.
        let everywhere = try Self.measure(model, corrupted, metric, hooks: [.patch(.z(l), from: cleanCache, .all, .all, .at(h))])
        #expect(abs(everywhere - patched) < 0.01)

        // The same patch of a head that does neither job: 4.455, 0.03 % recovered.
        let (ol, oh) = Self.otherHead
        let patchedOther = try Self.measure(model, corrupted, metric, hooks: [.patch(.z(ol), from: cleanCache, .all, .all, .at(oh))])
        #expect(abs(recovered(patchedOther)) < 0.02)
    }

    @Test func thePatchingGridFindsThePreviousTokenHead() throws {
        let model = try Self.model()
        let (clean, corrupted, answers) = Self.prompts()
        let metric = Self.answerLoss(answers)
        let (_, cleanCache) = try model.runWithCache(clean)
        let corruptedLoss = try Self.measure(model, corrupted, metric)

        // Every head's output patched at every position, one sweep: [n_layers, pos, n_heads].
        let grid = try ActivationPatching.headOut(byPosition: true, model, corrupted: corrupted, clean: cleanCache, metric: metric)
        #expect(grid.shape == [2, 30, 4])
        // In layer 0 one cell stands out, L0H3 at position 10 (0.282); every other layer-0 cell
        // stays within 0.02 of the corrupted loss (the largest move is 0.013).
        let (l, h) = Self.previousTokenHead
        #expect(grid[l, Self.copied, h].scalar < 0.5)
        for position in 0..<30 {
            for head in 0..<4 where (position, head) != (Self.copied, h) {
                #expect(abs(grid[0, position, head].scalar - corruptedLoss) < 0.02, "L0H\(head)@\(position)")
            }
        }
    }

    @Test func ablatingAnotherHeadBarelyMatters() throws {
        let model = try Self.model()
        let (clean, _, answers) = Self.prompts()
        let metric = Self.answerLoss(answers)
        let cleanLoss = try Self.measure(model, clean, metric)  // 0.269
        // Zero-ablating L0H0 in the clean run: 0.254 (−0.015).
        let (ol, oh) = Self.otherHead
        let ablatedOther = try Self.measure(model, clean, metric, hooks: [.zeroAblateHead(Head(layer: ol, head: oh))])
        #expect(abs(ablatedOther - cleanLoss) < 0.1)
        // Zero-ablating the previous-token head instead: 4.588, as bad as the corrupted prompt.
        let (l, h) = Self.previousTokenHead
        let ablatedPrevious = try Self.measure(model, clean, metric, hooks: [.zeroAblateHead(Head(layer: l, head: h))])
        #expect(ablatedPrevious > 4)
    }
}
