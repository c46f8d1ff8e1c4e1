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
        let (config, dict, _) = try stateDict(file, keepingQuantized: false)
        return (config, dict)
    }

    /// The config and state dict; with `keepingQuantized`, the matrices a `llama` or `qwen2`
    /// file stores in a block format (Q8_0, Q4_K …, F16, BF16) are not dequantised but handed
    /// out as ``Weight``s that keep the file's blocks (see ``quantizedWeights(_:_:architecture:tied:)``),
    /// and are absent from the dict — the embedding too, as a table of rows. `gpt2` files and F32
    /// tensors are read as Float32 either way.
    static func stateDict(_ file: GGUFFile, keepingQuantized: Bool)
        throws -> (HookedTransformerConfig, [String: Tensor], [String: Weight]) {
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
            return (config, try HuggingFaceCheckpoint.gpt2StateDict(checked, config, tied: tied), [:])
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
        let prepared = keepingQuantized ? try quantizedWeights(file, config, architecture: architecture, tied: tied) : [:]
        var converted = config
        let sd = try HuggingFaceCheckpoint.llamaStateDict(checked, config, tied: tied, skipping: Set(prepared.keys))
        if architecture == .qwen2 { converted.originalArchitecture = "Qwen2ForCausalLM" }
        return (converted, sd, prepared)
    }

    /// The matrices of a `llama` / `qwen2` file kept in their block format, by TransformerLens
    /// name: each GGUF matrix is already n rows of outputs × k inputs, the form a
    /// ``QuantizedMatrix`` multiplies, so a weight is its rows copied once — `attn_q` and
    /// `attn_k` rows of `llama` files put back in Hugging Face's order on the way (whole rows
    /// move; no block is decoded). Shapes were checked against the config before (by
    /// ``CheckedCheckpoint``); each tensor's pages of the mapping are released after the copy.
    static func quantizedWeights(_ file: GGUFFile, _ c: HookedTransformerConfig, architecture: GGUFArchive.Architecture,
                                 tied: Bool) throws -> [String: Weight] {
        let (d, h, kv, dh, m) = (c.dModel, c.nHeads, c.keyValueHeads, c.dHead, c.dMLP)
        let g = c.nKeyValueHeads == nil ? "" : "_"
        var weights: [String: Weight] = [:]
        @discardableResult
        func keep(_ gguf: String, as name: String, _ layout: Weight.Layout, _ shape: [Int],
                  permutedHeads: Int? = nil) throws -> QuantizedMatrix? {
            let data = try file.rawBytes(named: gguf)
            let info = data.info
            // F32 stays on the Float32 path (the packed GEMM is faster than decoding F32 rows).
            guard let format = info.type.blockFormat, format != .F32, info.shape.count == 2 else { return nil }
            let (n, k) = (info.shape[0], info.shape[1])
            let rowBytes = format.rowByteCount(k)
            let matrix = try data.withUnsafeBytes { raw -> QuantizedMatrix in
                guard raw.count >= n * rowBytes, let base = raw.baseAddress else {
                    throw ModelError.unsupportedCheckpoint("GGUF tensor \(gguf) in \(file.path): \(raw.count) bytes, expected \(n * rowBytes)")
                }
                return QuantizedMatrix(format: format, n: n, k: k) { row in
                    base + Self.storedRow(row, permutedHeads: architecture == .llama ? permutedHeads : nil, rows: n) * rowBytes
                }
            }
            data.releasePages()
            weights[name] = Weight(quantized: matrix, layout: layout, shape: shape)
            return matrix
        }
        // The embedding is a table of rows (a pass decodes its tokens' rows); a tied
        // unembedding multiplies by the very same blocks.
        let embedding = try keep("token_embd.weight", as: "embed.W_E", .rowTable, [c.dVocab, d])
        if tied, let embedding {
            weights["unembed.W_U"] = Weight(quantized: embedding, layout: .matrix, shape: [d, c.dVocabOut])
        } else {
            try keep(tied ? "token_embd.weight" : "output.weight", as: "unembed.W_U", .matrix, [d, c.dVocabOut])
        }
        for l in 0..<c.nLayers {
            let b = "blk.\(l).", q = "blocks.\(l)."
            try keep(b + "attn_q.weight", as: q + "attn.W_Q", .toHeads, [h, d, dh], permutedHeads: h)
            try keep(b + "attn_k.weight", as: q + "attn.\(g)W_K", .toHeads, [kv, d, dh], permutedHeads: kv)
            try keep(b + "attn_v.weight", as: q + "attn.\(g)W_V", .toHeads, [kv, d, dh])
            try keep(b + "attn_output.weight", as: q + "attn.W_O", .fromHeads, [h, dh, d])
            try keep(b + "ffn_up.weight", as: q + "mlp.W_in", .matrix, [d, m])
            try keep(b + "ffn_gate.weight", as: q + "mlp.W_gate", .matrix, [d, m])
            try keep(b + "ffn_down.weight", as: q + "mlp.W_out", .matrix, [m, d])
        }
        return weights
    }

    /// The file row holding Hugging Face row `row` of a matrix whose rows llama.cpp permuted
    /// per head (`heads` heads of rows/heads rows: file row 2i is row i, file row 2i + 1 is row
    /// D/2 + i of each head); `row` itself when nothing was permuted.
    static func storedRow(_ row: Int, permutedHeads heads: Int?, rows: Int) -> Int {
        guard let heads, heads > 0 else { return row }
        let size = rows / heads, (head, r) = (row / size, row % size)
        return head * size + (r < size / 2 ? 2 * r : 2 * (r - size / 2) + 1)
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
