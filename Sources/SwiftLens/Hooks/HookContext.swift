/// What a hook closure knows about where it runs.
public struct HookContext {
    /// The hook point's full name.
    public let name: HookName
    /// Forward activation or backward gradient.
    public let direction: Hook.Direction
    /// The layout of the activation (which axis holds positions, heads …).
    public let layout: ActivationLayout
    /// The absolute position of the activation's first position in the sequence: 0 for a
    /// whole-sequence run.
    public let positionOffset: Int
    /// Storage for this hook point (TransformerLens's `hook.ctx`). Hooks attached to the model
    /// share one per point that persists across calls (cleared by
    /// `HookedTransformer.clearContexts()`); hooks passed to a single call get one per point
    /// for that call only, so concurrent calls never share it.
    public let storage: HookStorage

    /// The block index of the hook point (nil for `hook_embed`, `ln_final.*`, …).
    public var layer: Int? { name.layer }
}

