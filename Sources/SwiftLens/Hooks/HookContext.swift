/// What a hook closure knows about where it runs.
public struct HookContext {
    /// The hook point's full name.
    public let name: HookName
    /// Forward activation or backward gradient.
    public let direction: Hook.Direction
    /// The layout of the activation (which axis holds positions, heads …).
    public let layout: ActivationLayout
    /// The absolute position of the activation's first position in the sequence: 0 for a
    /// whole-sequence run; during generation with a key-value cache, the number of positions
    /// already cached (each step's activations hold the new positions only).
    public let positionOffset: Int
    /// The generation step (0: the prompt, then 1, 2, … one per new token); nil outside
    /// generation.
    public var step: Int? = nil
    /// Storage for this hook point (TransformerLens's `hook.ctx`). Hooks attached to the model
    /// share one per point that persists across calls (cleared by
    /// `HookedTransformer.clearContexts()`); hooks passed to a single call get one per point
    /// for that call only, so concurrent calls never share it.
    public let storage: HookStorage

    /// The block index of the hook point (nil for `hook_embed`, `ln_final.*`, …).
    public var layer: Int? { name.layer }

    /// Absolute sequence positions `positions` as an index into this activation's own
    /// positions, which start at ``positionOffset``: unchanged in a whole-sequence run; during
    /// generation, the selected positions that fall in this step (negative positions count from
    /// the end of the sequence so far: −1 is the newest token), or nil when none does.
    /// `count` is the activation's extent along its position axis.
    public func positionsInThisPass(_ positions: TensorIndex, count: Int) -> TensorIndex? {
        guard step != nil || positionOffset > 0, positions != .all else { return positions }
        guard let absolute = positions.positions(within: positionOffset + count) else { return nil }
        let local = absolute.filter { $0 >= positionOffset }.map { $0 - positionOffset }
        guard !local.isEmpty else { return nil }
        return positions.dropsAxis ? .at(local[0]) : .indices(local)
    }
}
