import Foundation

/// Hugging Face GPT-2 and LLaMA checkpoints (`config.json` + `model.safetensors`), converted to
/// TransformerLens parameter names and shapes as TransformerLens's own conversions do.
///
/// The config is read first and every tensor's shape in the file's header is checked against
/// it (``CheckedCheckpoint``) before any weight is read; the weights are then read and converted
/// one tensor at a time, so the only full copy in memory is the converted state dict.
enum HuggingFaceCheckpoint {
    /// A Hugging Face config names its `model_type` or `architectures`; a TransformerLens one
    /// has `d_model` (possibly under `cfg`).
    static func isHuggingFaceConfig(_ data: Data) -> Bool {
        guard let dict = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return dict["d_model"] == nil && dict["cfg"] == nil && (dict["model_type"] != nil || dict["architectures"] != nil)
    }

    /// The TransformerLens config and state dict of the checkpoint in `directory`.
    static func stateDict(directory: URL, configData: Data) throws -> (HookedTransformerConfig, [String: Tensor]) {
        guard let hf = try JSONSerialization.jsonObject(with: configData) as? [String: Any] else {
            throw ConfigError.invalidJSON("config.json is not a JSON object")
        }
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw ModelError.io("\(directory.path) has a Hugging Face config.json but no model.safetensors (sharded checkpoints are not supported)")
        }
        let modelType = (hf["model_type"] as? String) ?? ""
        let architectures = (hf["architectures"] as? [String]) ?? []
        if modelType == "gpt2" || architectures.contains("GPT2LMHeadModel") {
            let config = try gpt2Config(hf)
            let file = try CheckedCheckpoint(SafetensorsFile(contentsOf: weightsURL), expecting: try gpt2Expected(config, hf: hf),
                                             tolerated: { _ in true })
            return (config, try gpt2StateDict(file, config))
        }
        if modelType == "llama" || architectures.contains("LlamaForCausalLM") {
            let config = try llamaConfig(hf)
            let file = try CheckedCheckpoint(SafetensorsFile(contentsOf: weightsURL), expecting: llamaExpected(config, hf: hf),
                                             tolerated: { _ in true })
            return (config, try llamaStateDict(file, config, hf: hf))
        }
        throw ModelError.unsupportedCheckpoint("Hugging Face model_type \"\(modelType)\" (architectures \(architectures)); supported: gpt2, llama")
    }

    // MARK: Config

    private static func int(_ hf: [String: Any], _ key: String) throws -> Int {
        guard let v = hf[key] as? Int else { throw ConfigError.missingField(key) }
        return v
    }

    static func gpt2Config(_ hf: [String: Any]) throws -> HookedTransformerConfig {
        let d = try int(hf, "n_embd"), heads = try int(hf, "n_head")
        guard heads > 0, d % heads == 0 else {
            throw ConfigError.invalid(field: "n_head", reason: "must be positive and divide n_embd (\(d)), found \(heads)")
        }
        guard let act = Activation(rawValue: (hf["activation_function"] as? String) ?? "gelu_new") else {
            throw ConfigError.unsupported(field: "activation_function", value: "\(hf["activation_function"] ?? "")",
                                          supported: Activation.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let context = try (hf["n_ctx"] as? Int) ?? int(hf, "n_positions")
        var c = HookedTransformerConfig(nLayers: try int(hf, "n_layer"), dModel: d, nCtx: context,
                                        dHead: d / max(heads, 1), nHeads: heads, dMLP: (hf["n_inner"] as? Int) ?? 4 * d,
                                        dVocab: try int(hf, "vocab_size"), actFn: act,
                                        eps: Float((hf["layer_norm_epsilon"] as? Double) ?? 1e-5), normalizationType: .layerNorm,
                                        useAttnScale: (hf["scale_attn_weights"] as? Bool) ?? true,
                                        scaleAttnByInverseLayerIdx: (hf["scale_attn_by_inverse_layer_idx"] as? Bool) ?? false,
                                        modelName: (hf["_name_or_path"] as? String) ?? "gpt2")
        c.originalArchitecture = "GPT2LMHeadModel"
        return try c.validated()
    }

    static func llamaConfig(_ hf: [String: Any]) throws -> HookedTransformerConfig {
        let d = try int(hf, "hidden_size"), heads = try int(hf, "num_attention_heads")
        let dHead = (hf["head_dim"] as? Int) ?? d / max(heads, 1)
        let kv = (hf["num_key_value_heads"] as? Int) ?? heads
        let rope = (hf["rope_parameters"] as? [String: Any]) ?? (hf["rope_scaling"] as? [String: Any]) ?? [:]
        if let type = (rope["rope_type"] as? String) ?? (rope["type"] as? String), type != "default" {
            throw ConfigError.unsupported(field: "rope_type", value: type, supported: "default")
        }
        let theta = (rope["rope_theta"] as? Double) ?? (hf["rope_theta"] as? Double) ?? 10000
        if (hf["mlp_bias"] as? Bool) == true {
            throw ConfigError.unsupported(field: "mlp_bias", value: "true", supported: "false (TransformerLens's gated MLP has one bias)")
        }
        guard let act = Activation(rawValue: (hf["hidden_act"] as? String) ?? "silu") else {
            throw ConfigError.unsupported(field: "hidden_act", value: "\(hf["hidden_act"] ?? "")",
                                          supported: Activation.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var c = HookedTransformerConfig(nLayers: try int(hf, "num_hidden_layers"), dModel: d,
                                        nCtx: try int(hf, "max_position_embeddings"), dHead: dHead, nHeads: heads,
                                        dMLP: try int(hf, "intermediate_size"), dVocab: try int(hf, "vocab_size"), actFn: act,
                                        eps: Float((hf["rms_norm_eps"] as? Double) ?? 1e-6), normalizationType: .rms, finalRMS: true,
                                        positionalEmbeddingType: .rotary, rotaryDim: dHead, rotaryBase: Float(theta),
                                        rotaryAdjacentPairs: false, gatedMLP: true, nKeyValueHeads: kv == heads ? nil : kv,
                                        modelName: (hf["_name_or_path"] as? String) ?? "llama")
        c.originalArchitecture = "LlamaForCausalLM"
        return try c.validated()
    }

    // MARK: Expected shapes

    /// Every tensor a GPT-2 checkpoint of config `c` holds, with the shape the config implies.
    /// Names may carry the `transformer.` prefix or not; `lm_head.weight` is usually absent
    /// (tied to `wte`). Other tensors (the old `attn.bias` mask buffers) are ignored.
    static func gpt2Expected(_ c: HookedTransformerConfig, hf: [String: Any]) throws -> [CheckedCheckpoint.Expected] {
        let (d, m) = (c.dModel, c.dMLP)
        let positions = (hf["n_positions"] as? Int) ?? c.nCtx
        guard positions >= c.nCtx else {
            throw ConfigError.invalid(field: "n_ctx", reason: "must not exceed n_positions (\(positions)), found \(c.nCtx)")
        }
        func e(_ name: String, _ shape: [Int]) -> CheckedCheckpoint.Expected { .init(["transformer." + name, name], shape) }
        var expected = [e("wte.weight", [c.dVocab, d]), e("wpe.weight", [positions, d])]
        for l in 0..<c.nLayers {
            let p = "h.\(l)."
            expected += [
                e(p + "ln_1.weight", [d]), e(p + "ln_1.bias", [d]), e(p + "ln_2.weight", [d]), e(p + "ln_2.bias", [d]),
                e(p + "attn.c_attn.weight", [d, 3 * d]), e(p + "attn.c_attn.bias", [3 * d]),
                e(p + "attn.c_proj.weight", [d, d]), e(p + "attn.c_proj.bias", [d]),
                e(p + "mlp.c_fc.weight", [d, m]), e(p + "mlp.c_fc.bias", [m]),
                e(p + "mlp.c_proj.weight", [m, d]), e(p + "mlp.c_proj.bias", [d]),
            ]
        }
        expected += [e("ln_f.weight", [d]), e("ln_f.bias", [d]), .init(["lm_head.weight"], [c.dVocabOut, d], optional: true)]
        return expected
    }

    /// Every tensor a LLaMA checkpoint of config `c` holds (nn.Linear weights are [out, in]).
    /// Projection biases are optional; `lm_head.weight` is required unless the embeddings are
    /// tied. Other tensors (rotary `inv_freq` buffers) are ignored.
    static func llamaExpected(_ c: HookedTransformerConfig, hf: [String: Any]) -> [CheckedCheckpoint.Expected] {
        let (d, h, kv, dh, m) = (c.dModel, c.nHeads, c.keyValueHeads, c.dHead, c.dMLP)
        func e(_ name: String, _ shape: [Int], optional: Bool = false) -> CheckedCheckpoint.Expected { .init([name], shape, optional: optional) }
        var expected = [e("model.embed_tokens.weight", [c.dVocab, d])]
        for l in 0..<c.nLayers {
            let p = "model.layers.\(l)."
            expected += [e(p + "input_layernorm.weight", [d]), e(p + "post_attention_layernorm.weight", [d])]
            for (proj, heads) in [("q_proj", h), ("k_proj", kv), ("v_proj", kv)] {
                expected += [e(p + "self_attn.\(proj).weight", [heads * dh, d]), e(p + "self_attn.\(proj).bias", [heads * dh], optional: true)]
            }
            expected += [
                e(p + "self_attn.o_proj.weight", [d, h * dh]), e(p + "self_attn.o_proj.bias", [d], optional: true),
                e(p + "mlp.up_proj.weight", [m, d]), e(p + "mlp.gate_proj.weight", [m, d]), e(p + "mlp.down_proj.weight", [d, m]),
            ]
        }
        expected.append(e("model.norm.weight", [d]))
        if !((hf["tie_word_embeddings"] as? Bool) ?? false) { expected.append(e("lm_head.weight", [c.dVocabOut, d])) }
        return expected
    }

    // MARK: Weights

    /// Reads and converts a checked GPT-2 checkpoint, one tensor at a time.
    static func gpt2StateDict(_ file: CheckedCheckpoint, _ c: HookedTransformerConfig) throws -> [String: Tensor] {
        func t(_ name: String) throws -> Tensor { try file.tensor("transformer." + name) }
        let (d, h, dh) = (c.dModel, c.nHeads, c.dHead)
        var sd: [String: Tensor] = [:]
        let wte = try t("wte.weight")
        sd["embed.W_E"] = wte
        sd["pos_embed.W_pos"] = try t("wpe.weight")[..<c.nCtx]
        for l in 0..<c.nLayers {
            let p = "h.\(l).", q = "blocks.\(l)."
            sd[q + "ln1.w"] = try t(p + "ln_1.weight"); sd[q + "ln1.b"] = try t(p + "ln_1.bias")
            sd[q + "ln2.w"] = try t(p + "ln_2.weight"); sd[q + "ln2.b"] = try t(p + "ln_2.bias")
            // Conv1D stores [in, out]; c_attn's output columns are Q | K | V, each head-major.
            let qkv = try t(p + "attn.c_attn.weight").split([d, d, d], axis: 1)
            let qkvBias = try t(p + "attn.c_attn.bias").split([d, d, d], axis: 0)
            for (i, name) in ["Q", "K", "V"].enumerated() {
                sd[q + "attn.W_\(name)"] = qkv[i].reshaped(d, h, dh).permuted(1, 0, 2)
                sd[q + "attn.b_\(name)"] = qkvBias[i].reshaped(h, dh)
            }
            sd[q + "attn.W_O"] = try t(p + "attn.c_proj.weight").reshaped(h, dh, d)
            sd[q + "attn.b_O"] = try t(p + "attn.c_proj.bias")
            sd[q + "mlp.W_in"] = try t(p + "mlp.c_fc.weight"); sd[q + "mlp.b_in"] = try t(p + "mlp.c_fc.bias")
            sd[q + "mlp.W_out"] = try t(p + "mlp.c_proj.weight"); sd[q + "mlp.b_out"] = try t(p + "mlp.c_proj.bias")
        }
        sd["ln_final.w"] = try t("ln_f.weight"); sd["ln_final.b"] = try t("ln_f.bias")
        // lm_head is tied to wte and usually not stored.
        sd["unembed.W_U"] = (try file.optionalTensor("lm_head.weight") ?? wte).transposed()
        sd["unembed.b_U"] = .zeros([c.dVocabOut])
        return sd
    }

    /// Reads and converts a checked LLaMA checkpoint, one tensor at a time.
    static func llamaStateDict(_ file: CheckedCheckpoint, _ c: HookedTransformerConfig, hf: [String: Any]) throws -> [String: Tensor] {
        func t(_ name: String) throws -> Tensor { try file.tensor(name) }
        let (d, h, kv, dh) = (c.dModel, c.nHeads, c.keyValueHeads, c.dHead)
        let g = c.nKeyValueHeads == nil ? "" : "_"
        var sd: [String: Tensor] = [:]
        let embedding = try t("model.embed_tokens.weight")
        sd["embed.W_E"] = embedding
        for l in 0..<c.nLayers {
            let p = "model.layers.\(l).", q = "blocks.\(l)."
            sd[q + "ln1.w"] = try t(p + "input_layernorm.weight")
            sd[q + "ln2.w"] = try t(p + "post_attention_layernorm.weight")
            // nn.Linear stores [out, in]; the output rows are head-major.
            for (proj, name, heads) in [("q_proj", "Q", h), ("k_proj", "K", kv), ("v_proj", "V", kv)] {
                let key = name == "Q" ? "" : g
                sd[q + "attn.\(key)W_\(name)"] = try t(p + "self_attn.\(proj).weight").reshaped(heads, dh, d).permuted(0, 2, 1)
                sd[q + "attn.\(key)b_\(name)"] = try file.optionalTensor(p + "self_attn.\(proj).bias")?.reshaped(heads, dh)
                    ?? .zeros([heads, dh])
            }
            sd[q + "attn.W_O"] = try t(p + "self_attn.o_proj.weight").transposed().reshaped(h, dh, d)
            sd[q + "attn.b_O"] = try file.optionalTensor(p + "self_attn.o_proj.bias") ?? .zeros([d])
            sd[q + "mlp.W_in"] = try t(p + "mlp.up_proj.weight").transposed()
            sd[q + "mlp.W_gate"] = try t(p + "mlp.gate_proj.weight").transposed()
            sd[q + "mlp.W_out"] = try t(p + "mlp.down_proj.weight").transposed()
            sd[q + "mlp.b_in"] = .zeros([c.dMLP])
            sd[q + "mlp.b_out"] = .zeros([d])
        }
        sd["ln_final.w"] = try t("model.norm.weight")
        let tied = (hf["tie_word_embeddings"] as? Bool) ?? false
        sd["unembed.W_U"] = (tied ? embedding : try t("lm_head.weight")).transposed()
        sd["unembed.b_U"] = .zeros([c.dVocabOut])
        return sd
    }
}
