/// The hook points of a model at one moment — in firing order, as a set, and with their
/// layouts — rebuilt when a module is spliced in or out.
struct HookPointTable {
    let points: [HookPoint]
    let names: [HookName]
    let set: Set<HookName>
    let layouts: [HookName: ActivationLayout]

    init(_ points: [HookPoint]) {
        self.points = points
        names = points.map(\.name)
        set = Set(names)
        layouts = Dictionary(points.map { ($0.name, $0.layout) }, uniquingKeysWith: { first, _ in first })
    }
}
