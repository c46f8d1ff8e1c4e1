/// Token embedding: `hook_embed = W_E[tokens]`.
public struct Embed {
    /// `W_E`, [d_vocab, d_model], a table of rows (see ``Weight``): plain, or a GGUF file's
    /// quantised rows, of which a pass decodes only the rows of its tokens.
    var table: Weight
    /// `hook_embed` [batch, pos, d_model].
    public let point = HookPoint(.embed, .residual)

    init(vocabulary: Int, width: Int, parameters: ParameterSource) throws {
        table = try parameters.weight("embed.W_E", [vocabulary, width], layout: .rowTable)
    }

    /// `W_E` in TransformerLens, [d_vocab, d_model].
    public var wE: Tensor { get { table.tensor } set { table.tensor = newValue } }

    /// [batch, pos] token ids (already validated) → [batch, pos, d_model], fired at `hook_embed`.
    func callAsFunction(_ tokens: IntTensor, pass: ForwardPass) throws -> Tensor {
        try pass.fire(point, table.rows(tokens))
    }

    mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try visit("embed.W_E", &table, body)
    }
}
