import SwiftLens

/// A 1-layer attention-only model over a vocabulary of 8 whose heads attend uniformly
/// (W_Q = W_K = 0, so A[i, j] = 1/(i + 1)) and whose embedding, unembedding and residual are the
/// identity: each head's OV circuit is its `values[h / (heads / kv)]`·`outputs[h]`, so tests can
/// set copying (I), suppression (−I) or grouped-query sharing exactly.
enum UniformIdentityModel {
    static let width = 8

    /// `values`: one W_V [8, 8] per key-value head (fewer than `outputs` for grouped-query
    /// attention); `outputs`: one W_O [8, 8] per query head.
    static func make(values: [Tensor], outputs: [Tensor]) throws -> HookedTransformer {
        let (v, heads, kv) = (width, outputs.count, values.count)
        let config = HookedTransformerConfig(nLayers: 1, dModel: v, nCtx: 16, dHead: v, nHeads: heads, dVocab: v, actFn: nil,
                                             normalizationType: nil, attnOnly: true, nKeyValueHeads: kv == heads ? nil : kv)
        let model = try HookedTransformer(config: config)
        let eye = Tensor.eye(v)
        try model.setParameter("embed.W_E", eye)
        try model.setParameter("unembed.W_U", eye)
        try model.setParameter("pos_embed.W_pos", Tensor.zeros([16, v]))
        try model.setParameter("blocks.0.attn.W_Q", Tensor.zeros([heads, v, v]))
        let grouped = kv == heads ? "" : "_"
        try model.setParameter("blocks.0.attn.\(grouped)W_K", Tensor.zeros([kv, v, v]))
        try model.setParameter("blocks.0.attn.\(grouped)W_V", Tensor.stack(values))
        try model.setParameter("blocks.0.attn.W_O", Tensor.stack(outputs))
        return model
    }
}
