/// Token embedding: `hook_embed = W_E[tokens]`.
public struct Embed {
    /// `W_E` in TransformerLens, [d_vocab, d_model].
    public var wE: Tensor

    /// [batch, pos] token ids (already validated) → [batch, pos, d_model].
    func callAsFunction(_ tokens: IntTensor) -> Tensor {
        wE.indexSelect(tokens, axis: 0)
    }

    mutating func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try body("embed.W_E", &wE)
    }
}

/// Learned absolute positions: `hook_pos_embed = W_pos[0 ..< pos]`, broadcast over the batch.
public struct PosEmbed {
    /// `W_pos` in TransformerLens, [n_ctx, d_model].
    public var wPos: Tensor

    /// The first `positions` rows of `W_pos` repeated for each of `batch` sequences:
    /// [batch, pos, d_model].
    func callAsFunction(batch: Int, positions: Int) -> Tensor {
        let rows = wPos[..<positions]
        return rows.unsqueezed(axis: 0).expanded(to: [batch, positions, rows.shape[1]])
    }

    mutating func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try body("pos_embed.W_pos", &wPos)
    }
}

/// The unembedding: logits = residual · W_U + b_U.
public struct Unembed {
    /// `W_U` in TransformerLens, [d_model, d_vocab_out].
    public var wU: Tensor
    /// `b_U`, [d_vocab_out].
    public var bU: Tensor
    let packs = PackedWeights()

    /// [batch, pos, d_model] → [batch, pos, d_vocab_out].
    func callAsFunction(_ x: Tensor) -> Tensor {
        x.matmul(wU, bias: bU, packed: packs.get(0, wU, rows: x.count / wU.shape[0]))
    }

    mutating func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try body("unembed.W_U", &wU)
        try body("unembed.b_U", &bU)
    }
}
