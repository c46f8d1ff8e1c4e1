/// Activation patching (TransformerLens's `transformer_lens.patching`): run the corrupted
/// input, write one slice of the clean run's activation into it, and measure. Each grid cell
/// is one ``Sweep`` variant, so a patching grid resumes every run at the patched point and
/// unembeds only what the metric reads — TransformerLens runs a full forward per cell.
///
/// ```swift
/// let (_, clean) = try model.runWithCache(cleanTokens)
/// let metric = SweepMetric.logitDifference(answer: a, wrong: b)
/// let grid = try ActivationPatching.residPre(model, corrupted: corruptedTokens, clean: clean, metric: metric)
/// // grid: [n_layers, pos], TransformerLens's get_act_patch_resid_pre
/// ```
///
/// Every function has a `…Sweep` form returning the configured ``Sweep`` (to run it in shards or
/// with progress); the plain form runs it and returns the grid. The sweeps run variants one per
/// core (``Sweep/concurrentVariants``), so a custom metric must be safe to call from two
/// threads at once.
public enum ActivationPatching {
    /// The grid for the activation `activation(layer)` names in each layer (a typed builder:
    /// `HookName.residPre`, `HookName.z`, `HookName.pattern` …) over `axes` (first `.layer`),
    /// TransformerLens's `generic_activation_patch`. The axes are read from the layout each
    /// hook point declares. Result shape: the extent of each axis (layers; positions of the
    /// corrupted input; heads — key/value heads for k and v of grouped-query models).
    public static func sweep(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric,
                             activation: (Int) -> HookName, axes: [PatchAxis]) throws -> Sweep {
        let c = model.config
        let grid = try PatchGrid(model, activation: activation, axes: axes)
        let tokens = try model.validated(corrupted)
        for (name, layout) in zip(grid.names, grid.layouts) {
            guard let value = clean[name] else { throw CacheError.missing(name, available: clean.names) }
            guard value.rank == layout.rank, value.shape[0] == tokens.shape[0],
                  value.shape[layout.positionAxis] == tokens.shape[1] else {
                throw ModelError.tokensShapeMismatch(purpose: "clean and corrupted", expected: tokens.shape,
                                                     found: [value.shape[0], value.shape[min(layout.positionAxis, value.rank - 1)]])
            }
        }
        let extents = [c.nLayers] + grid.activationAxes.map { clean[grid.names[0]]!.shape[$0] }
        var variants: [Sweep.Variant] = []
        var cell = [Int](repeating: 0, count: axes.count)
        let total = extents.reduce(1, *)
        for _ in 0..<total {
            let layer = cell[0]
            let name = grid.names[layer]
            var index = [TensorIndex](repeating: .all, count: grid.layouts[layer].rank)
            var cellLabel: [String] = []
            for ((axis, value), activationAxis) in zip(zip(axes, cell).dropFirst(), grid.activationAxes) {
                index[activationAxis] = .at(value)
                cellLabel.append("\(axis.rawValue)=\(value)")
            }
            let source = clean[name]!.selecting(index)
            variants.append(Sweep.Variant("\(name)" + (cellLabel.isEmpty ? "" : "[\(cellLabel.joined(separator: ", "))]"),
                                          hooks: [.setValue(name, index, to: source)]))
            for a in stride(from: axes.count - 1, through: 0, by: -1) {  // next cell, last axis fastest
                cell[a] += 1
                if cell[a] < extents[a] { break }
                cell[a] = 0
            }
        }
        var sweep = Sweep(model: model, tokens: tokens, metric: metric, variants: variants)
        sweep.concurrentVariants = true  // every hook is a `setValue`
        sweep.shape = extents
        return sweep
    }

    /// Runs ``sweep(_:corrupted:clean:metric:activation:axes:)`` and returns the grid.
    public static func patch(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric,
                             activation: (Int) -> HookName, axes: [PatchAxis]) throws -> Tensor {
        try sweep(model, corrupted: corrupted, clean: clean, metric: metric, activation: activation, axes: axes).run().tensor()
    }

    /// `get_act_patch_resid_pre`: [n_layers, pos].
    public static func residPre(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: HookName.residPre, axes: [.layer, .pos])
    }
    /// `get_act_patch_resid_mid`: [n_layers, pos] (models with MLPs).
    public static func residMid(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: HookName.residMid, axes: [.layer, .pos])
    }
    /// `get_act_patch_attn_out`: [n_layers, pos].
    public static func attnOut(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: HookName.attnOut, axes: [.layer, .pos])
    }
    /// `get_act_patch_mlp_out`: [n_layers, pos] (models with MLPs).
    public static func mlpOut(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: HookName.mlpOut, axes: [.layer, .pos])
    }

    /// A per-head activation of `get_act_patch_attn_head_*`: z (head output), q, k, v.
    /// By position: [n_layers, pos, n_heads]; over all positions: [n_layers, n_heads].
    public static func head(_ activation: HeadActivation, byPosition: Bool, _ model: HookedTransformer, corrupted: IntTensor,
                            clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: activation.hookName,
                  axes: byPosition ? [.layer, .pos, .head] : [.layer, .head])
    }

    /// `get_act_patch_attn_head_out_by_pos` / `_all_pos` (the head output is its `hook_z`).
    public static func headOut(byPosition: Bool, _ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                               metric: SweepMetric) throws -> Tensor {
        try head(.z, byPosition: byPosition, model, corrupted: corrupted, clean: clean, metric: metric)
    }

    /// `get_act_patch_attn_head_pattern_all_pos` ([n_layers, n_heads]), `_by_pos`
    /// ([n_layers, n_heads, dest_pos]) and `_dest_src_pos` ([n_layers, n_heads, dest_pos, src_pos]).
    public static func headPattern(_ grid: PatternGrid, _ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                                   metric: SweepMetric) throws -> Tensor {
        let axes: [PatchAxis] = switch grid {
        case .allPositions: [.layer, .head]
        case .byDestination: [.layer, .head, .destPos]
        case .destinationAndSource: [.layer, .head, .destPos, .srcPos]
        }
        return try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: HookName.pattern, axes: axes)
    }

    /// How finely to patch attention patterns.
    public enum PatternGrid: Sendable { case allPositions, byDestination, destinationAndSource }

    /// `get_act_patch_attn_head_all_pos_every`: [5, n_layers, n_heads] stacking head output (z),
    /// q, k, v and pattern, each over all positions (k and v zero-padded to n_heads on
    /// grouped-query models).
    public static func headAllPositionsEvery(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                                             metric: SweepMetric) throws -> Tensor {
        let h = model.config.nHeads
        let parts = try HeadActivation.allCases.map { try padHeads(head($0, byPosition: false, model, corrupted: corrupted, clean: clean,
                                                                       metric: metric), to: h) }
            + [headPattern(.allPositions, model, corrupted: corrupted, clean: clean, metric: metric)]
        return Tensor.stack(parts, axis: 0)
    }

    /// `get_act_patch_attn_head_by_pos_every`: [5, n_layers, pos, n_heads] stacking z, q, k, v
    /// by position and the pattern by destination position (rearranged to [layer, pos, head]).
    public static func headByPositionEvery(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                                           metric: SweepMetric) throws -> Tensor {
        let h = model.config.nHeads
        let parts = try HeadActivation.allCases.map { try padHeads(head($0, byPosition: true, model, corrupted: corrupted, clean: clean,
                                                                       metric: metric), to: h) }
        let pattern = try headPattern(.byDestination, model, corrupted: corrupted, clean: clean, metric: metric).permuted(0, 2, 1)
        return Tensor.stack(parts + [pattern], axis: 0)
    }

    /// `get_act_patch_block_every`: [3, n_layers, pos] stacking resid_pre, attn_out and mlp_out
    /// (attention-only models: resid_pre and attn_out, [2, n_layers, pos]).
    public static func blockEvery(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                                  metric: SweepMetric) throws -> Tensor {
        var parts = [try residPre(model, corrupted: corrupted, clean: clean, metric: metric),
                     try attnOut(model, corrupted: corrupted, clean: clean, metric: metric)]
        if !model.config.attnOnly { parts.append(try mlpOut(model, corrupted: corrupted, clean: clean, metric: metric)) }
        return Tensor.stack(parts, axis: 0)
    }

    /// Zero-pads the last (head) axis to `heads` (k/v grids of grouped-query models).
    private static func padHeads(_ grid: Tensor, to heads: Int) -> Tensor {
        let have = grid.shape.last!
        guard have < heads else { return grid }
        var padShape = grid.shape
        padShape[padShape.count - 1] = heads - have
        return Tensor.concatenate([grid, Tensor.zeros(padShape)], axis: grid.rank - 1)
    }
}
