import Foundation
import SwiftLens
import Testing

/// The ready-made hooks reproduce TransformerLens's intervention fixtures (layer 1, head 2):
/// zero and mean ablation of a head's z, and previous-token attention knockout at score level
/// (−inf before the softmax) and at pattern level (zero, not renormalised).
@Suite struct InterventionParityTests {
    static let directories = ["classic/attn2l", "classic/gpt2tiny", "classic/llamatiny", "classic/shortformer",
                              "hf/gpt2tiny", "hf/llamatiny"]

    func modelDirectory(_ fixture: String) -> URL {
        fixture == "hf/llamatiny" ? Fixtures.url("hf/llamatiny/hf") : Fixtures.url(fixture)
    }

    func expectClose(_ got: Tensor, _ want: Tensor, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == want.shape, "\(label) shape", sourceLocation: sourceLocation)
        guard got.shape == want.shape else { return }
        let diff = got.maxAbsoluteDifference(want)
        #expect(diff <= 1e-4, "\(label): max |Δ| = \(diff)", sourceLocation: sourceLocation)
    }

    @Test(arguments: directories)
    func interventions(fixture: String) throws {
        let model = try HookedTransformer.load(directory: modelDirectory(fixture))
        let reference = try Fixtures.open("\(fixture)/interventions.safetensors")
        let tokens = try Fixtures.open("\(fixture)/activations.safetensors").intTensor("tokens")
        let (layer, head) = (1, 2)
        let previousToken = (1..<tokens.shape[1]).map { (query: $0, key: $0 - 1) }

        expectClose(try model(tokens), try reference.tensor("clean.logits"), "\(fixture) clean")
        expectClose(try model(tokens, hooks: [.zeroAblateHead(Head(layer: layer, head: head))]),
                    try reference.tensor("zero_ablate.logits"), "\(fixture) zero ablation")

        let (_, cache) = try model.runWithCache(tokens, names: [.z(layer)])
        let mean = try Hook.meanAblateHead(Head(layer: layer, head: head), from: cache)
        expectClose(cache[.z(layer)]![.all, .all, head].mean(axes: [0, 1]), try reference.tensor("mean_ablate.mean_z"), "\(fixture) mean z")
        expectClose(try model(tokens, hooks: [mean]), try reference.tensor("mean_ablate.logits"), "\(fixture) mean ablation")

        let (scoresLogits, knocked) = try model.runWithCache(tokens, names: [.pattern(layer)],
                                                             hooks: [.knockOutScores(layer: layer, head: head, pairs: previousToken)])
        expectClose(scoresLogits, try reference.tensor("knockout_scores.logits"), "\(fixture) score knockout")
        if reference.entries["knockout_scores.pattern"] != nil {
            expectClose(knocked[.pattern(layer)]![.all, head], try reference.tensor("knockout_scores.pattern"), "\(fixture) knocked pattern")
        }
        expectClose(try model(tokens, hooks: [.knockOutPattern(layer: layer, head: head, pairs: previousToken)]),
                    try reference.tensor("knockout_pattern.logits"), "\(fixture) pattern knockout")
        // Renormalising the pattern knockout is the score knockout.
        expectClose(try model(tokens, hooks: [.knockOutPattern(layer: layer, head: head, pairs: previousToken, renormalize: true)]),
                    try reference.tensor("knockout_scores.logits"), "\(fixture) renormalised pattern knockout")
    }
}
