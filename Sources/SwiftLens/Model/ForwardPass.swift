/// One forward pass in progress: its ``ForwardPlan`` and its resolved hooks, handed to every
/// component. Components fire their declared ``HookPoint``s through it; a module spliced into
/// the model (``SplicedModule``) fires its own points through it too.
public final class ForwardPass {
    let plan: ForwardPlan
    let hooks: HookRunner
    /// Modules spliced in after each host point's hooks.
    let splices: [HookName: [any SplicedModule]]
    /// The block that computes queries at `plan.logitRows` only (nil: every block computes all).
    let restrictedLayer: Int?

    init(plan: ForwardPlan, hooks: HookRunner, splices: [HookName: [any SplicedModule]], restrictedLayer: Int?) {
        self.plan = plan
        self.hooks = hooks
        self.splices = splices
        self.restrictedLayer = restrictedLayer
    }

    /// The absolute position of the input's first position.
    public var positionOffset: Int { plan.positionOffset }

    /// Fires `point`: runs its hooks on `value` and any module spliced there, and returns the
    /// result. `value` is not computed when the plan resumes past this point.
    public func fire(_ point: HookPoint, _ value: @autoclosure () throws -> Tensor) throws -> Tensor {
        var current = try hooks.fire(point, plan.resumed[point.name] ?? value(), positionOffset: plan.positionOffset,
                                          step: plan.generationStep)
        for module in splices[point.name] ?? [] { current = try module(current, pass: self) }
        return current
    }

    /// The query positions block `layer` computes (nil: all).
    func queryRows(layer: Int) -> Range<Int>? { layer == restrictedLayer ? plan.logitRows : nil }

    /// Whether anything may observe or change `point` (a hook, a resumed value, a splice).
    func touches(_ point: HookName) -> Bool {
        hooks.isHooked(point) || plan.resumed[point] != nil || splices[point] != nil
    }

    /// Whether `point`'s value must be computed as part of the graph (see
    /// ``HookRunner/needsGraph(_:)``); spliced modules may replace it too.
    func needsGraph(_ point: HookName) -> Bool { hooks.needsGraph(point) || splices[point] != nil }

    /// Whether anything is attached to `point` (an observer included).
    func isHooked(_ point: HookName) -> Bool { hooks.isHooked(point) || splices[point] != nil }
}
