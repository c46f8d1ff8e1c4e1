/// The unembedding: logits = residual · W_U + b_U.
public struct Unembed {
    /// `W_U`, [d_model, d_vocab_out], kept in the kernel's form (see ``Weight``).
    var unembedding: Weight
    /// `b_U`, [d_vocab_out].
    public var bU: Tensor

    init(width: Int, vocabulary: Int, parameters: ParameterSource) throws {
        unembedding = try parameters.weight("unembed.W_U", [width, vocabulary])
        bU = try parameters("unembed.b_U", .bias, [vocabulary])
    }

    /// `W_U` in TransformerLens, [d_model, d_vocab_out].
    public var wU: Tensor { get { unembedding.tensor } set { unembedding.tensor = newValue } }

    /// [batch, pos, d_model] → [batch, pos, d_vocab_out].
    func callAsFunction(_ x: Tensor) -> Tensor {
        unembedding.apply(x, bias: bU)
    }

    mutating func visitParameters(_ body: ParameterVisitor) rethrows {
        try visit("unembed.W_U", &unembedding, body)
        try visit("unembed.b_U", .bias, &bU, body)
    }
}
