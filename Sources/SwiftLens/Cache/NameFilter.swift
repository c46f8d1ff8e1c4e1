/// Which hook points to cache: every point, a list of names, or a predicate.
///
/// ```swift
/// try model.runWithCache(tokens, names: [.pattern(0), .pattern(1)])
/// try model.runWithCache(tokens, names: NameFilter { $0.activation == "z" })
/// ```
public struct NameFilter: ExpressibleByArrayLiteral {
    let explicit: [HookName]?
    let predicate: (HookName) -> Bool

    /// Every hook point.
    public static var all: NameFilter { NameFilter(explicit: nil) { _ in true } }

    /// Exactly these names (each must be a hook point of the model).
    public static func only(_ names: [HookName]) -> NameFilter {
        let set = Set(names)
        return NameFilter(explicit: names) { set.contains($0) }
    }

    /// The names satisfying `predicate` (at least one must).
    public init(_ predicate: @escaping (HookName) -> Bool) {
        self.init(explicit: nil, predicate: predicate)
    }

    public init(arrayLiteral names: HookName...) {
        let set = Set(names)
        self.init(explicit: names) { set.contains($0) }
    }

    private init(explicit: [HookName]?, predicate: @escaping (HookName) -> Bool) {
        self.explicit = explicit
        self.predicate = predicate
    }

    /// The matching points of `points`, checking explicit names exist.
    func resolve(in points: [HookName], pointSet: Set<HookName>) throws -> [HookName] {
        if let explicit {
            for name in explicit where !pointSet.contains(name) {
                throw HookError.unknownHookPoint(name, suggestions: HookRunner.suggestions(for: name, in: points))
            }
        }
        let matched = points.filter(predicate)
        if matched.isEmpty { throw HookError.noMatchingHookPoint }
        return matched
    }
}
