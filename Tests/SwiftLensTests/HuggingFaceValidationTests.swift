import Foundation
import SwiftLens
import Testing

/// Hugging Face conversion refuses every config and checkpoint that disagree, from the config
/// and the header, before any weight is read or reshaped (issue 11): each case once trapped in a
/// split, reshape or transpose, or loaded a wrong model, and now throws a typed error naming the
/// file, the field or tensor, what was expected and what was found.
@Suite struct HuggingFaceValidationTests {
    /// A copy of the Hugging Face fixture `fixture` (`hf/gpt2tiny` or `hf/llamatiny/hf`), its
    /// config text edited by `config` and its tensors by `tensors` (the file is only rewritten
    /// when `tensors` is given).
    final class Checkpoint {
        let directory: URL
        var configPath: String { directory.appendingPathComponent("config.json").path }
        var weightsPath: String { directory.appendingPathComponent("model.safetensors").path }

        init(_ fixture: String, config: (String) -> String = { $0 }, tensors: ((inout [String: Tensor]) -> Void)? = nil) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-hf-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let text = try String(contentsOf: Fixtures.url("\(fixture)/config.json"), encoding: .utf8)
            try config(text).write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            let weights = Fixtures.url("\(fixture)/model.safetensors")
            if let tensors {
                var dict = try SafetensorsFile(contentsOf: weights).tensors()
                tensors(&dict)
                try SafetensorsFile.write(floats: dict, to: directory.appendingPathComponent("model.safetensors"))
            } else {
                try FileManager.default.copyItem(at: weights, to: directory.appendingPathComponent("model.safetensors"))
            }
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        func load() throws -> HookedTransformer { try HookedTransformer.load(directory: directory) }
    }

    /// `text` with the value of `"key": …` replaced by `value` (raw JSON).
    static func set(_ key: String, _ value: String) -> (String) -> String {
        { text in
            let pattern = "\"\(key)\": [^,\n]*"
            guard let range = text.range(of: pattern, options: .regularExpression) else { return text.replacingOccurrences(of: "{", with: "{\n  \"\(key)\": \(value),", options: [], range: text.range(of: "{")) }
            return text.replacingCharacters(in: range, with: "\"\(key)\": \(value)")
        }
    }

    /// The error `body` throws, as text (recording an issue if it throws nothing).
    static func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            Issue.record("expected an error")
            return ""
        } catch {
            return "\(error)"
        }
    }

    // MARK: GPT-2

    @Test func gpt2FixtureStillLoadsAndBuffersAreTolerated() throws {
        let reference = try HookedTransformer.load(directory: Fixtures.url("hf/gpt2tiny"))
        // The old causal-mask buffers TransformerLens and older transformers versions store.
        let buffered = try Checkpoint("hf/gpt2tiny", tensors: { d in
            d["transformer.h.0.attn.bias"] = .ones([1, 1, 64, 64])
            d["transformer.h.1.attn.masked_bias"] = Tensor([-1e4])
        })
        #expect(try buffered.load().stateDict == reference.stateDict)
    }

    @Test func gpt2HeadsMustDivideTheWidth() throws {
        let c = try Checkpoint("hf/gpt2tiny", config: Self.set("n_head", "5"))
        #expect(throws: ConfigError.invalid(field: "n_head", reason: "in \(c.configPath): expected a divisor of n_embd (64), found 5")) {
            try c.load()
        }
    }

    @Test func gpt2WidthMustMatchTheTensors() throws {
        let c = try Checkpoint("hf/gpt2tiny", config: Self.set("n_embd", "32"))
        #expect(throws: CheckpointError.shapeMismatch(name: "transformer.wte.weight", file: c.weightsPath, expected: [50, 32], found: [50, 64])) {
            try c.load()
        }
    }

    /// Same element count, wrong shape: a transposed `c_attn`, a `c_proj` of another shape.
    @Test func gpt2WrongShapesWithTheRightElementCountAreRefused() throws {
        let transposed = try Checkpoint("hf/gpt2tiny", tensors: { d in
            d["transformer.h.0.attn.c_attn.weight"] = d["transformer.h.0.attn.c_attn.weight"]!.transposed()
        })
        #expect(throws: CheckpointError.shapeMismatch(name: "transformer.h.0.attn.c_attn.weight", file: transposed.weightsPath,
                                                      expected: [64, 192], found: [192, 64])) { try transposed.load() }
        let reshaped = try Checkpoint("hf/gpt2tiny", tensors: { d in
            d["transformer.h.1.attn.c_proj.weight"] = d["transformer.h.1.attn.c_proj.weight"]!.reshaped(32, 128)
        })
        #expect(throws: CheckpointError.shapeMismatch(name: "transformer.h.1.attn.c_proj.weight", file: reshaped.weightsPath,
                                                      expected: [64, 64], found: [32, 128])) { try reshaped.load() }
        let flat = try Checkpoint("hf/gpt2tiny", tensors: { d in
            d["transformer.h.0.attn.c_attn.bias"] = d["transformer.h.0.attn.c_attn.bias"]!.reshaped(3, 64)
        })
        #expect(throws: CheckpointError.shapeMismatch(name: "transformer.h.0.attn.c_attn.bias", file: flat.weightsPath,
                                                      expected: [192], found: [3, 64])) { try flat.load() }
    }

    /// `true` is not 1, `2.0` and `"2"` are not 2, `1` is not `true` (Linux's JSONSerialization
    /// read `n_layer: true` as a 1-layer model of 2-layer weights).
    @Test(arguments: [
        ("n_layer", "true", "an integer ≥ 1 (at most 2147483647), found true"),
        ("n_layer", "2.0", "an integer ≥ 1 (at most 2147483647), found the number 2.0"),
        ("n_head", "\"4\"", "an integer ≥ 1 (at most 2147483647), found the string \"4\""),
        ("vocab_size", "-50", "an integer ≥ 1 (at most 2147483647), found the integer -50"),
        ("n_embd", "99999999999", "an integer ≥ 1 (at most 2147483647), found the integer 99999999999"),
        ("n_positions", "false", "an integer ≥ 1 (at most 2147483647), found false"),
        ("scale_attn_weights", "1", "true or false, found the integer 1"),
        ("tie_word_embeddings", "\"yes\"", "true or false, found the string \"yes\""),
        ("layer_norm_epsilon", "\"1e-5\"", "a positive number, found the string \"1e-5\""),
        ("layer_norm_epsilon", "0", "a positive number, found the integer 0"),
        ("_name_or_path", "7", "a string, found the integer 7"),
    ])
    func gpt2FieldsHaveTheirTypes(field: String, value: String, expected: String) throws {
        let c = try Checkpoint("hf/gpt2tiny", config: Self.set(field, value))
        #expect(throws: ConfigError.invalid(field: field, reason: "in \(c.configPath): expected \(expected)")) { try c.load() }
    }

    @Test func gpt2UnknownOrUnsupportedValuesAreNamed() throws {
        let act = try Checkpoint("hf/gpt2tiny", config: Self.set("activation_function", "5"))
        #expect(Self.message { try act.load() }.contains("\"activation_function\": in \(act.configPath): expected one of the strings gelu_new"))
        // SoLU is TransformerLens's own (its norm has no Hugging Face weights): not a GPT-2 activation.
        let solu = try Checkpoint("hf/gpt2tiny", config: Self.set("activation_function", "\"solu_ln\""))
        #expect(Self.message { try solu.load() }.contains("activation_function"))
        let cross = try Checkpoint("hf/gpt2tiny", config: Self.set("add_cross_attention", "true"))
        #expect(Self.message { try cross.load() }.contains("add_cross_attention"))
        let missing = try Checkpoint("hf/gpt2tiny", config: { $0.replacingOccurrences(of: "\"n_layer\": 2,", with: "") })
        #expect(throws: ConfigError.invalid(field: "n_layer", reason: "\(missing.configPath) has no \"n_layer\"; expected an integer ≥ 1 (at most 2147483647)")) {
            try missing.load()
        }
    }

    @Test func gpt2UnusedTensorsAreNamed() throws {
        let c = try Checkpoint("hf/gpt2tiny", tensors: { d in
            d["transformer.h.2.ln_1.weight"] = .ones([64])  // a third layer the config does not have
            d["transformer.h.0.attn.extra"] = .ones([3])
        })
        #expect(throws: CheckpointError.unexpectedTensors(names: ["transformer.h.0.attn.extra", "transformer.h.2.ln_1.weight"], file: c.weightsPath)) {
            try c.load()
        }
        // Both spellings of one tensor: ambiguous, so refused.
        let both = try Checkpoint("hf/gpt2tiny", tensors: { d in d["ln_f.weight"] = d["transformer.ln_f.weight"] })
        #expect(throws: CheckpointError.unexpectedTensors(names: ["ln_f.weight"], file: both.weightsPath)) { try both.load() }
    }

    @Test func gpt2UntiedEmbeddingsNeedTheirHead() throws {
        let untied = try Checkpoint("hf/gpt2tiny", config: Self.set("tie_word_embeddings", "false"))
        #expect(throws: CheckpointError.missingTensor(names: ["lm_head.weight"], file: untied.weightsPath)) { try untied.load() }
        let head = try Checkpoint("hf/gpt2tiny", config: Self.set("tie_word_embeddings", "false"), tensors: { d in
            d["lm_head.weight"] = Tensor.ones([50, 64])
        })
        #expect(try head.load().stateDict["unembed.W_U"] == Tensor.ones([64, 50]))
    }

    @Test func integerWeightsAreRefused() throws {
        let dir = try Checkpoint("hf/gpt2tiny")
        var values: [(name: String, value: SafetensorsValue)] = try SafetensorsFile(contentsOf: Fixtures.url("hf/gpt2tiny/model.safetensors"))
            .tensors().sorted { $0.key < $1.key }.map { ($0.key, .float($0.value)) }
        let i = values.firstIndex { $0.name == "transformer.ln_f.bias" }!
        values[i].value = .int(IntTensor(shape: [64], repeating: 0), .I8)
        try SafetensorsFile.write(values, to: URL(fileURLWithPath: dir.weightsPath))
        #expect(throws: CheckpointError.notFloatingPoint(name: "transformer.ln_f.bias", file: dir.weightsPath, dtype: "I8")) { try dir.load() }
    }

    @Test func malformedConfigJSONNamesTheFileAndByte() throws {
        let duplicate = try Checkpoint("hf/gpt2tiny", config: { $0.replacingOccurrences(of: "\"n_layer\": 2,", with: "\"n_layer\": 2, \"n_layer\": 1,") })
        let text = Self.message { try duplicate.load() }
        #expect(text.contains(duplicate.configPath) && text.contains("the key \"n_layer\" appears twice"), "\(text)")
        let truncated = try Checkpoint("hf/gpt2tiny", config: { String($0.prefix(100)) })
        let t = Self.message { try truncated.load() }
        #expect(t.contains(truncated.configPath) && t.contains("invalid JSON at byte"), "\(t)")
        let array = try Checkpoint("hf/gpt2tiny", config: { _ in "[1, 2]" })
        #expect(Self.message { try array.load() }.contains("expected a JSON object"))
        let deep = try Checkpoint("hf/gpt2tiny", config: { _ in String(repeating: "[", count: 100_000) })
        #expect(Self.message { try deep.load() }.contains("nest more than"))
        let latin1 = try Checkpoint("hf/gpt2tiny")
        try (Data("{\"model_type\": \"gpt2\", \"_name_or_path\": \"caf".utf8) + Data([0xE9]) + Data("\"}".utf8))
            .write(to: URL(fileURLWithPath: latin1.configPath))
        #expect(Self.message { try latin1.load() }.contains("not valid UTF-8"))
    }

    // MARK: LLaMA

    @Test func llamaFixtureStillLoadsAndRotaryBuffersAreTolerated() throws {
        let reference = try HookedTransformer.load(directory: Fixtures.url("hf/llamatiny/hf"))
        let buffered = try Checkpoint("hf/llamatiny/hf", tensors: { d in
            d["model.layers.0.self_attn.rotary_emb.inv_freq"] = .ones([8])
            d["model.rotary_emb.inv_freq"] = .ones([8])
        })
        #expect(try buffered.load().stateDict == reference.stateDict)
    }

    @Test func llamaHeadDimAndKeyValueHeadsMustAgree() throws {
        let headDim = try Checkpoint("hf/llamatiny/hf", config: Self.set("head_dim", "8"))
        #expect(throws: CheckpointError.shapeMismatch(name: "model.layers.0.self_attn.q_proj.weight", file: headDim.weightsPath,
                                                      expected: [32, 64], found: [64, 64])) { try headDim.load() }
        let odd = try Checkpoint("hf/llamatiny/hf", config: Self.set("head_dim", "15"))
        #expect(throws: ConfigError.invalid(field: "head_dim", reason: "in \(odd.configPath): expected an even number (rotary embeddings rotate pairs), found 15")) {
            try odd.load()
        }
        let kv = try Checkpoint("hf/llamatiny/hf", config: Self.set("num_key_value_heads", "3"))
        #expect(throws: ConfigError.invalid(field: "num_key_value_heads", reason: "in \(kv.configPath): expected a divisor of num_attention_heads (4), found 3")) {
            try kv.load()
        }
        let kvTrue = try Checkpoint("hf/llamatiny/hf", config: Self.set("num_key_value_heads", "true"))
        #expect(Self.message { try kvTrue.load() }.contains("found true"))
        let noHeadDim = try Checkpoint("hf/llamatiny/hf", config: { Self.set("num_attention_heads", "3")($0.replacingOccurrences(of: "\"head_dim\": 16,", with: "")) })
        #expect(Self.message { try noHeadDim.load() }.contains("a divisor of hidden_size (64) when head_dim is not given, found 3"))
    }

    @Test func llamaTensorRanksMustMatch() throws {
        let rank3 = try Checkpoint("hf/llamatiny/hf", tensors: { d in
            d["model.layers.1.self_attn.q_proj.weight"] = d["model.layers.1.self_attn.q_proj.weight"]!.reshaped(4, 16, 64)
        })
        #expect(throws: CheckpointError.shapeMismatch(name: "model.layers.1.self_attn.q_proj.weight", file: rank3.weightsPath,
                                                      expected: [64, 64], found: [4, 16, 64])) { try rank3.load() }
        let transposed = try Checkpoint("hf/llamatiny/hf", tensors: { d in
            d["model.layers.0.mlp.down_proj.weight"] = d["model.layers.0.mlp.down_proj.weight"]!.transposed()
        })
        #expect(throws: CheckpointError.shapeMismatch(name: "model.layers.0.mlp.down_proj.weight", file: transposed.weightsPath,
                                                      expected: [64, 128], found: [128, 64])) { try transposed.load() }
        let vector = try Checkpoint("hf/llamatiny/hf", tensors: { d in
            d["model.norm.weight"] = d["model.norm.weight"]!.reshaped(8, 8)
        })
        #expect(throws: CheckpointError.shapeMismatch(name: "model.norm.weight", file: vector.weightsPath, expected: [64], found: [8, 8])) {
            try vector.load()
        }
    }

    @Test func llamaBiasesFollowAttentionBias() throws {
        let wanted = try Checkpoint("hf/llamatiny/hf", config: Self.set("attention_bias", "true"))
        #expect(throws: CheckpointError.missingTensor(names: ["model.layers.0.self_attn.q_proj.bias"], file: wanted.weightsPath)) { try wanted.load() }
        let unwanted = try Checkpoint("hf/llamatiny/hf", tensors: { d in d["model.layers.0.self_attn.q_proj.bias"] = .zeros([64]) })
        #expect(throws: CheckpointError.unexpectedTensors(names: ["model.layers.0.self_attn.q_proj.bias"], file: unwanted.weightsPath)) { try unwanted.load() }
        let mlpBias = try Checkpoint("hf/llamatiny/hf", config: Self.set("mlp_bias", "true"))
        #expect(Self.message { try mlpBias.load() }.contains("mlp_bias"))
        let rope = try Checkpoint("hf/llamatiny/hf", config: { $0.replacingOccurrences(of: "\"rope_type\": \"default\"", with: "\"rope_type\": \"linear\"") })
        #expect(Self.message { try rope.load() }.contains("\"rope_type\" = \"linear\""))
        let theta = try Checkpoint("hf/llamatiny/hf", config: { $0.replacingOccurrences(of: "\"rope_theta\": 10000.0", with: "\"rope_theta\": true") })
        #expect(Self.message { try theta.load() }.contains("\"rope_theta\": in \(theta.configPath) (in \"rope_parameters\"): expected a positive number, found true"))
        let layers = try Checkpoint("hf/llamatiny/hf", config: Self.set("num_hidden_layers", "true"))
        #expect(throws: ConfigError.invalid(field: "num_hidden_layers", reason: "in \(layers.configPath): expected an integer ≥ 1 (at most 2147483647), found true")) {
            try layers.load()
        }
    }

    @Test func llamaTiedEmbeddingsNeedNoHead() throws {
        let tied = try Checkpoint("hf/llamatiny/hf", config: Self.set("tie_word_embeddings", "true"), tensors: { d in d["lm_head.weight"] = nil })
        let model = try tied.load()
        #expect(model.stateDict["unembed.W_U"] == model.stateDict["embed.W_E"]!.transposed())
        let untied = try Checkpoint("hf/llamatiny/hf", tensors: { d in d["lm_head.weight"] = nil })
        #expect(throws: CheckpointError.missingTensor(names: ["lm_head.weight"], file: untied.weightsPath)) { try untied.load() }
    }

    // MARK: Model directories

    @Test func directoryProblemsNameThePath() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-none-\(UUID().uuidString)")
        #expect(Self.message { try HookedTransformer.load(directory: missing) }.contains("\(missing.path) is not a directory"))
        let empty = try Checkpoint("hf/gpt2tiny")
        try FileManager.default.removeItem(atPath: empty.configPath)
        #expect(Self.message { try empty.load() }.contains("has no config.json"))
        let noWeights = try Checkpoint("hf/gpt2tiny")
        try FileManager.default.removeItem(atPath: noWeights.weightsPath)
        #expect(Self.message { try noWeights.load() }.contains("no model.safetensors"))
        let other = try Checkpoint("hf/gpt2tiny", config: Self.set("model_type", "\"bert\""))
        #expect(Self.message { try other.load() }.contains("model_type \"bert\""))
    }
}
