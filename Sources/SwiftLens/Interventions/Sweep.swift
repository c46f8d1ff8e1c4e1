import Foundation

/// Many interventions on one input, each measured by a metric — the engine behind activation
/// patching, ablation scans and path patching — doing only the work the variants do not share.
///
/// A variant is a list of hooks. Everything upstream of the first point a variant hooks is the
/// same as in the base run (the input with `baseHooks` only), so the sweep caches the base
/// run once and **resumes** each variant there: a variant that patches `blocks.1.attn.hook_z`
/// takes layer 1's queries, keys, values and pattern from the base run, applies its hooks to
/// the cached z, and computes only the head outputs onwards. Then
///
/// - only the logit positions the metric reads are normalised and unembedded;
/// - variants of a small input run together, stacked along the batch axis (up to
///   `maxBatchRows` token rows), so the kernels see matrices big enough to use both cores;
/// - with `concurrentVariants` (on for the ready-made ablation scans), variants run one per
///   core instead, each product on one thread: the cores stop meeting after every product
///   (SmolLM2's 270 heads: 86–91 s before, 77–86 s after, single runs on a noisy 2-core machine);
/// - `run(shard:)` computes every n-th variant, and ``SweepResult/merging(_:)`` joins shards
///   run as separate processes (an array job on a cluster).
///
/// ```swift
/// let variants = (0..<model.config.nLayers).flatMap { l in
///     (0..<model.config.nHeads).map { h in Sweep.Variant(Head(layer: l, head: h).description, hooks: [.zeroAblateHead(Head(layer: l, head: h))]) }
/// }
/// let sweep = Sweep(model: model, tokens: rrt, metric: .inductionLoss(tokens: rrt), variants: variants)
/// let result = try sweep.run()                 // result.values[i]: induction loss with head i ablated
/// ```
///
/// Hooks see exactly the activations they would in `model(tokens, hooks: baseHooks + variant.hooks)`
/// and the metric gets the same logits (at its positions), up to float rounding.
public struct Sweep {
    /// One intervention: a label for the results and the hooks that make it.
    public struct Variant {
        public var label: String
        public var hooks: [Hook]

        public init(_ label: String, hooks: [Hook]) {
            self.label = label
            self.hooks = hooks
        }
    }

    public let model: HookedTransformer
    /// The base input, [batch, pos].
    public let tokens: IntTensor
    public var metric: SweepMetric
    public var variants: [Variant]
    /// Hooks of the base run, applied once in every variant too (before the variant's own).
    public var baseHooks: [Hook] = []
    /// Variants of a small input run stacked along the batch axis, up to this many token rows in
    /// all (variants × batch × positions): enough rows for efficient matrix products; larger
    /// inputs run one variant at a time (stacking them would only copy).
    public var maxBatchRows = 512
    /// Run variants two at a time, one per core (`KernelThreads.count` at a time), instead of
    /// one at a time on both: faster, since the cores no longer meet after every product, but
    /// the variants' hooks (and a custom metric) then run concurrently, so they must not share
    /// mutable state, and `progress` is called from the sweep's threads (one call at a time).
    /// The ready-made scans (``headAblation(_:tokens:metric:ablation:)`` …), whose hooks only
    /// replace values, turn it on. Results are the same either way, bit for bit.
    public var concurrentVariants = false
    /// The shape results are reported in (default [variants.count]), e.g. [n_layers, n_heads].
    public var shape: [Int]?

    public init(model: HookedTransformer, tokens: IntTensor, metric: SweepMetric, variants: [Variant]) {
        self.model = model
        self.tokens = tokens
        self.metric = metric
        self.variants = variants
    }

    /// Runs the variants of `shard` (all by default) and returns their metric values; the
    /// others stay nil. `progress` is called after each batch of variants. The sweep first
    /// plans (``plan(shard:metrics:)``: where each variant resumes, which take a closed form,
    /// what the base run caches, how variants are grouped), then executes the plan.
    public func run(shard: Shard = .whole, progress: ((SweepProgress) -> Void)? = nil) throws -> SweepResult {
        try run(measuring: [metric], shard: shard, progress: progress)[0]
    }

    /// Runs the variants once and measures each with every metric of `metrics` (the sweep's own
    /// `metric` is not added): one result per metric, in order. The logits are computed at the
    /// union of the metrics' positions, so e.g. the loss on the first copy and on the second
    /// copy of repeated tokens cost one sweep, not two.
    /// - Throws: ``SweepError/noMetrics`` for an empty list, and whatever ``run(shard:progress:)`` throws.
    public func run(measuring metrics: [SweepMetric], shard: Shard = .whole,
                    progress: ((SweepProgress) -> Void)? = nil) throws -> [SweepResult] {
        guard !metrics.isEmpty else { throw SweepError.noMetrics }
        let plan = try self.plan(shard: shard, metrics: metrics)
        let tokens = plan.tokens
        let batch = tokens.shape[0]
        let length = tokens.shape[1]
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        func report(_ count: Int) {
            done += count
            progress?(SweepProgress(done: done, total: plan.resume.count, elapsedSeconds: (clock.now - start).seconds))
        }
        // Each metric reads its own positions out of the logits at `plan.rows`.
        let offset = plan.rows?.lowerBound ?? 0
        let slices: [Range<Int>?] = try metrics.map { m in
            guard let r = try m.positions.rows(length: length) else { return nil }
            return (r.lowerBound - offset)..<(r.upperBound - offset)
        }
        func evaluate(_ logits: Tensor) throws -> [Float] {
            try zip(metrics, slices).map { m, r in try m.evaluate(r.map { logits[.all, $0] } ?? logits) }
        }

        // One base run caches what the resumed variants take from it.
        var baseCache = ActivationCache(layerCount: model.config.nLayers)
        func baseRun(_ extra: [Hook]) throws -> Tensor {
            try model.run(tokens: tokens, residual: nil, start: 0, stop: model.config.nLayers,
                          pass: model.makePass(baseHooks + extra, plan: ForwardPlan(logitRows: plan.baseRows)))
        }
        let baseLogits = plan.cached.isEmpty ? try baseRun([])
            : try model.withCaching(plan.cached, positions: nil, into: &baseCache) { try baseRun([$0]) }
        let baseRead = plan.baseRows == nil ? plan.rows.map { baseLogits[.all, $0] } ?? baseLogits : baseLogits
        let baselines = try evaluate(baseRead)

        var values = [[Float]?](repeating: nil, count: variants.count)
        // Variants without hooks are the base run.
        for i in plan.unhooked { values[i] = baselines }
        report(plan.unhooked.count)
        for layer in Set(plan.shortcut.values).sorted() {
            var fast = try HeadChangeShortcut(model: model, layer: layer, base: baseCache, logits: baseRead, rows: plan.rows)
            for i in plan.shortcut.keys.sorted() where plan.shortcut[i] == layer {
                values[i] = try evaluate(fast.logits(hooks: variants[i].hooks))
                report(1)
            }
        }
        /// The metric values of one group's variants, in the group's order.
        func measure(_ group: [Int]) throws -> [[Float]] {
            let logits = try runGroup(group, resumingAt: plan.resume[group[0]]!, plan: plan, base: baseCache)
            return try group.indices.map { k in try evaluate(group.count == 1 ? logits : logits[(k * batch)..<((k + 1) * batch)]) }
        }
        let threads = concurrentVariants ? min(KernelThreads.count, plan.groups.count) : 1
        if threads <= 1 {
            for group in plan.groups {
                for (i, value) in zip(group, try measure(group)) { values[i] = value }
                report(group.count)
            }
        } else {
            // One group per thread at a time, each on one core: no fork and join per product and
            // no core idling through the other's element-wise passes.
            try ClaimedWork.run(count: plan.groups.count, threads: threads, { try measure(plan.groups[$0]) }) { g, measured in
                for (i, value) in zip(plan.groups[g], measured) { values[i] = value }
                report(measured.count)
            }
        }
        return metrics.indices.map { m in
            SweepResult(labels: variants.map(\.label), values: values.map { $0?[m] }, baseline: baselines[m], shards: [shard], shape: shape)
        }
    }

    /// What a sweep will do, decided before anything runs.
    struct Plan {
        /// The validated base input, [batch, pos].
        let tokens: IntTensor
        /// The hook points in firing order.
        let points: [HookName]
        /// The logit positions the metrics read (nil: all).
        let rows: Range<Int>?
        /// Variant → firing index of the first point its hooks touch (`points.count`: none).
        let resume: [Int: Int]
        /// Variants whose hooks touch nothing: their value is the base run's.
        let unhooked: [Int]
        /// Variant → the layer of its closed form (``HeadChangeShortcut``).
        let shortcut: [Int: Int]
        /// The points the base run caches.
        let cached: [HookName]
        /// The logit rows of the base run (nil when variants resume in the final norm and need
        /// all of its positions).
        let baseRows: Range<Int>?
        /// Variants run together, stacked along the batch axis, each group resuming in one
        /// segment, earliest resume point first.
        let groups: [[Int]]
    }

    /// Plans the variants of `shard` for `metrics` (logits at the smallest range of positions
    /// holding every metric's).
    /// - Throws: ``SweepError`` for attached hooks or backward hooks, ``HookError`` for a hook
    ///   on no point of this model, and ``ModelError`` for invalid tokens.
    func plan(shard: Shard, metrics: [SweepMetric]) throws -> Plan {
        let tokens = try model.validated(self.tokens)
        let registered = model.registry.hooks.count
        guard registered == 0 else { throw SweepError.attachedHooks(count: registered) }
        let table = model.hookPointTable
        let points = table.names
        let order = Dictionary(uniqueKeysWithValues: points.enumerated().map { ($1, $0) })
        let (batch, length) = (tokens.shape[0], tokens.shape[1])
        var rows: Range<Int>?
        for (k, m) in metrics.enumerated() {
            guard let r = try m.positions.rows(length: length) else { rows = nil; break }
            rows = k == 0 ? r : rows.map { min($0.lowerBound, r.lowerBound)..<max($0.upperBound, r.upperBound) }
        }

        // Where each variant resumes: the first point (in firing order) any of its hooks touches.
        var resume: [Int: Int] = [:]
        for i in variants.indices where shard.contains(i) {
            var first = points.count
            for hook in variants[i].hooks {
                guard hook.direction == .forward else { throw SweepError.backwardHook(variant: variants[i].label) }
                let matched = try hook.target.resolve(in: points, pointSet: table.set)
                first = min(first, matched.compactMap { order[$0] }.min() ?? first)
            }
            resume[i] = first
        }

        // Variants changing only the heads of one of the last two layers take a closed form.
        let logitRows = batch * (rows?.count ?? length)
        var shortcut: [Int: Int] = [:]
        for i in resume.keys {
            shortcut[i] = HeadChangeShortcut.layer(for: variants[i].hooks, model: model, points: points, baseHooks: baseHooks,
                                                   logitRows: logitRows, allRows: batch * length)
        }

        // What the base run caches for the resumed variants.
        var wanted = Set<HookName>()
        for layer in Set(shortcut.values) { wanted.formUnion(HeadChangeShortcut.basePoints(model, layer: layer)) }
        for r in Set(resume.filter { shortcut[$0.key] == nil }.values) where r < points.count {
            let segment = segmentRange(of: r, points: points)
            wanted.formUnion(points[segment.lowerBound...r].filter { $0.activation != "result" })
            if let entry = entryResidual(of: r, points: points) { wanted.insert(entry) }
        }
        let cached = points.filter(wanted.contains)
        // The base run too computes only the metric's positions of the last block and the final
        // norm — unless variants resume in the final norm and need all of its positions.
        let baseRows = cached.contains { segmentKey($0) == model.config.nLayers } ? nil : rows

        // Group variants resuming in the same segment, earliest resume point first.
        let pending = resume.filter { $0.value < points.count && shortcut[$0.key] == nil }
            .sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        let perGroup = max(1, maxBatchRows / (batch * length))
        var groups: [[Int]] = []
        for (i, r) in pending {
            if let last = groups.last, last.count < perGroup,
               segmentRange(of: resume[last[0]]!, points: points) == segmentRange(of: r, points: points) {
                groups[groups.count - 1].append(i)
            } else {
                groups.append([i])
            }
        }
        return Plan(tokens: tokens, points: points, rows: rows, resume: resume,
                    unhooked: resume.filter { $0.value == points.count }.map(\.key).sorted(), shortcut: shortcut,
                    cached: cached, baseRows: baseRows, groups: groups)
    }

    /// The hook points of the segment (embeddings, one block, or the final norm) holding point
    /// `r`, as a range of firing indices.
    private func segmentRange(of r: Int, points: [HookName]) -> ClosedRange<Int> {
        let key = segmentKey(points[r])
        let lower = points[..<r].lastIndex { segmentKey($0) != key }.map { $0 + 1 } ?? 0
        let upper = points[r...].firstIndex { segmentKey($0) != key }.map { $0 - 1 } ?? points.count - 1
        return lower...upper
    }

    /// -1 for the embeddings, the block index, or n_layers for the final norm.
    private func segmentKey(_ name: HookName) -> Int {
        if let layer = name.layer { return layer }
        return name == .embed || name == .posEmbed ? -1 : model.config.nLayers
    }

    /// The residual a run resuming at `r` starts from (nil: it starts from the tokens).
    private func entryResidual(of r: Int, points: [HookName]) -> HookName? {
        let key = segmentKey(points[r])
        if key < 0 { return nil }
        return key < model.config.nLayers ? .residPre(key) : .residPost(model.config.nLayers - 1)
    }

    /// Runs the variants `group` stacked along the batch axis, resuming at point `r`; returns
    /// the logits at the metric's positions, [group.count · batch, n_positions, d_vocab_out].
    private func runGroup(_ group: [Int], resumingAt r: Int, plan: Plan, base: ActivationCache) throws -> Tensor {
        let (points, tokens, rows) = (plan.points, plan.tokens, plan.rows)
        let copies = group.count
        func tiled(_ t: Tensor) -> Tensor { copies == 1 ? t : Tensor.concatenate(Array(repeating: t, count: copies), axis: 0) }
        let segment = segmentRange(of: r, points: points)
        var resumed: [HookName: Tensor] = [:]
        for name in points[segment.lowerBound...r] { if let value = base[name] { resumed[name] = tiled(value) } }

        // Base hooks apply where the run computes a value itself; variant hooks after them.
        let taken = Set(resumed.keys)
        var hooks = baseHooks.map { hook in
            Hook(target: .predicate { hook.target.matches($0) && !taken.contains($0) }, direction: hook.direction,
                 readsOnly: hook.readsOnly, hook.body)
        }.filter { hook in points.contains { hook.target.matches($0) } }
        if copies == 1 {
            hooks += variants[group[0]].hooks
        } else {
            hooks += stackedHooks(group, points: points, batch: tokens.shape[0])
        }
        // Hooks on the final norm see every position, as in a plain run: then the logits are
        // sliced after the unembedding instead of before the norm.
        let touchesFinalNorm = group.contains { i in
            variants[i].hooks.contains { hook in points.contains { segmentKey($0) == model.config.nLayers && hook.target.matches($0) } }
        }
        let pass = try model.makePass(hooks, plan: ForwardPlan(logitRows: touchesFinalNorm ? nil : rows, resumed: resumed))
        let key = segmentKey(points[r])
        let logits: Tensor
        if key < 0 {
            let stackedTokens = copies == 1 ? tokens : IntTensor.concatenate(Array(repeating: tokens, count: copies), axis: 0)
            logits = try model.run(tokens: stackedTokens, residual: nil, start: 0, stop: model.config.nLayers, pass: pass)
        } else {
            let entry = try base.tensor(entryResidual(of: r, points: points)!)
            logits = try model.run(tokens: nil, residual: tiled(entry), start: min(key, model.config.nLayers),
                                   stop: model.config.nLayers, pass: pass)
        }
        if touchesFinalNorm, let rows { return logits[.all, rows] }
        return logits
    }

    /// One hook per point the group's variants touch, applying variant k's hooks (in order) to
    /// rows k·batch ..< (k+1)·batch of the stacked activation.
    private func stackedHooks(_ group: [Int], points: [HookName], batch: Int) -> [Hook] {
        var byPoint: [HookName: [(Int, Hook)]] = [:]
        for (k, i) in group.enumerated() {
            for hook in variants[i].hooks {
                for name in points where hook.target.matches(name) { byPoint[name, default: []].append((k, hook)) }
            }
        }
        return byPoint.map { name, entries in
            Hook(name) { value, context in
                var chunks = (0..<group.count).map { value[($0 * batch)..<(($0 + 1) * batch)] }
                for (k, hook) in entries { chunks[k] = try hook.replacement(for: chunks[k], context: context) ?? chunks[k] }
                return Tensor.concatenate(chunks, axis: 0)
            }
        }
    }
}
