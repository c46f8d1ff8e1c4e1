extension HookedTransformerConfig {
    /// Recipe R's model (README.md here): attention-only, V 64, n_ctx 64, d_model 64, 4 heads of
    /// 16, LayerNorm without weight or bias, learned positions, N(0, 0.02²) initialisation.
    /// Biases exist (TransformerLens's layout) but `TrainingConfig.recipeR` does not train them.
    public static func recipeR(layers: Int, smearKeys: Bool = false, contextLength: Int = 64, vocabularySize: Int = 64)
        -> HookedTransformerConfig {
        HookedTransformerConfig(nLayers: layers, dModel: 64, nCtx: contextLength, dHead: 16, nHeads: 4, dVocab: vocabularySize,
                                actFn: nil, normalizationType: .layerNormPre, attnOnly: true, initializerRange: 0.02,
                                modelName: "recipe-R-\(layers)L\(smearKeys ? "-smeared" : "")", smearKeys: smearKeys)
    }
}
