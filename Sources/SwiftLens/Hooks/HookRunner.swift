/// The hooks of one run, resolved against the model's hook points: which closures fire at each
/// point, in order, each with its context storage. Firing a point with no hooks costs one
/// dictionary lookup.
///
/// Storage: hooks attached to the model use the model's persistent per-point storage
/// (TransformerLens's `hook.ctx`); hooks passed to the call get fresh storage, one per point,
/// made for this run — so calls that pass their hooks may run concurrently.
struct HookRunner {
    private struct Bound {
        let hook: Hook
        let storage: HookStorage
    }

    private var forward: [HookName: [Bound]] = [:]
    private var backward: [HookName: [Bound]] = [:]

    /// Resolves `attached` (the model's hooks, run first) and `perCall` hooks against `points`.
    /// - Throws: ``HookError`` for a name that is not a point of this model, or a predicate that
    ///   matches none.
    init(attached: [Hook], perCall: [Hook], points: [HookName], pointSet: Set<HookName>,
         persistentStorage: (HookName) -> HookStorage) throws {
        var callStorage: [HookName: HookStorage] = [:]
        for (hook, isAttached) in attached.map({ ($0, true) }) + perCall.map({ ($0, false) }) {
            for name in try hook.target.resolve(in: points, pointSet: pointSet) {
                let storage: HookStorage
                if isAttached {
                    storage = persistentStorage(name)
                } else {
                    storage = callStorage[name] ?? HookStorage()
                    callStorage[name] = storage
                }
                switch hook.direction {
                case .forward: forward[name, default: []].append(Bound(hook: hook, storage: storage))
                case .backward: backward[name, default: []].append(Bound(hook: hook, storage: storage))
                }
            }
        }
    }

    /// Up to three hook points whose names are closest to `name` (shared suffix, then layer).
    static func suggestions(for name: HookName, in points: [HookName]) -> [HookName] {
        let activation = name.activation
        let sameKind = points.filter { $0.activation == activation }
        if !sameKind.isEmpty {
            return Array(sameKind.sorted { abs(($0.layer ?? 0) - (name.layer ?? 0)) < abs(($1.layer ?? 0) - (name.layer ?? 0)) }.prefix(3))
        }
        let last = name.rawValue.split(separator: ".").last.map(String.init) ?? name.rawValue
        return Array(points.filter { $0.rawValue.contains(last.replacingOccurrences(of: "hook_", with: "")) }.prefix(3))
    }

    /// Whether anything at all (including an observer) is attached to `name` in either direction.
    func isHooked(_ name: HookName) -> Bool { forward[name] != nil || backward[name] != nil }

    /// Whether the value at `name` must be computed as part of the graph: a forward hook may
    /// replace it, or a backward hook reads its gradient.
    func needsGraph(_ name: HookName) -> Bool {
        (forward[name]?.contains { !$0.hook.readsOnly } ?? false) || backward[name] != nil
    }

    /// Runs the forward hooks at `point` on `value` and returns the (possibly replaced) value;
    /// attaches backward hooks when `value` is tracked on a recording tape.
    func fire(_ point: HookPoint, _ value: Tensor, positionOffset: Int, step: Int? = nil) throws -> Tensor {
        var current = value
        for bound in forward[point.name] ?? [] {
            let context = HookContext(name: point.name, direction: .forward, layout: point.layout,
                                      positionOffset: positionOffset, step: step, storage: bound.storage)
            current = try bound.hook.replacement(for: current, context: context) ?? current
        }
        if let hooks = backward[point.name], current.isTracked {
            current = current.withGradientHook { gradient in
                var g = gradient
                for bound in hooks {
                    let context = HookContext(name: point.name, direction: .backward, layout: point.layout,
                                              positionOffset: positionOffset, step: step, storage: bound.storage)
                    g = try bound.hook.replacement(for: g, context: context) ?? g
                }
                return g
            }
        }
        return current
    }
}
