extension HookedTransformerConfig {
    /// Every TransformerLens parameter this config implies, with its shape, in module order:
    /// what a TransformerLens-layout checkpoint must hold. Lets a loader check a file's header
    /// before reading any weight. Must agree with the components `HookedTransformer` builds
    /// (a test compares the two).
    var parameterShapes: [(name: String, shape: [Int])] {
        let d = dModel, h = nHeads, kv = keyValueHeads, dh = dHead
        var shapes: [(name: String, shape: [Int])] = [("embed.W_E", [dVocab, d])]
        if positionalEmbeddingType != .rotary { shapes.append(("pos_embed.W_pos", [nCtx, d])) }
        func norm(_ prefix: String, _ kind: Normalization?) {
            if kind == .layerNorm || kind == .rms { shapes.append((prefix + ".w", [d])) }
            if kind == .layerNorm { shapes.append((prefix + ".b", [d])) }
        }
        let g = nKeyValueHeads == nil ? "" : "_"
        for l in 0..<nLayers {
            let p = "blocks.\(l)"
            norm(p + ".ln1", normalizationType)
            if !attnOnly { norm(p + ".ln2", normalizationType) }
            shapes += [
                (p + ".attn.W_Q", [h, d, dh]), (p + ".attn.\(g)W_K", [kv, d, dh]), (p + ".attn.\(g)W_V", [kv, d, dh]),
                (p + ".attn.W_O", [h, dh, d]), (p + ".attn.b_Q", [h, dh]), (p + ".attn.\(g)b_K", [kv, dh]),
                (p + ".attn.\(g)b_V", [kv, dh]), (p + ".attn.b_O", [d]),
            ]
            if smearKeys { shapes.append((p + ".attn.smear", [kv])) }
            if !attnOnly {
                shapes += [(p + ".mlp.W_in", [d, dMLP]), (p + ".mlp.b_in", [dMLP])]
                if gatedMLP { shapes.append((p + ".mlp.W_gate", [d, dMLP])) }
                shapes += [(p + ".mlp.W_out", [dMLP, d]), (p + ".mlp.b_out", [d])]
            }
        }
        var finalKind = normalizationType
        if finalRMS, let k = finalKind { finalKind = (k == .layerNorm || k == .rms) ? .rms : .rmsPre }
        norm("ln_final", finalKind)
        shapes += [("unembed.W_U", [d, dVocabOut]), ("unembed.b_U", [dVocabOut])]
        return shapes
    }
}
