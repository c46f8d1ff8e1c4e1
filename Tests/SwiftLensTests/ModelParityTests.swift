import Foundation
import SwiftLens
import Testing

/// `HookedTransformer` against TransformerLens on every fixture model: every cached activation,
/// the firing order, the logits and the per-token loss; weight processing; Hugging Face
/// conversion. Tolerance: |Δ| ≤ 1e-4 · max(1, |expected|).
@Suite struct ModelParityTests {
    static let classicModels = ["attn2l", "gpt2tiny", "llamatiny", "shortformer"]

    /// Non-activation keys of the fixture activation files.
    static let outputKeys: Set<String> = ["tokens", "tokens_i32", "logits", "loss", "loss_per_token", "hook_unembed"]

    func expectClose(_ got: Tensor, _ want: Tensor, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard got.shape == want.shape else {
            Issue.record("\(label): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
            return
        }
        var worst: Float = 0
        let g = got.scalars, w = want.scalars
        for i in g.indices {
            // Masked attention scores: −inf here; −inf or float32-min in the fixtures.
            if w[i] <= -1e30 { if !(g[i] <= -1e30) { worst = .infinity }; continue }
            worst = max(worst, abs(g[i] - w[i]) / max(1, abs(w[i])))
        }
        #expect(worst <= 1e-4, "\(label): max scaled |Δ| = \(worst)", sourceLocation: sourceLocation)
    }

    /// Runs `model` on the fixture's tokens and compares every activation the fixture has.
    func checkActivations(_ model: HookedTransformer, _ fixture: SafetensorsFile, _ label: String,
                          adjust: (HookName, Tensor) -> Tensor = { $1 }) throws -> ActivationCache {
        let tokens = try fixture.intTensor("tokens")
        let (logits, cache) = try model.runWithCache(tokens)
        var compared = 0
        for key in fixture.names where !Self.outputKeys.contains(key) {
            let name = HookName(key)
            guard let ours = cache[name] else {
                Issue.record("\(label): no activation \(key) in our cache")
                continue
            }
            expectClose(adjust(name, ours), try fixture.tensor(key), "\(label) \(key)")
            compared += 1
        }
        #expect(compared >= 20, "\(label): compared \(compared) activations")
        expectClose(logits, try fixture.tensor("logits"), "\(label) logits")
        let perToken = try HookedTransformer.perTokenLoss(logits: logits, tokens: tokens)
        expectClose(perToken, try fixture.tensor("loss_per_token"), "\(label) loss_per_token")
        expectClose(perToken.mean(), try fixture.tensor("loss"), "\(label) loss")
        // The int32 copy of the tokens gives the same run.
        #expect(try fixture.intTensor("tokens_i32") == tokens)
        return cache
    }

    @Test(arguments: classicModels)
    func classicFixtureEveryActivation(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let fixture = try Fixtures.open("classic/\(name)/activations.safetensors")
        let cache = try checkActivations(model, fixture, name)
        // Same hook points, same firing order as TransformerLens's cache.
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("classic/\(name)/config.json"))) as! [String: Any]
        let order = ((config["notes"] as! [String: Any])["cache_hook_names_in_firing_order"] as! [String]).map { HookName($0) }
        #expect(cache.names == order)
        #expect(model.hookPoints == order)
    }

    @Test func rotaryTablesMatchTransformerLensBuffers() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/llamatiny"))
        let buffers = try Fixtures.open("classic/llamatiny/buffers.safetensors")
        let rotary = try #require(model.blocks[0].attn.rotary)
        // Rows computed on demand: a short prefix first, then the table grown to n_ctx.
        _ = rotary.tables(for: 0..<5)
        let (sin, cos) = rotary.tables(for: 0..<model.config.nCtx)
        expectClose(sin, try buffers.tensor("blocks.0.attn.rotary_sin"), "rotary_sin")
        expectClose(cos, try buffers.tensor("blocks.0.attn.rotary_cos"), "rotary_cos")
    }

    @Test func weightProcessingMatchesTransformerLens() throws {
        let raw = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let processed = try raw.processed()
        #expect(processed.config.normalizationType == .layerNormPre)
        let reference = try Fixtures.open("classic/gpt2tiny/processed/weights.safetensors")
        #expect(Set(processed.parameterNames) == Set(reference.names))
        for name in reference.names { expectClose(try processed.parameter(name), try reference.tensor(name), "processed \(name)") }
        let fixture = try Fixtures.open("classic/gpt2tiny/processed/activations.safetensors")
        _ = try checkActivations(processed, fixture, "processed")
        // The processed directory (LNPre config + folded weights) loads to the same model, and
        // loading with process: true gives it too.
        _ = try checkActivations(try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny/processed")), fixture, "processed dir")
        _ = try checkActivations(try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"), process: true), fixture,
                                 "load(process:)")
    }

    /// TransformerLens 4.x (which produced the Hugging Face fixtures) places LayerNorm's
    /// `hook_normalized` before the weight and bias; SwiftLens keeps 2.x's placement after them.
    func to3xNormalized(_ model: HookedTransformer) -> (HookName, Tensor) -> Tensor {
        { name, value in
            guard name.activation == "normalized" else { return value }
            let norm = name == .finalNormalized ? model.lnFinal : (name.rawValue.contains("ln1") ? model.blocks[name.layer!].ln1 : model.blocks[name.layer!].ln2)
            guard let norm, norm.kind == .layerNorm, let w = norm.w, let b = norm.b else { return value }
            return (value - b) / w
        }
    }

    @Test func huggingFaceGPT2() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("hf/gpt2tiny"))
        let converted = try Fixtures.open("hf/gpt2tiny/weights.safetensors")
        for name in model.parameterNames { expectClose(try model.parameter(name), try converted.tensor(name), "converted \(name)") }
        _ = try checkActivations(model, try Fixtures.open("hf/gpt2tiny/activations.safetensors"), "hf gpt2", adjust: to3xNormalized(model))
        // Processing: TransformerLens 4.x keeps LayerNorm weights at 1 and biases at 0 instead of
        // dropping them; everything else must agree.
        let processed = try model.processed()
        let reference = try Fixtures.open("hf/gpt2tiny/weights_processed.safetensors")
        for name in processed.parameterNames { expectClose(try processed.parameter(name), try reference.tensor(name), "processed \(name)") }
        _ = try checkActivations(processed, try Fixtures.open("hf/gpt2tiny/activations_processed.safetensors"), "hf gpt2 processed")
    }

    @Test func huggingFaceLlama() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("hf/llamatiny/hf"))
        #expect(model.config.normalizationType == .rms && model.config.gatedMLP && model.config.positionalEmbeddingType == .rotary)
        let converted = try Fixtures.open("hf/llamatiny/weights.safetensors")
        for name in model.parameterNames { expectClose(try model.parameter(name), try converted.tensor(name), "converted \(name)") }
        _ = try checkActivations(model, try Fixtures.open("hf/llamatiny/activations.safetensors"), "hf llama")
    }

    @Test func savedModelRoundTrips() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/llamatiny"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(to: dir)
        let reloaded = try HookedTransformer.load(directory: dir)
        #expect(reloaded.config == model.config)
        let tokens = try Fixtures.open("classic/llamatiny/activations.safetensors").intTensor("tokens")
        #expect(try reloaded(tokens) == model(tokens))
    }
}
