import Foundation

/// Hugging Face GPT-2 and LLaMA checkpoints (`config.json` + `model.safetensors`, or the shards of
/// `model.safetensors.index.json`; F32, F16, BF16 or F64 weights, read as Float32), converted to
/// TransformerLens parameter names and shapes as TransformerLens's own conversions do.
///
/// The config is read strictly first (``HuggingFaceConfig``: every field the conversion uses has
/// its type and range checked), then every tensor's name, dtype and shape in the file's header
/// is checked against it (``CheckedCheckpoint``: nothing missing, nothing left over but the
/// known buffers, no shape that merely has the right element count) before any weight is read; the weights are then read and converted
/// one tensor at a time, so the only full copy in memory is the converted state dict.
enum HuggingFaceCheckpoint {
    /// The TransformerLens config and state dict of the checkpoint in `directory`, whose
    /// `config.json` (at `configPath`) holds `fields`.
    static func stateDict(directory: URL, fields: [String: JSONValue], configPath: String) throws -> (HookedTransformerConfig, [String: Tensor]) {
        let hf = HuggingFaceConfig(fields: fields, path: configPath)
        let modelType = try hf.string("model_type", default: "")
        let architectures = try hf.strings("architectures")
        // `model_type` decides when present; `architectures` otherwise.
        let isGPT2 = modelType.isEmpty ? architectures.contains("GPT2LMHeadModel") : modelType == "gpt2"
        let isLlama = modelType.isEmpty ? architectures.contains("LlamaForCausalLM") : modelType == "llama"
        guard isGPT2 || isLlama else {
            throw ModelError.unsupportedCheckpoint("Hugging Face model_type \"\(modelType)\" (architectures \(architectures)) in \(configPath); supported: gpt2, llama")
        }
        // Which files hold the weights is settled first (a directory without any fails before its
        // config is judged), but their headers are read only once the config is valid.
        let layout = try HuggingFaceWeights.layout(directory: directory)
        if isGPT2 {
            let config = try gpt2Config(hf)
            let weights = try HuggingFaceWeights.open(layout)
            let file = try CheckedCheckpoint(weights, expecting: try gpt2Expected(config, hf: hf), tolerated: isGPT2Buffer)
            return (config, try gpt2StateDict(file, config, tied: try hf.boolean("tie_word_embeddings", default: true)))
        }
        let config = try llamaConfig(hf)
        let weights = try HuggingFaceWeights.open(layout)
        let file = try CheckedCheckpoint(weights, expecting: try llamaExpected(config, hf: hf), tolerated: isLlamaBuffer)
        return (config, try llamaStateDict(file, config, tied: try hf.boolean("tie_word_embeddings", default: false)))
    }

    /// GPT-2's causal-mask buffers (`h.N.attn.bias`, `h.N.attn.masked_bias`), which older
    /// checkpoints store and the conversion rebuilds from the config.
    static func isGPT2Buffer(_ name: String) -> Bool {
        let bare = name.hasPrefix("transformer.") ? String(name.dropFirst("transformer.".count)) : name
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "h" && Int(parts[1]) != nil && parts[2] == "attn"
            && (parts[3] == "bias" || parts[3] == "masked_bias")
    }

    /// LLaMA's rotary `inv_freq` buffers (per layer, or one for the model), which the
    /// conversion recomputes from the config.
    static func isLlamaBuffer(_ name: String) -> Bool {
        name == "model.rotary_emb.inv_freq" || (name.hasPrefix("model.layers.") && name.hasSuffix(".self_attn.rotary_emb.inv_freq"))
    }

    // MARK: Config

    static func gpt2Config(_ hf: HuggingFaceConfig) throws -> HookedTransformerConfig {
        let d = try hf.integer("n_embd"), heads = try hf.integer("n_head")
        guard d % heads == 0 else {
            throw hf.invalid("n_head", expected: "a divisor of n_embd (\(d))", found: "\(heads)")
        }
        try hf.require("add_cross_attention", is: false, because: "TransformerLens models have no cross-attention")
        let positions = try hf.integer("n_positions")
        let context = try hf.integer("n_ctx", default: positions)
        guard context <= positions else {
            throw hf.invalid("n_ctx", expected: "at most n_positions (\(positions))", found: "\(context)")
        }
        var c = HookedTransformerConfig(nLayers: try hf.integer("n_layer"), dModel: d, nCtx: context,
                                        dHead: d / heads, nHeads: heads, dMLP: try hf.integer("n_inner", default: 4 * d),
                                        dVocab: try hf.integer("vocab_size"),
                                        actFn: try hf.activation("activation_function", default: .geluNew),
                                        eps: Float(try hf.positiveNumber("layer_norm_epsilon", default: 1e-5)),
                                        normalizationType: .layerNorm,
                                        useAttnScale: try hf.boolean("scale_attn_weights", default: true),
                                        scaleAttnByInverseLayerIdx: try hf.boolean("scale_attn_by_inverse_layer_idx", default: false),
                                        modelName: try hf.string("_name_or_path", default: "gpt2"))
        c.originalArchitecture = "GPT2LMHeadModel"
        return try c.validated()
    }

    static func llamaConfig(_ hf: HuggingFaceConfig) throws -> HookedTransformerConfig {
        let d = try hf.integer("hidden_size"), heads = try hf.integer("num_attention_heads")
        let dHead: Int
        if let given = try hf.optionalInteger("head_dim") {
            dHead = given
        } else {
            guard d % heads == 0 else {
                throw hf.invalid("num_attention_heads", expected: "a divisor of hidden_size (\(d)) when head_dim is not given", found: "\(heads)")
            }
            dHead = d / heads
        }
        guard dHead % 2 == 0 else {
            throw hf.invalid("head_dim", expected: "an even number (rotary embeddings rotate pairs)", found: "\(dHead)")
        }
        let kv = try hf.integer("num_key_value_heads", default: heads)
        guard heads % kv == 0 else {
            throw hf.invalid("num_key_value_heads", expected: "a divisor of num_attention_heads (\(heads))", found: "\(kv)")
        }
        let rope = try hf.object("rope_parameters") ?? hf.object("rope_scaling")
        if let rope {
            let type = try rope.string("rope_type", default: try rope.string("type", default: "default"))
            guard type == "default" else { throw ConfigError.unsupported(field: "rope_type", value: "\"\(type)\" (in \(rope.path))", supported: "default") }
        }
        let theta = try rope?.positiveNumber("rope_theta", default: try hf.positiveNumber("rope_theta", default: 10000))
            ?? hf.positiveNumber("rope_theta", default: 10000)
        try hf.require("mlp_bias", is: false, because: "TransformerLens's gated MLP has one bias")
        var c = HookedTransformerConfig(nLayers: try hf.integer("num_hidden_layers"), dModel: d,
                                        nCtx: try hf.integer("max_position_embeddings"), dHead: dHead, nHeads: heads,
                                        dMLP: try hf.integer("intermediate_size"), dVocab: try hf.integer("vocab_size"),
                                        actFn: try hf.activation("hidden_act", default: .silu),
                                        eps: Float(try hf.positiveNumber("rms_norm_eps", default: 1e-6)), normalizationType: .rms, finalRMS: true,
                                        positionalEmbeddingType: .rotary, rotaryDim: dHead, rotaryBase: Float(theta),
                                        rotaryAdjacentPairs: false, gatedMLP: true, nKeyValueHeads: kv == heads ? nil : kv,
                                        modelName: try hf.string("_name_or_path", default: "llama"))
        c.originalArchitecture = "LlamaForCausalLM"
        return try c.validated()
    }

    // MARK: Expected shapes

    /// Every tensor a GPT-2 checkpoint of config `c` holds, with the shape the config implies.
    /// Names may carry the `transformer.` prefix or not. `lm_head.weight` is optional when the
    /// embeddings are tied (the default; it is then a copy of `wte`, not read) and required when
    /// they are not. Any other tensor but the mask buffers (``isGPT2Buffer(_:)``) is an error.
    static func gpt2Expected(_ c: HookedTransformerConfig, hf: HuggingFaceConfig) throws -> [CheckedCheckpoint.Expected] {
        let (d, m) = (c.dModel, c.dMLP)
        let positions = try hf.integer("n_positions")
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
        let tied = try hf.boolean("tie_word_embeddings", default: true)
        expected += [e("ln_f.weight", [d]), e("ln_f.bias", [d]), .init(["lm_head.weight"], [c.dVocabOut, d], optional: tied)]
        return expected
    }

    /// Every tensor a LLaMA checkpoint of config `c` holds (nn.Linear weights are [out, in]).
    /// Projection biases are required when `attention_bias` is true and absent otherwise;
    /// `lm_head.weight` is required unless the embeddings are tied (then optional, not read). Any
    /// other tensor but rotary `inv_freq` buffers (``isLlamaBuffer(_:)``) is an error.
    static func llamaExpected(_ c: HookedTransformerConfig, hf: HuggingFaceConfig) throws -> [CheckedCheckpoint.Expected] {
        let (d, h, kv, dh, m) = (c.dModel, c.nHeads, c.keyValueHeads, c.dHead, c.dMLP)
        let bias = try hf.boolean("attention_bias", default: false)
        func e(_ name: String, _ shape: [Int], optional: Bool = false) -> CheckedCheckpoint.Expected { .init([name], shape, optional: optional) }
        var expected = [e("model.embed_tokens.weight", [c.dVocab, d])]
        for l in 0..<c.nLayers {
            let p = "model.layers.\(l)."
            expected += [e(p + "input_layernorm.weight", [d]), e(p + "post_attention_layernorm.weight", [d])]
            for (proj, heads) in [("q_proj", h), ("k_proj", kv), ("v_proj", kv)] {
                expected.append(e(p + "self_attn.\(proj).weight", [heads * dh, d]))
                if bias { expected.append(e(p + "self_attn.\(proj).bias", [heads * dh])) }
            }
            expected.append(e(p + "self_attn.o_proj.weight", [d, h * dh]))
            if bias { expected.append(e(p + "self_attn.o_proj.bias", [d])) }
            expected += [e(p + "mlp.up_proj.weight", [m, d]), e(p + "mlp.gate_proj.weight", [m, d]), e(p + "mlp.down_proj.weight", [d, m])]
        }
        expected.append(e("model.norm.weight", [d]))
        let tied = try hf.boolean("tie_word_embeddings", default: false)
        expected.append(e("lm_head.weight", [c.dVocabOut, d], optional: tied))
        return expected
    }

    // MARK: Weights

    /// Reads and converts a checked GPT-2 checkpoint, one tensor at a time.
    static func gpt2StateDict(_ file: CheckedCheckpoint, _ c: HookedTransformerConfig, tied: Bool) throws -> [String: Tensor] {
        func t(_ name: String) throws -> Tensor { try file.tensor("transformer." + name) }
        let (d, h, dh) = (c.dModel, c.nHeads, c.dHead)
        var sd: [String: Tensor] = [:]
        sd["embed.W_E"] = try t("wte.weight")
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
        // lm_head is usually tied to wte (and then not stored, or a copy Hugging Face ignores):
        // the loader derives W_U = W_Eᵀ (see ``HookedTransformer/tieUnembedding(_:processing:)``).
        if !tied { sd["unembed.W_U"] = try file.tensor("lm_head.weight").transposed() }
        sd["unembed.b_U"] = .zeros([c.dVocabOut])
        return sd
    }

    /// Reads and converts a checked LLaMA checkpoint, one tensor at a time.
    /// `skipping`: TransformerLens names the caller supplies in another form (a GGUF file's
    /// quantised matrices), not read here.
    static func llamaStateDict(_ file: CheckedCheckpoint, _ c: HookedTransformerConfig, tied: Bool,
                               skipping: Set<String> = []) throws -> [String: Tensor] {
        func t(_ name: String) throws -> Tensor { try file.tensor(name) }
        let (d, h, kv, dh) = (c.dModel, c.nHeads, c.keyValueHeads, c.dHead)
        let g = c.nKeyValueHeads == nil ? "" : "_"
        var sd: [String: Tensor] = [:]
        func put(_ name: String, _ value: () throws -> Tensor) rethrows {
            if !skipping.contains(name) { sd[name] = try value() }
        }
        try put("embed.W_E") { try t("model.embed_tokens.weight") }
        for l in 0..<c.nLayers {
            let p = "model.layers.\(l).", q = "blocks.\(l)."
            sd[q + "ln1.w"] = try t(p + "input_layernorm.weight")
            sd[q + "ln2.w"] = try t(p + "post_attention_layernorm.weight")
            // nn.Linear stores [out, in]; the output rows are head-major.
            for (proj, name, heads) in [("q_proj", "Q", h), ("k_proj", "K", kv), ("v_proj", "V", kv)] {
                let key = name == "Q" ? "" : g
                try put(q + "attn.\(key)W_\(name)") { try t(p + "self_attn.\(proj).weight").reshaped(heads, dh, d).permuted(0, 2, 1) }
                sd[q + "attn.\(key)b_\(name)"] = try file.optionalTensor(p + "self_attn.\(proj).bias")?.reshaped(heads, dh)
                    ?? .zeros([heads, dh])
            }
            try put(q + "attn.W_O") { try t(p + "self_attn.o_proj.weight").transposed().reshaped(h, dh, d) }
            sd[q + "attn.b_O"] = try file.optionalTensor(p + "self_attn.o_proj.bias") ?? .zeros([d])
            try put(q + "mlp.W_in") { try t(p + "mlp.up_proj.weight").transposed() }
            try put(q + "mlp.W_gate") { try t(p + "mlp.gate_proj.weight").transposed() }
            try put(q + "mlp.W_out") { try t(p + "mlp.down_proj.weight").transposed() }
            sd[q + "mlp.b_in"] = .zeros([c.dMLP])
            sd[q + "mlp.b_out"] = .zeros([d])
        }
        sd["ln_final.w"] = try t("model.norm.weight")
        // Tied: the loader derives W_U = W_Eᵀ (see ``HookedTransformer/tieUnembedding(_:processing:)``).
        if !tied { try put("unembed.W_U") { try t("lm_head.weight").transposed() } }
        sd["unembed.b_U"] = .zeros([c.dVocabOut])
        return sd
    }
}
