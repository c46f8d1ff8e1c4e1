/// Identifies a hook added with `HookedTransformer.addHook`, for `removeHook`.
public struct HookHandle: Hashable, Sendable {
    let id: Int
}

/// The hooks attached to a model outside a single call: permanent hooks, hooks added with
/// `addHook`, and those of enclosing `withHooks` scopes (tagged with their nesting level so a
/// scope removes exactly its own).
final class HookRegistry {
    struct Entry {
        let id: Int
        let hook: Hook
        let permanent: Bool
        /// 0 for `addHook`; n > 0 for the n-th nested `withHooks` scope.
        let level: Int
    }

    private(set) var entries: [Entry] = []
    private var nextID = 0
    private(set) var level = 0

    @discardableResult
    func add(_ hook: Hook, permanent: Bool, prepend: Bool, level: Int) -> HookHandle {
        let entry = Entry(id: nextID, hook: hook, permanent: permanent, level: level)
        nextID += 1
        if prepend { entries.insert(entry, at: 0) } else { entries.append(entry) }
        return HookHandle(id: entry.id)
    }

    func remove(_ handle: HookHandle) -> Bool {
        guard let i = entries.firstIndex(where: { $0.id == handle.id }) else { return false }
        entries.remove(at: i)
        return true
    }

    func enterScope() -> Int {
        level += 1
        return level
    }

    /// Removes the non-permanent hooks of scope `scopeLevel` and leaves it.
    func exitScope(_ scopeLevel: Int) {
        entries.removeAll { $0.level == scopeLevel && !$0.permanent }
        level = scopeLevel - 1
    }

    /// Removes hooks added with `addHook` (and permanent ones when asked), like TransformerLens's
    /// `reset_hooks`; hooks of enclosing scopes stay until their scope ends.
    func reset(includingPermanent: Bool) {
        entries.removeAll { $0.level == 0 && (!$0.permanent || includingPermanent) }
    }

    var hooks: [Hook] { entries.map(\.hook) }
}

/// The hooks of one run, resolved against the model's hook points: which closures fire at each
/// point, in order. Firing a point with no hooks costs one dictionary lookup.
struct HookRunner {
    private var forward: [HookName: [Hook]] = [:]
    private var backward: [HookName: [Hook]] = [:]
    private let storage: [HookName: HookStorage]
    /// Values a resumed run takes instead of computing them (see `Sweep`): the base run's
    /// activations at the points up to and including where the run resumes. A point found here
    /// skips its computation entirely (`fire` takes the value as an autoclosure); its hooks
    /// still run.
    var resumeValues: [HookName: Tensor] = [:]

    /// Resolves `hooks` (registry hooks first, then the call's) against `points`.
    /// - Throws: ``HookError`` for a name that is not a point of this model, or a predicate that
    ///   matches none.
    init(hooks: [Hook], points: [HookName], pointSet: Set<HookName>, storage: [HookName: HookStorage]) throws {
        self.storage = storage
        for hook in hooks {
            var matched: [HookName]
            switch hook.target {
            case .name(let name):
                guard pointSet.contains(name) else {
                    throw HookError.unknownHookPoint(name, suggestions: HookRunner.suggestions(for: name, in: points))
                }
                matched = [name]
            case .predicate(let predicate):
                matched = points.filter(predicate)
                if matched.isEmpty { throw HookError.noMatchingHookPoint }
            }
            for name in matched {
                switch hook.direction {
                case .forward: forward[name, default: []].append(hook)
                case .backward: backward[name, default: []].append(hook)
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
        (forward[name]?.contains { !$0.readsOnly } ?? false) || backward[name] != nil
    }

    /// Runs the forward hooks at `name` on `value` and returns the (possibly replaced) value;
    /// attaches backward hooks when `value` is tracked on a recording tape. `value` is computed
    /// only if the run does not resume past this point.
    func fire(_ name: HookName, _ compute: @autoclosure () throws -> Tensor) throws -> Tensor {
        let value = try resumeValues[name] ?? compute()
        var current = value
        if let hooks = forward[name] {
            let context = HookContext(name: name, direction: .forward, storage: storage[name] ?? HookStorage())
            for hook in hooks {
                guard let replacement = try hook.body(current, context) else { continue }
                guard !hook.readsOnly else { continue }
                guard replacement.shape == value.shape else {
                    throw HookError.shapeMismatch(hook: name, expected: value.shape, found: replacement.shape)
                }
                current = replacement
            }
        }
        if let hooks = backward[name], current.isTracked {
            let context = HookContext(name: name, direction: .backward, storage: storage[name] ?? HookStorage())
            current = current.withGradientHook { gradient in
                var g = gradient
                for hook in hooks {
                    if let replacement = try hook.body(g, context), !hook.readsOnly {
                        guard replacement.shape == gradient.shape else {
                            throw HookError.shapeMismatch(hook: name, expected: gradient.shape, found: replacement.shape)
                        }
                        g = replacement
                    }
                }
                return g
            }
        }
        return current
    }
}
