extension HookedTransformer {
    /// Each head's OV eigenvalue copying score, Re(Σλ)/Σ|λ| over the eigenvalues λ of its full
    /// OV circuit W_E·W_V·W_O·W_U, [n_layers, n_heads]: +1 for a pure copier, −1 for a pure
    /// suppressor of the token it attends to (McDougall et al. 2023 find their copy-suppression
    /// head's OV circuit strongly negative). Grouped-query key-value heads are repeated for each
    /// query head they serve.
    ///
    /// Computed affordably for large vocabularies: the circuit's non-zero eigenvalues are those
    /// of the d_head × d_head matrix W_O·(W_U·W_E)·W_V, so only the d_model × d_model product
    /// W_U·W_E is formed, never the [d_vocab, d_head] factors (for SmolLM2, 49,152 tokens × 270
    /// heads, those would take 3.4 GB each).
    ///
    /// - Parameter includingNormWeights: put the weights of the norms on the path into the
    ///   circuit — `ln1.w` before W_V, `ln_final.w` before W_U — as folding them
    ///   (`processed()`) would: W_E·diag(w₁)·W_V·W_O·diag(w_f)·W_U. Without them (false) the
    ///   score is `ovCopyingScores(topOneAccuracy: false).eigenvalueScore` exactly, the raw
    ///   weights TransformerLens's `model.OV` reads; but a norm weight with entries of both
    ///   signs can flip a direction's sign between W_V's input and the stream, so the raw
    ///   score can call a copier a suppressor. (Norm centring is left out either way.)
    public func ovEigenvalueCopyingScores(includingNormWeights: Bool = true) throws -> Tensor {
        let w = stackedAttentionWeights
        let (layers, heads) = (config.nLayers, config.nHeads)
        var value = w.value   // [layers, heads, d_model, d_head]
        var unembedding = unembed.wU   // [d_model, d_vocab]
        if includingNormWeights {
            value = Tensor.stack((0..<layers).map { l in
                guard let g = blocks[l].ln1?.w else { return value[l] }
                return value[l] * g.reshaped([1, -1, 1])
            })
            if let g = lnFinal?.w { unembedding = unembedding * g.reshaped([-1, 1]) }
        }
        let right = w.output.matmul(unembedding.matmul(embed.wE))   // [layers, heads, d_head, d_model]
        let circuit = FactoredMatrix(validated: value, right, leading: [layers, heads])
        return try OVCopyingScores(fullOVCircuit: circuit, topOneAccuracy: false).eigenvalueScore
    }
}
