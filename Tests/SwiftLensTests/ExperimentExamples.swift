import SwiftLens
import Testing

/// Experiments written the way a researcher would write them, as Swift tests. Each reproduces a
/// number from TransformerLens's fixtures. (The README shows the first.)
@Suite struct ExperimentExamples {
    @Test func zeroAblationOfEveryHead() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/attn2l"))
        let tokens = try Fixtures.open("classic/attn2l/activations.safetensors").intTensor("tokens")
        let cleanLoss = try model.loss(tokens).scalar
        // Zero each head's output in turn and record how much the loss rises.
        var increase = Tensor.zeros([model.config.nLayers, model.config.nHeads])
        for layer in 0..<model.config.nLayers {
            for head in 0..<model.config.nHeads {
                let loss = try model.loss(tokens, hooks: [.zeroAblateHead(Head(layer: layer, head: head))]).scalar
                increase[layer, head] = Tensor(scalar: loss - cleanLoss)
            }
        }
        // TransformerLens ablated L1H2 the same way in its fixture.
        let reference = try Fixtures.open("classic/attn2l/interventions.safetensors").tensor("zero_ablate.logits")
        let expected = try HookedTransformer.perTokenLoss(logits: reference, tokens: tokens).mean().scalar - cleanLoss
        #expect(abs(increase[1, 2].scalar - expected) < 1e-4)
    }

    @Test func activationPatchingOfTheResidualStream() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let fixture = try Fixtures.open("classic/gpt2tiny/interventions.safetensors")
        let clean = try fixture.intTensor("patch.clean_tokens"), corrupted = try fixture.intTensor("patch.corrupted_tokens")
        let answers = try fixture.intTensor("patch.answer_tokens")
        func logitDifference(_ logits: Tensor) -> Float { logits[0, -1, answers[0]].scalar - logits[0, -1, answers[1]].scalar }
        let (_, cleanCache) = try model.runWithCache(clean)
        // Patch the clean residual stream into the corrupted run, one (layer, position) at a time.
        var restored = Tensor.zeros([model.config.nLayers, clean.shape[1]])
        for layer in 0..<model.config.nLayers {
            for position in 0..<clean.shape[1] {
                let logits = try model(corrupted, hooks: [.patch(.residPre(layer), from: cleanCache, .all, .at(position))])
                restored[layer, position] = Tensor(scalar: logitDifference(logits))
            }
        }
        #expect(restored.maxAbsoluteDifference(try fixture.tensor("patch.get_act_patch_resid_pre")) < 1e-4)
    }
}
