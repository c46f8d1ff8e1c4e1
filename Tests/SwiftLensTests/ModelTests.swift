import Foundation
import SwiftLens
import Testing

/// Forward-pass semantics beyond the fixtures: layer ranges, input errors, caching options,
/// configs, seeded initialisation, grouped-query attention, rotary variants.
@Suite struct ModelTests {
    func fixtureModel(_ name: String) throws -> (HookedTransformer, IntTensor) {
        (try HookedTransformer.load(directory: Fixtures.url("classic/\(name)")),
         try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens"))
    }

    @Test func startAndStopAtLayer() throws {
        let (model, tokens) = try fixtureModel("gpt2tiny")
        let (logits, cache) = try model.runWithCache(tokens)
        let resid1 = try model.forward(tokens, stopAtLayer: 1)
        // A cached run sums per-head results where a plain run uses one product: same up to rounding.
        #expect(resid1.isApproximatelyEqual(to: cache[.residPre(1)]!, absoluteTolerance: 1e-5))
        #expect(try model.forward(tokens, stopAtLayer: -1) == resid1)
        #expect(try model.forward(tokens, stopAtLayer: 0).isApproximatelyEqual(to: cache[.residPre(0)]!))
        let resumed = try model.forward(residual: resid1, startAtLayer: 1)
        #expect(resumed.isApproximatelyEqual(to: logits, absoluteTolerance: 1e-5))
        #expect(try model.forward(residual: cache[.residPre(0)]!, startAtLayer: 0, stopAtLayer: 1).isApproximatelyEqual(to: resid1))
        // A shortformer resumes with its positional embeddings rebuilt.
        let (short, shortTokens) = try fixtureModel("shortformer")
        let (shortLogits, shortCache) = try short.runWithCache(shortTokens)
        #expect(try short.forward(residual: shortCache[.residPre(1)]!, startAtLayer: 1).isApproximatelyEqual(to: shortLogits, absoluteTolerance: 1e-5))
        #expect(throws: ModelError.self) { try model.forward(residual: resid1, startAtLayer: 2, stopAtLayer: 1) }
        #expect(throws: ModelError.self) { try model.forward(tokens, stopAtLayer: 5) }
        #expect(throws: ModelError.self) { try model.forward(residual: Tensor.zeros([2, 62, 63]), startAtLayer: 1) }
    }

    @Test func badInputIsAThrownError() throws {
        let (model, _) = try fixtureModel("attn2l")
        #expect(throws: ModelError.tokenOutOfRange(token: 50, batch: 0, position: 1, vocabulary: 50)) { try model(IntTensor([[1, 50]])) }
        #expect(throws: ModelError.tokenOutOfRange(token: -1, batch: 1, position: 0, vocabulary: 50)) { try model(IntTensor([[1], [-1]])) }
        #expect(throws: ModelError.sequenceTooLong(length: 65, contextLength: 64)) { try model(IntTensor([Int](repeating: 1, count: 65))) }
        #expect(throws: ModelError.emptyInput(shape: [1, 0])) { try model(IntTensor(shape: [1, 0], values: [])) }
        #expect(throws: ModelError.emptyInput(shape: [0])) { try model(IntTensor(shape: [0], values: [])) }
        #expect(throws: ModelError.invalidTokensShape([1, 1, 2])) { try model(IntTensor(shape: [1, 1, 2], values: [1, 2])) }
        #expect(throws: ModelError.lossNeedsTwoPositions(length: 1)) { try model.loss(IntTensor([[3]])) }
        #expect(ModelError.sequenceTooLong(length: 65, contextLength: 64).description.contains("n_ctx = 64"))
        // A 1-D sequence is a batch of one; batches of equal length run together.
        let row = IntTensor([3, 1, 4, 1, 5])
        #expect(try model(row) == model(IntTensor([[3, 1, 4, 1, 5]])))
        let batch = try model(IntTensor([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]]))
        #expect(batch[1].isApproximatelyEqual(to: try model(IntTensor([9, 2, 6, 5, 3]))[0], absoluteTolerance: 1e-5))
    }

    @Test func lossAndPerTokenLoss() throws {
        let (model, tokens) = try fixtureModel("gpt2tiny")
        let output = try model.run(tokens)
        #expect(output.perTokenLoss.shape == [2, 61])
        #expect(abs(try model.loss(tokens).scalar - output.loss.scalar) < 1e-6)
        #expect(try model.perTokenLoss(tokens) == output.perTokenLoss)
    }

    @Test func cacheFiltersPositionsAndEarlyStop() throws {
        let (model, tokens) = try fixtureModel("gpt2tiny")
        let (_, full) = try model.runWithCache(tokens)
        #expect(full.count == model.hookPoints.count)
        #expect(full["pattern", 1] == full[.pattern(1)] && full["pattern", -1] == full[.pattern(1)])
        #expect(full["pattern1"] == full[.pattern(1)])
        #expect(full["normalized", 0, "ln2"] == full[.normalized(0, .ln2)])
        #expect(throws: CacheError.self) { try full.tensor("blocks.9.hook_resid_pre") }
        let (_, some) = try model.runWithCache(tokens, names: NameFilter { $0.activation == "z" })
        #expect(some.names == [.z(0), .z(1)])
        let (_, last) = try model.runWithCache(tokens, positions: .at(-1))
        #expect(last[.z(0)]!.shape == [2, 4, 16])
        #expect(last[.pattern(0)]!.shape == [2, 4, 62])
        #expect(last[.residPre(0)]!.shape == [2, 64])
        #expect(last[.finalScale]!.shape == [2, 1])
        #expect(last[.z(0)] == full[.z(0)]![.all, -1])
        let (_, window) = try model.runWithCache(tokens, positions: .stride(-3, nil))
        #expect(window[.mlpPost(1)]! == full[.mlpPost(1)]![.all, (-3)...])
        // Caching layer 0 only runs one block: a hook on layer 1 never fires.
        var laterFired = false
        let early = try model.cache(tokens, names: [.pattern(0)], hooks: [Hook.observe(.residPre(1)) { _, _ in laterFired = true }])
        #expect(early.names == [.pattern(0)] && !laterFired)
        #expect(early[.pattern(0)] == full[.pattern(0)])
        #expect(throws: HookError.self) { try model.runWithCache(tokens, names: ["blocks.0.hook_nope"]) }
    }

    @Test func configDecodingDefaultsAndErrors() throws {
        let minimal = #"{"n_layers": 2, "d_model": 64, "n_ctx": 32, "d_head": 16, "d_vocab": 100, "act_fn": "gelu_new"}"#
        let c = try HookedTransformerConfig.decode(json: Data(minimal.utf8))
        #expect(c.nHeads == 4 && c.dMLP == 256 && c.dVocabOut == 100 && c.attnScale == 4 && c.normalizationType == .layerNorm)
        #expect(c.rotaryDim == 16 && abs(c.initializerRange - 0.1) < 1e-7 && c.positionalEmbeddingType == .standard)
        // Round trip through JSON with TL field names.
        let encoded = try JSONEncoder().encode(c)
        let object = try JSONSerialization.jsonObject(with: encoded) as! [String: Any]
        #expect(object["d_model"] as? Int == 64 && object["n_heads"] as? Int == 4)
        #expect(try HookedTransformerConfig.decode(json: encoded) == c)
        // The fixture layout with the config under "cfg".
        let fixture = try HookedTransformerConfig.decode(json: Data(contentsOf: Fixtures.url("classic/llamatiny/config.json")))
        #expect(fixture.gatedMLP && fixture.finalRMS && fixture.normalizationType == .rms && fixture.positionalEmbeddingType == .rotary)
        func failure(_ json: String) -> String {
            do { _ = try HookedTransformerConfig.decode(json: Data(json.utf8)); return "no error" } catch { return "\(error)" }
        }
        #expect(failure(#"{"n_layers": 2, "d_model": 64, "n_ctx": 32, "d_vocab": 10}"#).contains("d_head"))
        #expect(failure(#"{"n_layers": 2, "d_model": 64, "n_ctx": 32, "d_head": 16, "d_vocab": 10, "act_fn": "swoosh"}"#).contains("act_fn"))
        #expect(failure(#"{"n_layers": 2, "d_model": 64, "n_ctx": 32, "d_head": 16, "d_vocab": 10, "n_heads": 4, "n_key_value_heads": 3, "act_fn": "relu"}"#).contains("multiple"))
        #expect(failure(#"{"n_layers": 2, "d_model": 64, "n_ctx": 32, "d_head": 16, "d_vocab": 10, "positional_embedding_type": "alibi"}"#).contains("alibi"))
        #expect(failure(#"{"n_layers": 2, "d_model": 64, "n_ctx": 32, "d_head": 16, "d_vocab": 10, "use_local_attn": true}"#).contains("use_local_attn"))
        #expect(failure(#"{"n_layers": 0, "d_model": 64, "n_ctx": 32, "d_head": 16, "d_vocab": 10}"#).contains("n_layers"))
        #expect(failure("[1]").contains("object"))
        #expect(failure(#"{"n_layers": "two", "d_model": 64, "n_ctx": 32, "d_head": 16, "d_vocab": 10}"#).contains("n_layers"))
    }

    @Test func seededGPT2Initialisation() throws {
        let config = HookedTransformerConfig(nLayers: 2, dModel: 64, nCtx: 16, dHead: 16, dVocab: 30, actFn: .geluNew, seed: 7)
        let a = try HookedTransformer(config: config), b = try HookedTransformer(config: config)
        let c = try HookedTransformer(config: config, seed: 8)
        #expect(a.stateDict == b.stateDict && a.stateDict != c.stateDict)
        let wE = try a.parameter("embed.W_E")
        #expect(abs(wE.standardDeviation(axis: 0).mean().scalar - config.initializerRange) < 0.02)
        #expect(try a.parameter("blocks.0.ln1.w") == Tensor.ones([64]) && a.parameter("blocks.1.attn.b_Q") == Tensor.zeros([4, 16]))
        // W_E, W_pos, per layer (W_Q/K/V/O, b_Q/K/V, b_O, ln1, ln2, W_in, b_in, W_out, b_out), ln_final, W_U, b_U.
        let perLayer = 4 * 4 * 64 * 16 + 3 * 4 * 16 + 64 + 2 * 128 + 64 * 256 + 256 + 256 * 64 + 64
        #expect(a.parameterCount == 30 * 64 + 16 * 64 + 2 * perLayer + 128 + 64 * 30 + 30)
        #expect(throws: ModelError.self) { try a.setParameter("embed.W_E", Tensor.zeros([3])) }
        #expect(throws: ModelError.self) { try a.parameter("embed.W_X") }
        var dict = a.stateDict
        dict.removeValue(forKey: "unembed.b_U")
        #expect(throws: ModelError.missingParameter("unembed.b_U")) { try HookedTransformer(config: config, stateDict: dict) }
    }

    @Test func groupedQueryAttentionEqualsRepeatedHeads() throws {
        // A GQA model equals the full-head model whose key/value heads are repeated per group.
        var config = HookedTransformerConfig(nLayers: 1, dModel: 32, nCtx: 8, dHead: 8, dVocab: 20, actFn: .silu,
                                             normalizationType: .rms, positionalEmbeddingType: .rotary, gatedMLP: true,
                                             nKeyValueHeads: 2, seed: 3)
        config.finalRMS = true
        let gqa = try HookedTransformer(config: config)
        #expect(gqa.parameterNames.contains("blocks.0.attn._W_K"))
        var fullConfig = config
        fullConfig.nKeyValueHeads = nil
        var dict: [String: Tensor] = [:]
        for (name, value) in gqa.stateDict {
            let plain = name.replacingOccurrences(of: "._", with: ".")
            dict[plain] = name.contains("._") ? value.repeatedInterleave(2, axis: 0) : value
        }
        let full = try HookedTransformer(config: fullConfig, stateDict: dict)
        let tokens = IntTensor([[1, 5, 7, 2, 19, 0]])
        let (gqaLogits, cache) = try gqa.runWithCache(tokens)
        #expect(cache[.k(0)]!.shape == [1, 6, 2, 8] && cache[.rotK(0)]!.shape == [1, 6, 2, 8] && cache[.q(0)]!.shape == [1, 6, 4, 8])
        #expect(gqaLogits.isApproximatelyEqual(to: try full(tokens), absoluteTolerance: 1e-5))
    }

    @Test func rotaryPairingsAndPartialRotation() throws {
        // GPT-J pairing (2i, 2i+1) equals the rotate-half pairing with the d_head components of
        // W_Q and W_K reordered [0, 2, 4, …, 1, 3, 5, …].
        func config(adjacent: Bool, rotaryDim: Int) -> HookedTransformerConfig {
            HookedTransformerConfig(nLayers: 1, dModel: 32, nCtx: 8, dHead: 8, dVocab: 20, normalizationType: nil,
                                    positionalEmbeddingType: .rotary, rotaryDim: rotaryDim, rotaryAdjacentPairs: adjacent,
                                    attnOnly: true, seed: 4)
        }
        let gptj = try HookedTransformer(config: config(adjacent: true, rotaryDim: 8))
        let order = IntTensor([0, 2, 4, 6, 1, 3, 5, 7])
        var dict = gptj.stateDict
        for name in ["blocks.0.attn.W_Q", "blocks.0.attn.W_K"] { dict[name] = dict[name]!.indexSelect(order, axis: 2) }
        for name in ["blocks.0.attn.b_Q", "blocks.0.attn.b_K"] { dict[name] = dict[name]!.indexSelect(order, axis: 1) }
        let neox = try HookedTransformer(config: config(adjacent: false, rotaryDim: 8), stateDict: dict)
        let tokens = IntTensor([[3, 1, 4, 1, 5, 9, 2]])
        let (_, a) = try gptj.runWithCache(tokens), (_, b) = try neox.runWithCache(tokens)
        #expect(a[.pattern(0)]!.isApproximatelyEqual(to: b[.pattern(0)]!, absoluteTolerance: 1e-5))
        // Partial rotary: components at and beyond rotary_dim pass through unrotated.
        let partial = try HookedTransformer(config: config(adjacent: false, rotaryDim: 4))
        let (_, p) = try partial.runWithCache(tokens)
        #expect(p[.rotQ(0)]![.ellipsis, 4...] == p[.q(0)]![.ellipsis, 4...])
        #expect(p[.rotQ(0)]![.all, 0] == p[.q(0)]![.all, 0])   // position 0 is not rotated
        #expect(p[.rotQ(0)]![.all, 3, .all, ..<4] != p[.q(0)]![.all, 3, .all, ..<4])
    }
}
