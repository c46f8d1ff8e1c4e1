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
