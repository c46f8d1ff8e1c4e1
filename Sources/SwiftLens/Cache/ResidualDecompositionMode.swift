/// Which sublayer outputs ``ActivationCache/decomposeResid(layer:mlpInput:mode:applyLN:positions:includeEmbeds:)``
/// lists (TransformerLens's `mode`).
public enum ResidualDecompositionMode: String, Sendable {
    /// Attention and MLP outputs.
    case all
    /// Attention outputs only.
    case attn
    /// MLP outputs only.
    case mlp
}
