/// Which parameters a `Trainer` updates; the rest keep their values (they get no gradient and
/// no AdamW step, not even weight decay).
///
/// ```swift
/// config.trainable = .all                      // the default
/// config.trainable = .weightsOnly              // biases stay as initialised
/// config.trainable = .kinds([.weight])         // not even norm gains
/// config.trainable = .named(["blocks.1.attn.W_Q", "blocks.1.attn.W_K"])
/// ```
public enum TrainableParameters: Equatable, Sendable {
    /// Every parameter.
    case all
    /// The parameters of these kinds.
    case kinds(Set<ParameterKind>)
    /// Exactly these parameters (TransformerLens names).
    case named(Set<String>)

    /// Weights, norm gains and smeared-key logits; no biases (of linear maps or norms).
    public static let weightsOnly = TrainableParameters.kinds([.weight, .normWeight, .smear])

    /// Whether the parameter called `name` trains.
    public func contains(_ name: String) -> Bool {
        switch self {
        case .all: true
        case let .kinds(kinds): ParameterKind(parameterName: name).map(kinds.contains) ?? false
        case let .named(names): names.contains(name)
        }
    }

    /// The filter `lossAndGradients(parameters:)` takes (nil: every parameter).
    var filter: ((String) -> Bool)? {
        if case .all = self { return nil }
        let selection = self
        return { selection.contains($0) }
    }
}
