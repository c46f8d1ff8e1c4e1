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

/// Activations recorded during a run, keyed by TransformerLens hook names, in firing order.
///
/// Index by full name (`cache["blocks.0.attn.hook_pattern"]`), by typed name
/// (`cache[.pattern(0)]`), by shorthand (`cache["pattern0"]`), or TransformerLens-style by
/// activation and layer (`cache["pattern", 0]`, `cache["normalized", 1, "ln2"]`; negative
/// layers count from the end). Values are shared with the run that produced them, not copied.
public struct ActivationCache: Sequence {
    /// The cached names, in the order their hooks fired.
    public private(set) var names: [HookName] = []
    private var values: [HookName: Tensor] = [:]
    /// The number of layers of the model the cache came from (for negative layer indices).
    public let layerCount: Int
    /// The model whose run filled the cache (set by `runWithCache`, `cache(_:names:)` and
    /// `runWithGradientCache`): the residual-stream analyses read its norms and weights, as
    /// TransformerLens's `ActivationCache.model` does.
    public var model: HookedTransformer?

    public init(layerCount: Int) { self.layerCount = layerCount }

    /// Stores (or replaces) an activation.
    public mutating func store(_ value: Tensor, for name: HookName) {
        if values.updateValue(value, forKey: name) == nil { names.append(name) }
    }

    /// The number of cached activations.
    public var count: Int { names.count }

    /// Whether `name` is cached.
    public func contains(_ name: HookName) -> Bool { values[name] != nil }

    /// The activation for a full name or a `get_act_name` shorthand, nil if absent.
    public subscript(_ name: HookName) -> Tensor? {
        values[name] ?? values[HookName(shorthand: name.rawValue)]
    }

    /// TransformerLens's `cache[name, layer]` / `cache[name, layer, layer_type]`.
    public subscript(_ activation: String, _ layer: Int, _ layerType: String? = nil) -> Tensor? {
        let l = layer < 0 ? layer + layerCount : layer
        return values[getActName(activation, l, layerType)]
    }

    /// The activation for `name`, or an error listing what the cache holds.
    public func tensor(_ name: HookName) throws -> Tensor {
        guard let t = self[name] else { throw CacheError.missing(name, available: names) }
        return t
    }

    public func makeIterator() -> some IteratorProtocol<(name: HookName, value: Tensor)> {
        names.map { (name: $0, value: values[$0]!) }.makeIterator()
    }
}

/// A name the cache does not hold.
public enum CacheError: Error, CustomStringConvertible, Equatable {
    case missing(HookName, available: [HookName])

    public var description: String {
        switch self {
        case let .missing(name, available):
            "the cache holds no activation \"\(name)\" (it has \(available.count): \(available.prefix(5).map(\.rawValue).joined(separator: ", "))\(available.count > 5 ? ", …" : ""))"
        }
    }
}
