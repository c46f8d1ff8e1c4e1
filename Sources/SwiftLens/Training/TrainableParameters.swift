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

    /// Whether the parameter called `name`, of `kind`, trains.
    public func contains(_ name: String, kind: ParameterKind) -> Bool {
        switch self {
        case .all: true
        case let .kinds(kinds): kinds.contains(kind)
        case let .named(names): names.contains(name)
        }
    }

    /// The filter `lossAndGradients(parameters:)` takes for `model` (nil: every parameter).
    func filter(for model: HookedTransformer) -> ((String) -> Bool)? {
        if case .all = self { return nil }
        let kinds = model.parameterKinds
        let selection = self
        return { name in kinds[name].map { selection.contains(name, kind: $0) } ?? false }
    }
}
