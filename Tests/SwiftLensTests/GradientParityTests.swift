import Foundation
import SwiftLens
import Testing

/// Gradients through the whole model against TransformerLens (`param_grads.safetensors`,
/// `gradients.safetensors` from `run_with_cache(incl_bwd=True)`): every parameter and every
/// hook point, |Δ| ≤ 1e-5 or ≤ 1e-4 relative.
@Suite struct GradientParityTests {
    static let models = ["attn2l", "gpt2tiny", "llamatiny", "shortformer"]

    func expectClose(_ got: Tensor?, _ want: Tensor, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let got else {
            Issue.record("\(label): missing", sourceLocation: sourceLocation)
            return
        }
        guard got.shape == want.shape else {
            Issue.record("\(label): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
            return
        }
        var worst: Float = 0
        for (g, w) in zip(got.scalars, want.scalars) {
            let diff = abs(g - w)
            if diff > 1e-5 { worst = max(worst, diff / abs(w)) }
        }
        #expect(worst <= 1e-4, "\(label): max relative error beyond 1e-5 absolute: \(worst)", sourceLocation: sourceLocation)
    }

    @Test(arguments: models)
    func parameterGradients(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let tokens = try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens")
        let reference = try Fixtures.open("classic/\(name)/param_grads.safetensors")
        let (loss, grads) = try model.lossAndGradients(tokens)
        #expect(abs(loss - (try Fixtures.open("classic/\(name)/gradients.safetensors").tensor("loss").scalar)) < 1e-5)
        #expect(Set(grads.keys) == Set(reference.names))
        for key in reference.names { expectClose(grads[key], try reference.tensor(key), "\(name) d\(key)") }
        // The model is left with its own (untracked) parameters.
        #expect(try model.parameter("embed.W_E") == Fixtures.open("classic/\(name)/weights.safetensors").tensor("embed.W_E"))
    }

    @Test(arguments: models)
    func activationGradients(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let tokens = try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens")
        let reference = try Fixtures.open("classic/\(name)/gradients.safetensors")
        let (_, cache) = try model.runWithGradientCache(tokens)
        var compared = 0
        for key in reference.names where key.hasSuffix("_grad") {
            let hook = HookName(String(key.dropLast("_grad".count)))
            // ln1 fires once here: its gradient is TransformerLens's sum over the q/k/v calls.
            let referenceKey = reference.entries[key + ".sum"] != nil ? key + ".sum" : key
            expectClose(cache.gradient(hook), try reference.tensor(referenceKey), "\(name) \(key)")
            compared += 1
        }
        #expect(compared >= 20)
        // Activations of the same run are cached too.
        #expect(cache[.residPre(0)] != nil)
    }

    @Test func ablatedHeadGetsNoGradientThroughItsOutput() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let (_, cache) = try model.runWithGradientCache(tokens, names: [.z(1), .v(1), .pattern(1)],
                                                        hooks: [.zeroAblateHead(Head(layer: 1, head: 2))])
        // Upstream of the ablation, head 2's values and pattern get no gradient; other heads do.
        #expect(cache.gradient(.v(1))![.all, .all, 2].abs().max().scalar == 0)
        #expect(cache.gradient(.pattern(1))![.all, 2].abs().max().scalar == 0)
        #expect(cache.gradient(.v(1))![.all, .all, 1].abs().max().scalar > 0)
        let (_, grads) = try model.lossAndGradients(tokens, hooks: [.zeroAblateHead(Head(layer: 1, head: 2))])
        #expect(grads["blocks.1.attn.W_V"]![2].abs().max().scalar == 0)
        #expect(grads["blocks.1.attn.W_O"]![2].abs().max().scalar == 0)
        #expect(grads["blocks.1.attn.W_V"]![1].abs().max().scalar > 0)
    }

    @Test func backwardHooksReadAndReplaceGradients() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/attn2l"))
        let tokens = try Fixtures.open("classic/attn2l/activations.safetensors").intTensor("tokens")
        let (_, clean) = try model.lossAndGradients(tokens)
        // Doubling the gradient arriving at resid_post of the last layer doubles every parameter
        // gradient (everything upstream of it: the whole model but the unembedding).
        var seen: Tensor?
        let double = Hook(.residPost(1), direction: .backward) { g, _ in seen = g; return g * 2 }
        let (_, doubled) = try model.lossAndGradients(tokens, hooks: [double])
        #expect(seen?.shape == [2, 61, 64])  // the loss reads the first 61 tokens; the last is only a target
        #expect(doubled["blocks.0.attn.W_Q"]!.isApproximatelyEqual(to: clean["blocks.0.attn.W_Q"]! * 2, absoluteTolerance: 1e-6))
        #expect(doubled["unembed.W_U"]! == clean["unembed.W_U"]!)
        // A wrong-shaped replacement and an error thrown in a backward hook surface as errors.
        #expect(throws: HookError.self) {
            try model.lossAndGradients(tokens, hooks: [Hook(.residPost(1), direction: .backward) { g, _ in g[0] }])
        }
        struct Boom: Error {}
        #expect(throws: Boom.self) { try model.lossAndGradients(tokens, hooks: [Hook(.z(0), direction: .backward) { _, _ in throw Boom() }]) }
        // Differentiating only some parameters.
        let (_, some) = try model.lossAndGradients(tokens, parameters: { $0.hasPrefix("blocks.1") })
        #expect(some.keys.allSatisfy { $0.hasPrefix("blocks.1") } && some["blocks.1.attn.W_K"] == clean["blocks.1.attn.W_K"])
    }
}
