/// What a parameter is, declared by the component that owns it (never read from its name):
/// for choosing which parameters train (``TrainableParameters``) and how a fresh model
/// initialises them.
public enum ParameterKind: String, CaseIterable, Sendable {
    /// Weight matrices and embeddings TransformerLens names `W_…`: `W_Q`, `W_in`, `W_E`,
    /// `W_pos`, `W_U`, …
    case weight
    /// Biases of linear maps: `b_Q`, `b_in`, `b_U`, …
    case bias
    /// A LayerNorm or RMSNorm gain (`ln1.w`, `ln_final.w`; 1 in a fresh model).
    case normWeight
    /// A LayerNorm shift (`ln1.b`, `ln_final.b`).
    case normBias
    /// Smeared-key logits (`blocks.L.attn.smear`, one per head).
    case smear
}
