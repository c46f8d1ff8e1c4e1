/// A GGUF file seen as a Hugging Face checkpoint: llama.cpp's tensor names (`blk.N.attn_q.weight`)
/// under Hugging Face's (`model.layers.N.self_attn.q_proj.weight`), in Hugging Face's layouts,
/// so the Hugging Face conversion (``HuggingFaceCheckpoint``) and its checks serve GGUF too.
///
/// Layouts undone here:
/// - `llama`: llama.cpp's converter permutes the rows of `attn_q` (per query head) and `attn_k`
///   (per key-value head) so that its adjacent-pair rotary equals Hugging Face's rotate-half one:
///   within a head of D rows, GGUF row 2i is Hugging Face row i and row 2i + 1 is row D/2 + i.
///   Without the un-permute the model still writes fluent text, but every `hook_q`/`hook_k`
///   dimension is shuffled and the logits move (SmolLM2's loss rises from 3.37 to 4.50).
/// - `gpt2`: llama.cpp stores `attn_qkv`, `attn_output`, `ffn_up`, `ffn_down` as [out, in];
///   Hugging Face GPT-2's Conv1D stores [in, out], so they are transposed back.
/// - `qwen2`: no permutation (its rotary is already rotate-half).
struct GGUFArchive: TensorArchive {
    let file: GGUFFile
    let architecture: Architecture
    /// Query and key-value heads (for the `llama` un-permute).
    let heads: Int, keyValueHeads: Int
    /// Hugging Face name → GGUF name, for every tensor the file holds.
    private let gguf: [String: String]
    /// GGUF names without a Hugging Face counterpart (reported as unexpected under their own name).
    private let unmapped: [String]

    enum Architecture: String, CaseIterable {
        case llama, qwen2, gpt2
    }

    init(_ file: GGUFFile, architecture: Architecture, heads: Int, keyValueHeads: Int) {
        self.file = file
        self.architecture = architecture
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        var gguf: [String: String] = [:], unmapped: [String] = []
        for info in file.tensors {
            if let hf = Self.huggingFaceName(info.name, architecture) { gguf[hf] = info.name } else { unmapped.append(info.name) }
        }
        self.gguf = gguf
        self.unmapped = unmapped
    }

    var path: String { file.path }
    var tensorNames: [String] { Array(gguf.keys) + unmapped }

    func shape(of name: String) -> [Int]? {
        guard let stored = gguf[name] ?? unmapped.first(where: { $0 == name }), let info = try? file.tensorInfo(named: stored) else {
            return nil
        }
        return transposes(name) && info.shape.count == 2 ? [info.shape[1], info.shape[0]] : info.shape
    }

    func nonFloatingType(of name: String) -> String? { nil }

    func tensor(_ name: String) throws -> Tensor {
        guard let stored = gguf[name] else { throw CheckpointError.missingTensor(names: [name], file: path) }
        var t = try file.tensor(named: stored)
        if transposes(name), t.rank == 2 { t = t.transposed() }
        if architecture == .llama, let heads = permutedHeads(name) { t = Self.undoRotaryPermutation(t, heads: heads) }
        return t
    }

    /// GPT-2's matrices llama.cpp stores transposed.
    private func transposes(_ name: String) -> Bool {
        architecture == .gpt2 && name.hasSuffix(".weight")
            && ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"].contains { name.contains($0) }
    }

    /// The head count whose rows llama.cpp permuted in tensor `name` (q: query heads, k: key-value heads).
    private func permutedHeads(_ name: String) -> Int? {
        if name.contains(".self_attn.q_proj.") { return heads }
        if name.contains(".self_attn.k_proj.") { return keyValueHeads }
        return nil
    }

    /// Rows of [heads·D, …] (or a [heads·D] bias) from llama.cpp's order back to Hugging Face's:
    /// view each head's rows as (D/2, 2), swap the two axes.
    static func undoRotaryPermutation(_ t: Tensor, heads: Int) -> Tensor {
        let rows = t.shape[0], d = rows / heads
        let rest = Array(t.shape.dropFirst())
        let split = t.reshaped([heads, d / 2, 2] + rest)
        let order = [0, 2, 1] + rest.indices.map { $0 + 3 }
        return split.permuted(order).reshaped(t.shape)
    }

    /// llama.cpp's name → Hugging Face's, nil for a tensor the conversion does not know.
    static func huggingFaceName(_ name: String, _ architecture: Architecture) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if architecture == .gpt2 {
            let top = ["token_embd.weight": "transformer.wte.weight", "position_embd.weight": "transformer.wpe.weight",
                       "output_norm.weight": "transformer.ln_f.weight", "output_norm.bias": "transformer.ln_f.bias",
                       "output.weight": "lm_head.weight"]
            if let mapped = top[name] { return mapped }
            guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
            let block = ["attn_norm": "ln_1", "attn_qkv": "attn.c_attn", "attn_output": "attn.c_proj", "ffn_norm": "ln_2",
                         "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj"]
            guard let mapped = block[parts[2]], parts[3] == "weight" || parts[3] == "bias" else { return nil }
            return "transformer.h.\(layer).\(mapped).\(parts[3])"
        }
        let top = ["token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
                   "output.weight": "lm_head.weight"]
        if let mapped = top[name] { return mapped }
        guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let block = ["attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                     "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                     "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                     "ffn_down": "mlp.down_proj"]
        guard let mapped = block[parts[2]], parts[3] == "weight" || parts[3] == "bias" else { return nil }
        return "model.layers.\(layer).\(mapped).\(parts[3])"
    }
}
