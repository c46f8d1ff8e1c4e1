import Foundation

/// The weight-based circuit matrices of Elhage et al. (2021), as TransformerLens's `model.QK`,
/// `model.OV` and `all_composition_scores`. They read the raw weights: LayerNorm scales and
/// positional embeddings are left out, so for a model with LayerNorm they are approximations
/// (fold the norms first with `processed()` to include their weights).
extension HookedTransformer {
    /// The attention weights of every layer stacked, [n_layers, n_heads, …], with grouped-query
    /// key/value heads repeated for each query head they serve (as TransformerLens does).
    var stackedAttentionWeights: (query: Tensor, key: Tensor, value: Tensor, output: Tensor) {
        let group = config.nHeads / max(config.keyValueHeads, 1)
        func expand(_ w: Tensor) -> Tensor { group > 1 ? w.repeatedInterleave(group, axis: 0) : w }
        return (Tensor.stack(blocks.map(\.attn.wQ)), Tensor.stack(blocks.map { expand($0.attn.wK) }),
                Tensor.stack(blocks.map { expand($0.attn.wV) }), Tensor.stack(blocks.map(\.attn.wO)))
    }

    /// The QK circuit of every head, W_Q·W_Kᵀ: [n_layers, n_heads, d_model, d_model] of rank d_head.
    /// A query residual vector x_i attends to x_j with score x_i·W_QK·x_jᵀ / √d_head (plus bias terms).
    public var QK: FactoredMatrix {
        let w = stackedAttentionWeights
        return FactoredMatrix(validated: w.query, w.key.transposed(), leading: [config.nLayers, config.nHeads])
    }

    /// The OV circuit of every head, W_V·W_O: [n_layers, n_heads, d_model, d_model] of rank d_head.
    /// A head attending to x_j writes x_j·W_OV into the residual stream (plus bias terms).
    public var OV: FactoredMatrix {
        let w = stackedAttentionWeights
        return FactoredMatrix(validated: w.value, w.output, leading: [config.nLayers, config.nHeads])
    }

    /// The full QK circuit W_E·W_QK·W_Eᵀ [n_layers, n_heads, d_vocab, d_vocab]: the attention score
    /// between token embeddings (query token = row, key token = column).
    public func fullQKCircuit() throws -> FactoredMatrix {
        let wE = embed.wE
        return try wE.matmul(QK).matmul(wE.transposed())
    }

    /// The full OV circuit W_E·W_OV·W_U [n_layers, n_heads, d_vocab, d_vocab_out]: the logits a
    /// head writes when it attends to a token (row) — direct path only.
    public func fullOVCircuit() throws -> FactoredMatrix {
        try embed.wE.matmul(OV).matmul(unembed.wU)
    }

    /// Composition scores between every earlier head (L1, H1) and later head (L2, H2),
    /// [n_layers, n_heads, n_layers, n_heads], TransformerLens's `all_composition_scores(mode)`:
    /// ‖W_OV(L1,H1)·W(L2,H2)‖_F / (‖W_OV(L1,H1)‖_F·‖W(L2,H2)‖_F), W = W_QK, W_QKᵀ or W_OV by
    /// `mode`; zero unless L1 < L2.
    public func allCompositionScores(_ mode: CompositionMode) throws -> Tensor {
        let right = switch mode {
        case .q: QK
        case .k: QK.transposed
        case .v: OV
        }
        let scores = try FactoredMatrix.compositionScores(left: OV, right: right)
        let (layers, heads) = (config.nLayers, config.nHeads)
        let layerOf = (0..<scores.count).map { (first: $0 / (heads * layers * heads), second: ($0 / heads) % layers) }
        return Tensor(shape: scores.shape, values: zip(scores.scalars, layerOf).map { $1.first < $1.second ? $0 : 0 })
    }

    /// The composition scores of random matrices of this model's shapes (d_model, d_head):
    /// the baseline an observed score should be compared with.
    public func randomCompositionBaseline(samples: Int = 200, seed: UInt64 = 0) throws -> CompositionBaseline {
        try CompositionBaseline(dModel: config.dModel, dHead: config.dHead, samples: samples, seed: seed)
    }

    /// The three copying measures of every head's full OV circuit (induction.md §1.2), from the
    /// weights alone; the top-1 accuracy, quadratic in the vocabulary, only if `topOneAccuracy`.
    /// (``LogitCopyingScore`` measures copying on tokens instead.)
    ///
    /// Without the top-1 accuracy the d_vocab-sized factors of W_E·W_OV·W_U are never built:
    /// its non-zero eigenvalues are those of the d_head × d_head product W_O·(W_U·W_E)·W_V
    /// (cyclic permutation), so the circuit is taken as W_V · (W_O·W_U·W_E), [d_model, d_model]
    /// per head — for SmolLM2 (d_vocab 49,152, 270 heads) 80 MB of factors instead of 6.8 GB.
    public func ovCopyingScores(topOneAccuracy: Bool = true) throws -> OVCopyingScores {
        guard !topOneAccuracy, config.dVocab == unembed.wU.shape[1] else {
            return try OVCopyingScores(fullOVCircuit: fullOVCircuit(), topOneAccuracy: topOneAccuracy)
        }
        let w = stackedAttentionWeights
        let unembedEmbed = unembed.wU.matmul(embed.wE)   // [d_model, d_model]
        let rotated = FactoredMatrix(validated: w.value, w.output.matmul(unembedEmbed), leading: [config.nLayers, config.nHeads])
        return try OVCopyingScores(fullOVCircuit: rotated, topOneAccuracy: false)
    }
}
