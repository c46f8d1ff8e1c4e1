/// A closure attached to one or more hook points.
///
/// A hook is a value: where it applies (a ``HookName`` or a predicate over names), which
/// direction (the forward activation, or — with a gradient tape — the gradient flowing back
/// through the point), and a closure that receives the activation and a ``HookContext`` and
/// returns a replacement or `nil` to leave it unchanged.
///
/// ```swift
/// // Zero-ablate head 2 of layer 1.
/// let ablate = Hook(.z(1)) { z, _ in
///     var z = z
///     z[.all, .all, 2] = Tensor(scalar: 0)
///     return z
/// }
/// let logits = try model.forward(tokens, hooks: [ablate])
/// ```
///
/// Several hooks on one point run in order, each seeing the previous one's output. A
/// replacement must keep the activation's shape (otherwise the run throws
/// ``HookError/shapeMismatch(hook:expected:found:)``).
public struct Hook {
    /// Where a hook applies.
    public enum Target {
        case name(HookName)
        case predicate((HookName) -> Bool)

        func matches(_ name: HookName) -> Bool {
            switch self {
            case .name(let n): n == name
            case .predicate(let p): p(name)
            }
        }

        /// The points of `points` (in firing order) this target selects.
        /// - Throws: ``HookError`` for a name that is not among them, or a predicate matching none.
        func resolve(in points: [HookName], pointSet: Set<HookName>) throws -> [HookName] {
            switch self {
            case .name(let name):
                guard pointSet.contains(name) else {
                    throw HookError.unknownHookPoint(name, suggestions: HookRunner.suggestions(for: name, in: points))
                }
                return [name]
            case .predicate(let predicate):
                let matched = points.filter(predicate)
                if matched.isEmpty { throw HookError.noMatchingHookPoint }
                return matched
            }
        }
    }

    /// Forward hooks see activations; backward hooks see dLoss/dActivation while gradients are
    /// taken on a tape.
    public enum Direction: Sendable {
        case forward, backward
    }

    /// The closure type: the activation (or gradient) and the context; a replacement or nil.
    public typealias Body = (Tensor, HookContext) throws -> Tensor?

    public let target: Target
    public let direction: Direction
    let body: Body
    /// Set for hooks that only read (caching): the model may then skip work that a replacement
    /// would require.
    let readsOnly: Bool

    /// A hook on one named point.
    public init(_ name: HookName, direction: Direction = .forward, _ body: @escaping Body) {
        self.init(target: .name(name), direction: direction, readsOnly: false, body)
    }

    /// A hook on every point whose name satisfies `predicate`.
    public init(where predicate: @escaping (HookName) -> Bool, direction: Direction = .forward, _ body: @escaping Body) {
        self.init(target: .predicate(predicate), direction: direction, readsOnly: false, body)
    }

    init(target: Target, direction: Direction, readsOnly: Bool, _ body: @escaping Body) {
        self.target = target
        self.direction = direction
        self.readsOnly = readsOnly
        self.body = body
    }

    /// The hook's replacement for `value` (nil: unchanged, or an observer), checked to keep the
    /// activation's shape — the one place a replacement is applied.
    func replacement(for value: Tensor, context: HookContext) throws -> Tensor? {
        guard let replacement = try body(value, context), !readsOnly else { return nil }
        guard replacement.shape == value.shape else {
            throw HookError.shapeMismatch(hook: context.name, expected: value.shape, found: replacement.shape)
        }
        return replacement
    }

    /// `value` after each of `hooks` in turn, each seeing the previous one's output.
    static func apply(_ hooks: [Hook], to value: Tensor, context: HookContext) throws -> Tensor {
        var current = value
        for hook in hooks { current = try hook.replacement(for: current, context: context) ?? current }
        return current
    }

    /// A hook that only observes: it may not replace the activation.
    public static func observe(_ name: HookName, direction: Direction = .forward,
                               _ body: @escaping (Tensor, HookContext) throws -> Void) -> Hook {
        Hook(target: .name(name), direction: direction, readsOnly: true) { t, c in try body(t, c); return nil }
    }

    /// A hook that only observes every point matching `predicate`.
    public static func observe(where predicate: @escaping (HookName) -> Bool, direction: Direction = .forward,
                               _ body: @escaping (Tensor, HookContext) throws -> Void) -> Hook {
        Hook(target: .predicate(predicate), direction: direction, readsOnly: true) { t, c in try body(t, c); return nil }
    }
}
