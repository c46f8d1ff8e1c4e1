/// A patching request that cannot be made.
public enum PatchingError: Error, CustomStringConvertible, Equatable {
    case axes([String], activation: String)
    case senders(String)

    public var description: String {
        switch self {
        case let .axes(axes, activation):
            "cannot patch \"\(activation)\" over axes \(axes): the first axis must be layer, axes must not repeat, and "
                + "each must exist for it (pos for residual-, head- and neuron-shaped activations; head for q/k/v/z/result "
                + "and patterns; dest_pos and src_pos for patterns)"
        case let .senders(reason): "path patching: \(reason)"
        }
    }
}
