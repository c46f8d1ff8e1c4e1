/// Token embedding: `hook_embed = W_E[tokens]`.
public struct Embed {
    /// `W_E` in TransformerLens, [d_vocab, d_model].
    public var wE: Tensor
    /// `hook_embed` [batch, pos, d_model].
    public let point = HookPoint(.embed, .residual)

    init(vocabulary: Int, width: Int, parameters: ParameterSource) throws {
        wE = try parameters("embed.W_E", .weight, [vocabulary, width])
    }

    /// [batch, pos] token ids (already validated) → [batch, pos, d_model], fired at `hook_embed`.
    func callAsFunction(_ tokens: IntTensor, pass: ForwardPass) throws -> Tensor {
        try pass.fire(point, wE.indexSelect(tokens, axis: 0))
    }

    mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try visit("embed.W_E", .weight, &wE, body)
    }
}
