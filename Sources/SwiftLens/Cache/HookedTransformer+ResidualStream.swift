// What the model's weights write into, and read from, the residual stream — the pieces the cache
// analyses combine with cached activations: the unembedding direction of a token
// (`logitAttrs`) and the biases accumulated before a layer (`fullResidDecomposition`).

extension HookedTransformer {
    /// The unembedding directions of `tokens`, TransformerLens's `tokens_to_residual_directions`:
    /// `W_U[:, t]` for each token, shaped `tokens.shape + [d_model]` — or [d_model] when
    /// `tokens` holds a single token (as in TransformerLens).
    /// - Throws: ``CacheAnalysisError`` for no tokens or an id outside 0..<d_vocab_out.
    public func tokensToResidualDirections(_ tokens: IntTensor) throws -> Tensor {
        guard tokens.count > 0 else { throw CacheAnalysisError.invalidArgument("tokensToResidualDirections needs at least one token") }
        let vocabulary = config.dVocabOut
        if let bad = tokens.scalars.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw CacheAnalysisError.invalidArgument("token id \(bad) is outside the output vocabulary 0..<\(vocabulary)")
        }
        let rows = unembed.wU.transposed(0, 1)
        return tokens.count == 1 ? rows[tokens.scalars[0]] : rows.indexSelect(tokens, axis: 0)
    }

    /// `W_U[:, token]`, [d_model].
    public func tokenToResidualDirection(_ token: Int) throws -> Tensor {
        try tokensToResidualDirections(IntTensor([token]))
    }

    /// The biases written into the residual stream before `layer`, TransformerLens's
    /// `accumulated_bias`: Σ_{l < layer} `b_O` (+ `b_out` with `includeMLPBiases`), plus `b_O`
    /// of `layer` with `mlpInput`. [d_model]
    public func accumulatedBias(layer: Int, mlpInput: Bool = false, includeMLPBiases: Bool = true) throws -> Tensor {
        let n = config.nLayers
        guard layer >= 0 && layer <= n else { throw CacheAnalysisError.layerOutOfRange(layer, valid: 0...n) }
        if mlpInput && layer == n {
            throw CacheAnalysisError.invalidArgument("accumulatedBias: mlpInput needs a layer below n_layers (\(n))")
        }
        var total = Tensor.zeros([config.dModel])
        for block in blocks.prefix(layer) {
            total += block.attn.bO
            if includeMLPBiases, let mlp = block.mlp { total += mlp.bOut }
        }
        if mlpInput { total += blocks[layer].attn.bO }
        return total
    }
}
