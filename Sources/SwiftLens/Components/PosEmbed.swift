/// Learned absolute positions: `hook_pos_embed = W_pos[offset ..< offset + pos]`, broadcast
/// over the batch.
public struct PosEmbed {
    /// `W_pos` in TransformerLens, [n_ctx, d_model].
    public var wPos: Tensor
    /// `hook_pos_embed` [batch, pos, d_model].
    public let point = HookPoint(.posEmbed, .residual)

    init(context: Int, width: Int, parameters: ParameterSource) throws {
        wPos = try parameters("pos_embed.W_pos", .weight, [context, width])
    }

    /// Rows `offset ..< offset + positions` of `W_pos` repeated for each of `batch` sequences:
    /// [batch, pos, d_model] (not fired: shortformer models add it to queries and keys only).
    func rows(batch: Int, positions: Int, offset: Int) -> Tensor {
        let rows = wPos[offset..<(offset + positions)]
        return rows.unsqueezed(axis: 0).expanded(to: [batch, positions, rows.shape[1]])
    }

    mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try visit("pos_embed.W_pos", .weight, &wPos, body)
    }
}
