import Foundation

/// A GGUF file (llama.cpp, Ollama, LM Studio) converted to a TransformerLens config and state
/// dict: its `general.architecture` metadata becomes the Hugging Face config it was converted
/// from, its tensors are read under Hugging Face's names and layouts (``GGUFArchive``), and the
/// Hugging Face conversion does the rest — with its checks: every tensor's shape against the
/// config before any weight is read, nothing missing, nothing left over.
///
/// Architectures: `llama` (SmolLM2, TinyLlama, Mistral-style; grouped-query attention; tied or
/// separate output), `qwen2` (q/k/v biases) and `gpt2`; any other is an error naming it.
/// Weights are dequantised to Float32 (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K…Q6_K).
enum GGUFCheckpoint {
    static func stateDict(_ file: GGUFFile) throws -> (HookedTransformerConfig, [String: Tensor]) {
        let name = try file.string("general.architecture")
        guard let architecture = GGUFArchive.Architecture(rawValue: name) else {
            throw ModelError.unsupportedCheckpoint("GGUF architecture \"\(name)\" in \(file.path); supported: "
                                                   + GGUFArchive.Architecture.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let fields = try huggingFaceFields(file, architecture)
        let hf = HuggingFaceConfig(fields: fields, path: file.path + " (GGUF metadata)")
        let tied = fields["tie_word_embeddings"] == .bool(true)
        if architecture == .gpt2 {
            let config = try HuggingFaceCheckpoint.gpt2Config(hf)
            let archive = GGUFArchive(file, architecture: .gpt2, heads: config.nHeads, keyValueHeads: config.nHeads)
            let checked = try CheckedCheckpoint(archive, expecting: try HuggingFaceCheckpoint.gpt2Expected(config, hf: hf),
                                                tolerated: { _ in false })
            return (config, try HuggingFaceCheckpoint.gpt2StateDict(checked, config, tied: tied))
        }
        let config = try HuggingFaceCheckpoint.llamaConfig(hf)
        var expected = try HuggingFaceCheckpoint.llamaExpected(config, hf: hf)
        if architecture == .qwen2 {
            // Qwen2 has biases on q, k and v (not on the output projection).
            for l in 0..<config.nLayers {
                for (proj, heads) in [("q_proj", config.nHeads), ("k_proj", config.keyValueHeads), ("v_proj", config.keyValueHeads)] {
                    expected.append(.init(["model.layers.\(l).self_attn.\(proj).bias"], [heads * config.dHead]))
                }
            }
        }
        let archive = GGUFArchive(file, architecture: architecture, heads: config.nHeads, keyValueHeads: config.keyValueHeads)
        // `rope_freqs.weight` (llama3-style rope scaling) is refused: only default rotary is supported.
        let checked = try CheckedCheckpoint(archive, expecting: expected, tolerated: { _ in false })
        var (converted, sd) = (config, try HuggingFaceCheckpoint.llamaStateDict(checked, config, tied: tied))
        if architecture == .qwen2 { converted.originalArchitecture = "Qwen2ForCausalLM" }
        return (converted, sd)
    }

    /// The Hugging Face config fields the file's `{arch}.*` metadata stands for (the mapping
    /// transformers uses to load a GGUF), each read with its type checked.
    static func huggingFaceFields(_ file: GGUFFile, _ architecture: GGUFArchive.Architecture) throws -> [String: JSONValue] {
        let a = architecture.rawValue
        func integer(_ key: String) throws -> JSONValue { .integer(try file.integer("\(a).\(key)")) }
        func optionalInteger(_ key: String) throws -> JSONValue? {
            file.metadata["\(a).\(key)"] == nil ? nil : try integer(key)
        }
        func number(_ key: String) throws -> JSONValue? {
            file.metadata["\(a).\(key)"] == nil ? nil : .number(try file.float("\(a).\(key)"))
        }
        let vocabulary: JSONValue = try optionalInteger("vocab_size")
            ?? .integer(try file.array("tokenizer.ggml.tokens").count)
        let tied = !file.tensors.contains { $0.name == "output.weight" }
        var fields: [String: JSONValue] = ["vocab_size": vocabulary, "tie_word_embeddings": .bool(tied)]
        switch architecture {
        case .gpt2:
            fields["model_type"] = .string("gpt2")
            fields["n_embd"] = try integer("embedding_length")
            fields["n_layer"] = try integer("block_count")
            fields["n_head"] = try integer("attention.head_count")
            fields["n_positions"] = try integer("context_length")
            fields["n_inner"] = try optionalInteger("feed_forward_length")
            fields["layer_norm_epsilon"] = try number("attention.layer_norm_epsilon")
        case .llama, .qwen2:
            fields["model_type"] = .string("llama")
            fields["hidden_size"] = try integer("embedding_length")
            fields["num_hidden_layers"] = try integer("block_count")
            fields["intermediate_size"] = try integer("feed_forward_length")
            fields["num_attention_heads"] = try integer("attention.head_count")
            fields["num_key_value_heads"] = try optionalInteger("attention.head_count_kv")
            fields["head_dim"] = try optionalInteger("attention.key_length")
            fields["max_position_embeddings"] = try integer("context_length")
            fields["rms_norm_eps"] = try number("attention.layer_norm_rms_epsilon")
            // llama.cpp's default when the file has none.
            fields["rope_theta"] = try number("rope.freq_base") ?? .number(10_000)
            if let dims = try optionalInteger("rope.dimension_count"), let heads = fields["num_attention_heads"]?.integer,
               let width = fields["hidden_size"]?.integer {
                let headWidth = fields["head_dim"]?.integer ?? width / max(heads, 1)
                guard dims.integer == headWidth else {
                    throw ConfigError.unsupported(field: "\(a).rope.dimension_count", value: "\(dims.integer ?? 0)",
                                                  supported: "the head width \(headWidth) (partial rotary is not read from GGUF)")
                }
            }
        }
        fields["_name_or_path"] = (try? file.string("general.name")).map(JSONValue.string) ?? .string(a)
        return fields
    }

    /// The file's byte-level BPE tokenizer (`tokenizer.ggml.model = "gpt2"`) with its BOS/EOS
    /// ids and BOS policy (`tokenizer.ggml.add_bos_token`, default false: llama.cpp's default
    /// for BPE vocabularies); nil for a file without a tokenizer. Other tokenizer models
    /// (SentencePiece `llama`) are an error naming them.
    static func tokenizer(_ file: GGUFFile) throws -> TokenizerBinding? {
        guard file.metadata["tokenizer.ggml.model"] != nil else { return nil }
        let kind = try file.string("tokenizer.ggml.model")
        guard kind == "gpt2" else {
            throw ModelError.unsupportedCheckpoint("GGUF tokenizer model \"\(kind)\" in \(file.path); supported: gpt2 (byte-level BPE)")
        }
        func optional<T>(_ key: String, _ read: (String) throws -> T) throws -> T? {
            file.metadata[key] == nil ? nil : try read(key)
        }
        let types = try optional("tokenizer.ggml.token_type", file.integers)?.map { Int32(truncatingIfNeeded: $0) }
        let bpe = try BPETokenizer(ggufTokens: file.strings("tokenizer.ggml.tokens"), merges: file.strings("tokenizer.ggml.merges"),
                                   tokenTypes: types, pre: try optional("tokenizer.ggml.pre", file.string) ?? "default")
        return TokenizerBinding(bpe, bosTokenID: try optional("tokenizer.ggml.bos_token_id", file.integer),
                                eosTokenID: try optional("tokenizer.ggml.eos_token_id", file.integer),
                                prependsBOS: try optional("tokenizer.ggml.add_bos_token", file.bool) ?? false)
    }
}
