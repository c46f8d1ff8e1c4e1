extension HookedTransformer {
    /// Runs the model and records the activations at the points `names` selects (default: all),
    /// after any hooks that run before the cache (attached hooks, then `hooks`).
    ///
    /// - Parameters:
    ///   - positions: keep only these positions of each activation, on the position axis its
    ///     hook point declares (``ActivationLayout/positionAxis``: the query axis of scores and
    ///     patterns), e.g. `.at(-1)` or `.stride(-4, nil)`.
    ///   - memoryBudget: the most bytes the request may need (``cacheEstimate(batch:positions:names:keeping:)``);
    ///     nil: the memory the system has available now (``MemoryBudget/available``).
    /// - Returns: the logits [batch, pos, d_vocab_out] and the cache. Cached tensors share
    ///   storage with the run; nothing is copied unless `positions` slices it.
    /// - Throws: ``MemoryBudgetError`` before running if the request would exceed the budget.
    public func runWithCache(_ tokens: IntTensor, names: NameFilter = .all, positions: TensorIndex? = nil,
                             hooks: [Hook] = [], memoryBudget: Int? = nil) throws -> (logits: Tensor, cache: ActivationCache) {
        let tokens = try validated(tokens)
        try checkCacheBudget(tokens, names: names, positions: positions, budget: memoryBudget)
        let table = hookPointTable
        let selected = try names.resolve(in: table.names, pointSet: table.set)
        var cache = ActivationCache(layerCount: config.nLayers)
        let logits = try withCaching(selected, positions: positions, into: &cache) { cacheHook in
            try run(tokens: tokens, residual: nil, start: 0, stop: config.nLayers, pass: makePass(hooks + [cacheHook]))
        }
        return (logits, cache)
    }

    /// Records only the activations at the points `names` selects, running no further than the
    /// last block they need: caching layer 0's patterns of a 12-layer model runs one block.
    /// Hooks in `hooks` on later points do not fire. `memoryBudget` is checked as
    /// ``runWithCache(_:names:positions:hooks:memoryBudget:)`` checks it.
    public func cache(_ tokens: IntTensor, names: NameFilter, positions: TensorIndex? = nil,
                      hooks: [Hook] = [], memoryBudget: Int? = nil) throws -> ActivationCache {
        let tokens = try validated(tokens)
        try checkCacheBudget(tokens, names: names, positions: positions, budget: memoryBudget)
        let table = hookPointTable
        let selected = try names.resolve(in: table.names, pointSet: table.set)
        let stop = selected.map { name -> Int in
            if let layer = name.layer { return layer + 1 }
            return name == .embed || name == .posEmbed ? 0 : config.nLayers
        }.max() ?? config.nLayers
        var cache = ActivationCache(layerCount: config.nLayers)
        _ = try withCaching(selected, positions: positions, into: &cache) { cacheHook in
            try run(tokens: tokens, residual: nil, start: 0, stop: stop, pass: makePass(hooks + [cacheHook]))
        }
        return cache
    }

    /// Calls `body` with an observer hook that stores every activation of `names` into `cache`.
    func withCaching<R>(_ names: [HookName], positions: TensorIndex?, into cache: inout ActivationCache,
                        _ body: (Hook) throws -> R) rethrows -> R {
        let wanted = Set(names)
        let box = CacheBox(layerCount: config.nLayers)
        let hook = Hook.observe(where: { wanted.contains($0) }) { value, context in
            box.cache.store(Self.slicePositions(value, layout: context.layout, positions), for: context.name)
        }
        let result = try body(hook)
        cache = box.cache
        cache.model = self
        return result
    }

    /// The position slice of an activation, on the position axis its layout declares.
    static func slicePositions(_ value: Tensor, layout: ActivationLayout, _ positions: TensorIndex?) -> Tensor {
        guard let positions, layout.positionAxis < value.rank else { return value }
        var index = [TensorIndex](repeating: .all, count: value.rank)
        index[layout.positionAxis] = positions
        return value.selecting(index)
    }
}

/// Mutable cache storage captured by the caching hook.
private final class CacheBox {
    var cache: ActivationCache
    init(layerCount: Int) { cache = ActivationCache(layerCount: layerCount) }
}
