/// An axis of an activation-patching grid (TransformerLens's `index_axis_names`).
public enum PatchAxis: String, Sendable, CaseIterable {
    /// The layer (always the first axis).
    case layer
    /// The position (axis 1 of residual-, head- and neuron-shaped activations).
    case pos
    /// The head (axis 2 of q/k/v/z/result; axis 1 of scores and patterns).
    case head
    /// The query (destination) position of a pattern.
    case destPos = "dest_pos"
    /// The key (source) position of a pattern.
    case srcPos = "src_pos"
}

extension PatchAxis {
    /// The axis of an activation with `layout` this grid axis indexes (nil if it has none;
    /// `.layer` picks the hook point, not an axis).
    func axis(in layout: ActivationLayout) -> Int? {
        switch self {
        case .layer: nil
        case .pos: layout.keyAxis == nil ? layout.positionAxis : nil
        case .head: layout.headAxis
        case .destPos: layout.keyAxis == nil ? nil : layout.positionAxis
        case .srcPos: layout.keyAxis
        }
    }
}
