extension HookedTransformer {
    /// Each head's OV eigenvalue copying score, Re(Σλ)/Σ|λ| over the eigenvalues λ of its full
    /// OV circuit W_E·W_V·W_O·W_U, [n_layers, n_heads]: +1 for a pure copier, −1 for a pure
    /// suppressor of the token it attends to (McDougall et al. 2023 find their copy-suppression
    /// head's OV circuit strongly negative). The same number as
    /// `ovCopyingScores(topOneAccuracy: false).eigenvalueScore`, computed affordably for large
    /// vocabularies: the circuit's non-zero eigenvalues are those of the d_head × d_head matrix
    /// W_O·(W_U·W_E)·W_V, so only the d_model × d_model product W_U·W_E is formed, never the
    /// [d_vocab, d_head] factors (for SmolLM2, 49,152 tokens × 270 heads, those would take 3.4 GB
    /// each). Grouped-query key-value heads are repeated for each query head they serve.
    public func ovEigenvalueCopyingScores() throws -> Tensor {
        let w = stackedAttentionWeights
        let (layers, heads) = (config.nLayers, config.nHeads)
        let unembedThenEmbed = unembed.wU.matmul(embed.wE)   // [d_model, d_model]
        let right = w.output.matmul(unembedThenEmbed)           // [layers, heads, d_head, d_model]
        let circuit = FactoredMatrix(validated: w.value, right, leading: [layers, heads])
        return try OVCopyingScores(fullOVCircuit: circuit, topOneAccuracy: false).eigenvalueScore
    }
}
