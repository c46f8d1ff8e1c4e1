/// Residual-stream pieces stacked on a new leading axis, with their TransformerLens labels.
public struct ComponentStack {
    /// [n_components, batch, pos, d_model]; `pos` is absent when a single position was selected.
    public var tensor: Tensor
    /// One label per component, spelled as TransformerLens spells them (`0_pre`, `final_post`,
    /// `embed`, `1_attn_out`, `L1H3`, `L0N17`, `bias`, `remainder`).
    public var labels: [String]

    public init(tensor: Tensor, labels: [String]) {
        self.tensor = tensor
        self.labels = labels
    }

    /// The number of components.
    public var count: Int { labels.count }

    /// The sum over components [batch, pos, d_model]: for a decomposition, the residual it splits.
    public var sum: Tensor { tensor.sum(axis: 0) }

    /// The component labelled `label` [batch, pos, d_model].
    public func component(_ label: String) throws -> Tensor {
        guard let i = labels.firstIndex(of: label) else { throw CacheAnalysisError.unknownLabel(label, available: labels) }
        return tensor[i]
    }

    /// The output of `head` [batch, pos, d_model], from a stack of head results
    /// (`stackHeadResults`, `fullResidDecomposition`), where it is labelled `L1H2`.
    public func component(_ head: Head) throws -> Tensor {
        try component(head.description)
    }
}
