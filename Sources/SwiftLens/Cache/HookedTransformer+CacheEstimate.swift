extension HookedTransformer {
    /// What caching the points `names` selects needs for `batch` sequences of `positions`
    /// tokens, keeping the positions `keeping` selects (all if nil) — computed from the declared
    /// hook points (``declaredHookPoints``, their ``ActivationLayout``) and the config, without
    /// running or allocating anything.
    ///
    /// ```swift
    /// let estimate = try model.cacheEstimate(batch: 10_000, positions: 64)
    /// print(estimate)                       // "7.9 GB (cache 6.5 GB over 29 hook points …)"
    /// ```
    ///
    /// Widths: the residual stream and per-position vectors d_model, neurons d_mlp, a norm's scale
    /// 1, per-head activations heads × d_head (× d_model for `hook_result`), patterns heads ×
    /// kept query positions × key positions; a spliced module's features are counted as
    /// max(d_model, d_mlp) wide.
    /// - Throws: ``HookError`` for names that are not hook points, ``CacheAnalysisError`` for a
    ///   `keeping` selection that does not fit `positions`.
    public func cacheEstimate(batch: Int, positions: Int, names: NameFilter = .all,
                              keeping: TensorIndex? = nil) throws -> CacheEstimate {
        let table = hookPointTable
        let selected = Set(try names.resolve(in: table.names, pointSet: table.set))
        let batch = max(batch, 0), positions = max(positions, 0)
        var kept = positions
        var dropsAxis = false
        if let keeping {
            kept = try keeping.checkedIndices(extent: positions).count
            dropsAxis = keeping.dropsAxis
        }
        let c = config
        func shape(_ point: HookPoint, kept: Int, dropsAxis: Bool) -> [Int] {
            var shape: [Int]
            switch point.layout {
            case .residual: shape = [batch, kept, c.dModel]
            case .scale: shape = [batch, kept, 1]
            case .neurons: shape = [batch, kept, c.dMLP]
            case .features: shape = [batch, kept, max(c.dModel, c.dMLP)]
            case .perHead(let heads): shape = [batch, kept, heads, point.name.activation == "result" ? c.dModel : c.dHead]
            case .pattern(let heads): shape = [batch, heads, kept, positions]
            }
            if dropsAxis { shape.remove(at: point.layout.positionAxis) }
            return shape
        }
        func bytes(_ shape: [Int]) -> Int { CacheEstimate.product([4] + shape) }
        var points: [CacheEstimate.Point] = []
        var largest = 0
        for point in table.points {
            largest = max(largest, bytes(shape(point, kept: positions, dropsAxis: false)))
            guard selected.contains(point.name) else { continue }
            let s = shape(point, kept: kept, dropsAxis: dropsAxis)
            points.append(.init(name: point.name, shape: s, bytes: bytes(s)))
        }
        return CacheEstimate(batch: batch, positions: positions, keptPositions: dropsAxis ? 1 : kept, points: points,
                             logitsBytes: CacheEstimate.product([4, batch, positions, c.dVocabOut]),
                             workingBytes: CacheEstimate.product([4, largest]))
    }

    /// The bytes ``cacheEstimate(batch:positions:names:keeping:)`` puts at the request's peak.
    public func cacheBytes(batch: Int, positions: Int, names: NameFilter = .all, keeping: TensorIndex? = nil) throws -> Int {
        try cacheEstimate(batch: batch, positions: positions, names: names, keeping: keeping).totalBytes
    }

    /// Throws ``MemoryBudgetError/cacheTooLarge(estimate:budget:)`` if caching `names` for
    /// `tokens` ([batch, pos] or [pos]) needs more than `budget` bytes (default: what the system
    /// has available now, ``MemoryBudget/available``; no check if that is unknown). The estimate
    /// also checks `names` and `positions` against the model before anything runs.
    func checkCacheBudget(_ tokens: IntTensor, names: NameFilter, positions: TensorIndex?, budget: Int?) throws {
        let (batch, length) = tokens.rank == 1 ? (1, tokens.shape[0]) : (tokens.shape[0], tokens.shape.last ?? 0)
        let estimate = try cacheEstimate(batch: batch, positions: length, names: names, keeping: positions)
        if let budget = budget ?? MemoryBudget.available, estimate.totalBytes > budget { throw MemoryBudgetError.cacheTooLarge(estimate: estimate, budget: budget) }
    }
}
