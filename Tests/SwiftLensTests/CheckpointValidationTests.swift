import Foundation
import SwiftLens
import Testing

/// Loading a model directory checks every tensor's shape in the weights file's header against
/// the config before reading any weight: a mismatched checkpoint throws ``CheckpointError``
/// (never the model's own `ModelError.parameterShape`, which could only come after reading).
@Suite struct CheckpointValidationTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies the fixture directory `fixture`'s config (edited by `edit`) and its `weights` file
    /// into a fresh directory.
    func copy(_ fixture: String, weights: String, edit: (inout [String: Any]) -> Void) throws -> URL {
        let dir = try temporaryDirectory()
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("\(fixture)/config.json"))) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: Fixtures.url("\(fixture)/\(weights)"), to: dir.appendingPathComponent(weights))
        return dir
    }

    @Test func huggingFaceHeaderShapesMustMatchTheConfig() throws {
        let gpt2 = try copy("hf/gpt2tiny", weights: "model.safetensors") { $0["n_inner"] = 128 }
        defer { try? FileManager.default.removeItem(at: gpt2) }
        let path = gpt2.appendingPathComponent("model.safetensors").path
        #expect(throws: CheckpointError.shapeMismatch(name: "transformer.h.0.mlp.c_fc.weight", file: path, expected: [64, 128], found: [64, 256])) {
            try HookedTransformer.load(directory: gpt2)
        }
        let llama = try copy("hf/llamatiny/hf", weights: "model.safetensors") { $0["num_key_value_heads"] = 2 }
        defer { try? FileManager.default.removeItem(at: llama) }
        let llamaPath = llama.appendingPathComponent("model.safetensors").path
        #expect(throws: CheckpointError.shapeMismatch(name: "model.layers.0.self_attn.k_proj.weight", file: llamaPath, expected: [32, 64], found: [64, 64])) {
            try HookedTransformer.load(directory: llama)
        }
        // A vocabulary the file does not have: the message names the tensor and both shapes.
        let vocab = try copy("hf/llamatiny/hf", weights: "model.safetensors") { $0["vocab_size"] = 51 }
        defer { try? FileManager.default.removeItem(at: vocab) }
        do {
            _ = try HookedTransformer.load(directory: vocab)
            Issue.record("expected a shape mismatch")
        } catch let error as CheckpointError {
            #expect(error.description.contains("\"model.embed_tokens.weight\"") && error.description.contains("has shape [50, 64]; the config implies [51, 64]"),
                    "\(error)")
        }
        // A context longer than the stored positions is a config error, not a trap in slicing.
        let context = try copy("hf/gpt2tiny", weights: "model.safetensors") { $0["n_ctx"] = 128 }
        defer { try? FileManager.default.removeItem(at: context) }
        #expect(throws: ConfigError.invalid(field: "n_ctx", reason: "in \(context.appendingPathComponent("config.json").path): expected at most n_positions (64), found 128")) {
            try HookedTransformer.load(directory: context)
        }
    }

    @Test func transformerLensHeaderShapesMustMatchTheConfig() throws {
        let mlp = try copy("classic/gpt2tiny", weights: "weights.safetensors") { config in
            var cfg = config["cfg"] as? [String: Any] ?? config
            cfg["d_mlp"] = 128
            if config["cfg"] != nil { config["cfg"] = cfg } else { config = cfg }
        }
        defer { try? FileManager.default.removeItem(at: mlp) }
        let path = mlp.appendingPathComponent("weights.safetensors").path
        #expect(throws: CheckpointError.shapeMismatch(name: "blocks.0.mlp.W_in", file: path, expected: [64, 128], found: [64, 256])) {
            try HookedTransformer.load(directory: mlp)
        }

        // Missing and unexpected tensors are found from the header too.
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(to: dir)
        let weights = dir.appendingPathComponent("weights.safetensors")
        var dict = model.stateDict
        dict["blocks.1.attn.b_O"] = nil
        try SafetensorsFile.write(floats: dict, to: weights)
        #expect(throws: CheckpointError.missingTensor(names: ["blocks.1.attn.b_O"], file: weights.path)) {
            try HookedTransformer.load(directory: dir)
        }
        dict = model.stateDict
        dict["blocks.2.attn.W_Q"] = .zeros([4, 64, 16])
        dict["blocks.0.attn.mask"] = .ones([8, 8])  // a TransformerLens buffer: ignored
        try SafetensorsFile.write(floats: dict, to: weights)
        #expect(throws: CheckpointError.unexpectedTensors(names: ["blocks.2.attn.W_Q"], file: weights.path)) {
            try HookedTransformer.load(directory: dir)
        }
        dict["blocks.2.attn.W_Q"] = nil
        try SafetensorsFile.write(floats: dict, to: weights)
        #expect(try HookedTransformer.load(directory: dir).stateDict == model.stateDict)
    }

    /// The shapes the loader expects from a config are those of the model it builds, for every
    /// architecture option: a saved random model of each kind loads back unchanged.
    @Test func everyArchitectureRoundTripsThroughTheCheck() throws {
        let base = HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 8, dHead: 4, nHeads: 4, dMLP: 24, dVocab: 11, actFn: .gelu)
        var configs: [HookedTransformerConfig] = [base]
        var c = base; c.attnOnly = true; configs.append(c)
        c = base; c.normalizationType = .rms; c.finalRMS = true; c.positionalEmbeddingType = .rotary; c.gatedMLP = true
        c.nKeyValueHeads = 2; configs.append(c)
        c = base; c.normalizationType = .layerNormPre; c.smearKeys = true; c.dVocabOut = 7; configs.append(c)
        c = base; c.normalizationType = nil; c.positionalEmbeddingType = .shortformer; configs.append(c)
        c = base; c.normalizationType = .rmsPre; c.finalRMS = true; configs.append(c)
        for config in configs {
            let model = try HookedTransformer(config: config, seed: 4)
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try model.save(to: dir)
            let loaded = try HookedTransformer.load(directory: dir)
            #expect(loaded.stateDict == model.stateDict, "\(config)")
        }
    }
}
