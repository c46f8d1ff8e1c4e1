/// An axis of an activation-patching grid (TransformerLens's `index_axis_names`).
public enum PatchAxis: String, Sendable, CaseIterable {
    /// The layer (always the first axis).
    case layer
    /// The position (axis 1 of residual-, head- and neuron-shaped activations).
    case pos
    /// The head (axis 2 of q/k/v/z/result; axis 1 of scores and patterns).
    case head
    /// The query (destination) position of a pattern.
    case destPos = "dest_pos"
    /// The key (source) position of a pattern.
    case srcPos = "src_pos"
}

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
/// with progress); the plain form runs it and returns the grid.
public enum ActivationPatching {
    /// The grid for `activation` (a `getActName` activation such as "resid_pre", "z",
    /// "pattern") over `axes` (first `.layer`), TransformerLens's `generic_activation_patch`.
    /// Result shape: the extent of each axis (layers; positions of the corrupted input; heads
    /// — key/value heads for k and v of grouped-query models).
    public static func sweep(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric,
                             activation: String, axes: [PatchAxis]) throws -> Sweep {
        let c = model.config
        guard axes.first == .layer, Set(axes).count == axes.count, axes.count >= 1 else {
            throw PatchingError.axes(axes.map(\.rawValue), activation: activation)
        }
        let tokens = try model.validated(corrupted)
        let kind = ActivationKind(activation)
        let groupedKV = (activation == "k" || activation == "v") && c.nKeyValueHeads != nil
        let heads = groupedKV ? c.nKeyValueHeads! : c.nHeads
        var extents: [Int] = []
        for axis in axes {
            switch axis {
            case .layer: extents.append(c.nLayers)
            case .pos, .destPos, .srcPos: extents.append(tokens.shape[1])
            case .head: extents.append(heads)
            }
            guard kind.axis(of: axis) != nil else { throw PatchingError.axes(axes.map(\.rawValue), activation: activation) }
        }
        for layer in 0..<c.nLayers {
            let name = getActName(activation, layer)
            guard model.hookPoints.contains(name) else {
                throw HookError.unknownHookPoint(name, suggestions: HookRunner.suggestions(for: name, in: model.hookPoints))
            }
            guard let value = clean[name] else { throw CacheError.missing(name, available: clean.names) }
            guard value.shape[0] == tokens.shape[0], value.rank < 2 || value.shape[1] == tokens.shape[1] || kind == .pattern else {
                throw ModelError.tokensShapeMismatch(purpose: "clean and corrupted", expected: tokens.shape,
                                                     found: Array(value.shape.prefix(2)))
            }
        }
        var variants: [Sweep.Variant] = []
        var cell = [Int](repeating: 0, count: axes.count)
        let total = extents.reduce(1, *)
        for _ in 0..<total {
            let layer = cell[0]
            let name = getActName(activation, layer)
            var index = [TensorIndex](repeating: .all, count: kind.rank)
            var label: [String] = []
            for (axis, value) in zip(axes, cell).dropFirst() {
                index[kind.axis(of: axis)!] = .at(value)
                label.append("\(axis.rawValue)=\(value)")
            }
            let source = clean[name]!.selecting(index)
            variants.append(Sweep.Variant("\(name)" + (label.isEmpty ? "" : "[\(label.joined(separator: ", "))]"),
                                          hooks: [.setValue(name, index, to: source)]))
            for a in stride(from: axes.count - 1, through: 0, by: -1) {  // next cell, last axis fastest
                cell[a] += 1
                if cell[a] < extents[a] { break }
                cell[a] = 0
            }
        }
        var sweep = Sweep(model: model, tokens: tokens, metric: metric, variants: variants)
        sweep.shape = extents
        return sweep
    }

    /// Runs ``sweep(_:corrupted:clean:metric:activation:axes:)`` and returns the grid.
    public static func patch(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric,
                             activation: String, axes: [PatchAxis]) throws -> Tensor {
        try sweep(model, corrupted: corrupted, clean: clean, metric: metric, activation: activation, axes: axes).run().tensor()
    }

    /// `get_act_patch_resid_pre`: [n_layers, pos].
    public static func residPre(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: "resid_pre", axes: [.layer, .pos])
    }
    /// `get_act_patch_resid_mid`: [n_layers, pos] (models with MLPs).
    public static func residMid(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: "resid_mid", axes: [.layer, .pos])
    }
    /// `get_act_patch_attn_out`: [n_layers, pos].
    public static func attnOut(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: "attn_out", axes: [.layer, .pos])
    }
    /// `get_act_patch_mlp_out`: [n_layers, pos] (models with MLPs).
    public static func mlpOut(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: "mlp_out", axes: [.layer, .pos])
    }

    /// A per-head activation of `get_act_patch_attn_head_*`: "z" (head output), "q", "k", "v".
    /// By position: [n_layers, pos, n_heads]; over all positions: [n_layers, n_heads].
    public static func head(_ activation: String, byPosition: Bool, _ model: HookedTransformer, corrupted: IntTensor,
                            clean: ActivationCache, metric: SweepMetric) throws -> Tensor {
        try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: activation,
                  axes: byPosition ? [.layer, .pos, .head] : [.layer, .head])
    }

    /// `get_act_patch_attn_head_out_by_pos` / `_all_pos` (the head output is its `hook_z`).
    public static func headOut(byPosition: Bool, _ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                               metric: SweepMetric) throws -> Tensor {
        try head("z", byPosition: byPosition, model, corrupted: corrupted, clean: clean, metric: metric)
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
        return try patch(model, corrupted: corrupted, clean: clean, metric: metric, activation: "pattern", axes: axes)
    }

    /// How finely to patch attention patterns.
    public enum PatternGrid: Sendable { case allPositions, byDestination, destinationAndSource }

    /// `get_act_patch_attn_head_all_pos_every`: [5, n_layers, n_heads] stacking head output (z),
    /// q, k, v and pattern, each over all positions (k and v zero-padded to n_heads on
    /// grouped-query models).
    public static func headAllPositionsEvery(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                                             metric: SweepMetric) throws -> Tensor {
        let h = model.config.nHeads
        let parts = try ["z", "q", "k", "v"].map { try padHeads(head($0, byPosition: false, model, corrupted: corrupted, clean: clean,
                                                                       metric: metric), to: h) }
            + [headPattern(.allPositions, model, corrupted: corrupted, clean: clean, metric: metric)]
        return Tensor.stack(parts, axis: 0)
    }

    /// `get_act_patch_attn_head_by_pos_every`: [5, n_layers, pos, n_heads] stacking z, q, k, v
    /// by position and the pattern by destination position (rearranged to [layer, pos, head]).
    public static func headByPositionEvery(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                                           metric: SweepMetric) throws -> Tensor {
        let h = model.config.nHeads
        let parts = try ["z", "q", "k", "v"].map { try padHeads(head($0, byPosition: true, model, corrupted: corrupted, clean: clean,
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

/// The axis layout of an activation family, for patch setters.
enum ActivationKind: Equatable {
    /// [batch, pos, d] (residuals, attn_out, mlp_out, mlp pre/post, normalized, scale).
    case positional
    /// [batch, pos, head, d] (q, k, v, z, result, rot_q, rot_k).
    case perHead
    /// [batch, head, dest, src] (attn_scores, pattern).
    case pattern

    init(_ activation: String) {
        switch activation {
        case "q", "k", "v", "z", "result", "rot_q", "rot_k", "smeared_k": self = .perHead
        case "pattern", "attn_scores", "scores", "attn": self = .pattern
        default: self = .positional
        }
    }

    var rank: Int { self == .positional ? 3 : 4 }

    /// The activation axis an index axis selects (nil if it has none).
    func axis(of patchAxis: PatchAxis) -> Int? {
        switch (self, patchAxis) {
        case (_, .layer): 0
        case (.positional, .pos), (.perHead, .pos): 1
        case (.perHead, .head): 2
        case (.pattern, .head): 1
        case (.pattern, .destPos): 2
        case (.pattern, .srcPos): 3
        default: nil
        }
    }
}

/// A patching request that cannot be made.
public enum PatchingError: Error, CustomStringConvertible, Equatable {
    case axes([String], activation: String)
    case senders(String)

    public var description: String {
        switch self {
        case let .axes(axes, activation):
            "cannot patch \"\(activation)\" over axes \(axes): the first axis must be layer, axes must not repeat, and "
                + "each must exist for it (pos for residual-, head- and neuron-shaped activations; head for q/k/v/z/result "
                + "and patterns; dest_pos and src_pos for patterns)"
        case let .senders(reason): "path patching: \(reason)"
        }
    }
}
