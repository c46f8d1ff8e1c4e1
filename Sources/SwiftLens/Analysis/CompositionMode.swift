/// Which input of a later head reads an earlier head's output, for composition scores
/// (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits", two-layer
/// attention-only models; TransformerLens `transformer_lens/utilities/matrix.py`,
/// `composition_scores`).
public enum CompositionMode: String, Sendable, CaseIterable {
    /// The later head's queries: right = W_QK = W_Q W_Kᵀ.
    case q = "Q"
    /// The later head's keys: right = W_QKᵀ = W_K W_Qᵀ.
    case k = "K"
    /// The later head's values: right = W_OV = W_V W_O.
    case v = "V"
}
