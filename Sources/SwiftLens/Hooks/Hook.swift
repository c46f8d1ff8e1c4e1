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

/// What a hook closure knows about where it runs.
public struct HookContext {
    /// The hook point's full name.
    public let name: HookName
    /// Forward activation or backward gradient.
    public let direction: Hook.Direction
    /// Storage that persists across calls for this hook point (TransformerLens's `hook.ctx`);
    /// cleared by `HookedTransformer.clearContexts()`.
    public let storage: HookStorage

    /// The block index of the hook point (nil for `hook_embed`, `ln_final.*`, …).
    public var layer: Int? { name.layer }
}

/// A small mutable dictionary kept per hook point for hook closures.
public final class HookStorage: @unchecked Sendable {
    private var values: [String: Any] = [:]

    public init() {}

    public subscript(key: String) -> Any? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// Every key currently stored.
    public var keys: [String] { Array(values.keys) }

    /// Removes everything.
    public func removeAll() { values.removeAll() }
}

/// What went wrong attaching or running a hook.
public enum HookError: Error, CustomStringConvertible, Equatable {
    /// The name is not a hook point of this model (or never fires in it).
    case unknownHookPoint(HookName, suggestions: [HookName])
    /// A predicate matched no hook point of this model.
    case noMatchingHookPoint
    /// A hook returned a tensor of another shape.
    case shapeMismatch(hook: HookName, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .unknownHookPoint(name, suggestions):
            "no hook point named \"\(name)\" fires in this model"
                + (suggestions.isEmpty ? "" : " (did you mean \(suggestions.map { "\"\($0)\"" }.joined(separator: ", "))?)")
        case .noMatchingHookPoint:
            "the hook's predicate matches no hook point of this model"
        case let .shapeMismatch(hook, expected, found):
            "hook on \"\(hook)\" returned a tensor of shape \(found); expected the activation's shape \(expected)"
        }
    }
}
