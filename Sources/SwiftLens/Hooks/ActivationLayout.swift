/// The axes of an activation, declared by the component that fires it: the one place the
/// cache's position slicing, activation patching's axes and ablation read them from (never
/// recomputed from the hook's name).
public enum ActivationLayout: Hashable, Sendable {
    /// [batch, pos, d_model]: residual stream, attention and MLP outputs, embeddings,
    /// `hook_normalized`.
    case residual
    /// [batch, pos, 1]: a norm's `hook_scale`.
    case scale
    /// [batch, pos, d_mlp]: MLP pre-activations and neurons.
    case neurons
    /// [batch, pos, features]: any other per-position vector (a spliced module's features).
    case features
    /// [batch, pos, head, d]: q, k, v (`heads` is the number of key-value heads for k and v of
    /// grouped-query models), z, result.
    case perHead(heads: Int)
    /// [batch, head, query_pos, key_pos]: attention scores and patterns.
    case pattern(heads: Int)

    /// The rank of the activation.
    public var rank: Int {
        switch self {
        case .residual, .scale, .neurons, .features: 3
        case .perHead, .pattern: 4
        }
    }

    /// The position axis (the query axis of a pattern): where a position slice applies.
    public var positionAxis: Int {
        if case .pattern = self { return 2 }
        return 1
    }

    /// The head axis, nil for activations without one.
    public var headAxis: Int? {
        switch self {
        case .perHead: 2
        case .pattern: 1
        default: nil
        }
    }

    /// The number of heads on ``headAxis`` (key-value heads for grouped k and v).
    public var heads: Int? {
        switch self {
        case .perHead(let h), .pattern(let h): h
        default: nil
        }
    }

    /// The key (source) position axis of a pattern.
    public var keyAxis: Int? {
        if case .pattern = self { return 3 }
        return nil
    }
}
