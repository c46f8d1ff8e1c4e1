/// What a model parameter is, for choosing which parameters train (``TrainableParameters``).
///
/// Read from the last component of its TransformerLens name — the one place the training code
/// looks at names: `W_*` (and the grouped-query `_W_*`) are weights, `b_*` (`_b_*`) biases of
/// linear maps, a norm's `w` and `b` its gain and shift, `smear` the smeared-key logits.
public enum ParameterKind: String, CaseIterable, Sendable {
    /// Weight matrices and embeddings: `W_Q`, `W_in`, `W_E`, `W_pos`, `W_U`, …
    case weight
    /// Biases of linear maps: `b_Q`, `b_in`, `b_U`, …
    case bias
    /// A LayerNorm or RMSNorm gain (`ln1.w`, `ln_final.w`).
    case normWeight
    /// A LayerNorm shift (`ln1.b`, `ln_final.b`).
    case normBias
    /// Smeared-key logits (`blocks.L.attn.smear`, one per head).
    case smear

    /// The kind of the parameter called `name` (e.g. `"blocks.0.attn.b_Q"`), or nil for a name
    /// this library does not produce.
    public init?(parameterName name: String) {
        let last = name.split(separator: ".").last.map(String.init) ?? name
        let bare = last.hasPrefix("_") ? String(last.dropFirst()) : last
        switch bare {
        case "w": self = .normWeight
        case "b": self = .normBias
        case "smear": self = .smear
        case _ where bare.hasPrefix("W_"): self = .weight
        case _ where bare.hasPrefix("b_"): self = .bias
        default: return nil
        }
    }
}
