/// What a parameter is, decided by the component that owns it (never by its name's prefix).
public enum ParameterKind: String, Sendable, CaseIterable {
    /// A matrix TransformerLens names `W_…`: embeddings, projections, the unembedding.
    case weight
    /// A bias `b_…`.
    case bias
    /// A norm's weight `w` (1 in a fresh model).
    case normWeight
    /// A norm's bias `b`.
    case normBias
    /// Anything else (the smeared-key mixing logits).
    case other
}
