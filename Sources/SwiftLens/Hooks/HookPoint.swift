/// A hook point as a component declares it: its TransformerLens name and the layout of the
/// activation it fires. Components create their points once and fire exactly those, and the
/// model's ``HookedTransformer/hookPoints`` lists them, so the list, the firing and the
/// layouts cannot drift apart. A module spliced into the model brings points of its own
/// (see ``SplicedModule``).
public struct HookPoint: Hashable, Sendable, CustomStringConvertible {
    public let name: HookName
    public let layout: ActivationLayout

    public init(_ name: HookName, _ layout: ActivationLayout) {
        self.name = name
        self.layout = layout
    }

    public var description: String { name.rawValue }
}
