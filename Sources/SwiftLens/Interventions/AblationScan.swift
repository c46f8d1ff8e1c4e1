/// How to remove a component's contribution.
public enum Ablation {
    /// Replace it with zeros.
    case zero
    /// Replace it with its mean over the batch and positions of `reference` tokens (nil: the
    /// sweep's own tokens) — less off-distribution than zero when a component writes a
    /// large constant.
    case mean(reference: IntTensor? = nil)
    /// Replace it with its value on other tokens of the same shape (resample ablation).
    case resample(from: IntTensor)
}

/// Ablation scans: one sweep variant per head, neuron or position, each measured by a metric.
/// Their sweeps run variants one per core (``Sweep/concurrentVariants``): a custom metric is
/// then called from two threads at once, so it must not share mutable state (or set
/// `concurrentVariants = false` on the returned sweep).
///
/// ```swift
/// let rrt = RepeatedRandomTokens.batch(count: 8, length: 64, vocabularySize: 5000, seed: 0)
/// let scan = try Sweep.headAblation(model, tokens: rrt, metric: .inductionLoss(tokens: rrt))
/// let losses = try scan.run().tensor()          // [n_layers, n_heads]
/// ```
extension Sweep {
    /// Ablates each head's output (its slice of `hook_z`) in turn; results [n_layers, n_heads].
    public static func headAblation(_ model: HookedTransformer, tokens: IntTensor, metric: SweepMetric,
                                    ablation: Ablation = .zero) throws -> Sweep {
        let c = model.config
        let source = try ablationSource(model, tokens: tokens, ablation, names: (0..<c.nLayers).map { .z($0) })
        var variants: [Variant] = []
        for head in Head.all(layers: c.nLayers, heads: c.nHeads) {
            variants.append(Variant(head.description, hooks: [try hook(.z(head.layer), [.all, .all, .at(head.head)], meanAxes: [0, 1],
                                                                      ablation, source)]))
        }
        var sweep = Sweep(model: model, tokens: tokens, metric: metric, variants: variants)
        sweep.concurrentVariants = true  // every hook is a `setValue`
        sweep.shape = [c.nLayers, c.nHeads]
        return sweep
    }

    /// Ablates each MLP neuron (`hook_post`) of `layers` (default: all) in turn; results
    /// [n_layers_scanned, d_mlp].
    public static func neuronAblation(_ model: HookedTransformer, tokens: IntTensor, metric: SweepMetric,
                                      layers: [Int]? = nil, ablation: Ablation = .zero) throws -> Sweep {
        let c = model.config
        guard !c.attnOnly else { throw ModelError.noMLP(model: c.modelName) }
        let dMLP = c.dMLP
        let layers = layers ?? Array(0..<c.nLayers)
        for l in layers where !(0..<c.nLayers).contains(l) {
            throw ModelError.invalidLayerRange(start: l, stop: l, layers: c.nLayers)
        }
        let source = try ablationSource(model, tokens: tokens, ablation, names: layers.map { .mlpPost($0) })
        var variants: [Variant] = []
        for layer in layers {
            for neuron in 0..<dMLP {
                variants.append(Variant("L\(layer)N\(neuron)", hooks: [try hook(.mlpPost(layer), [.all, .all, .at(neuron)],
                                                                                       meanAxes: [0, 1], ablation, source)]))
            }
        }
        var sweep = Sweep(model: model, tokens: tokens, metric: metric, variants: variants)
        sweep.concurrentVariants = true  // every hook is a `setValue`
        sweep.shape = [layers.count, dMLP]
        return sweep
    }

    /// Ablates `activation` (a residual-stream-shaped point: `HookName.residPre`, `.residMid`,
    /// `.residPost`, `.attnOut`, `.mlpOut`) at each layer and position in turn; results
    /// [n_layers, pos].
    public static func positionAblation(_ model: HookedTransformer, tokens: IntTensor, metric: SweepMetric,
                                        activation: (Int) -> HookName = HookName.residPre,
                                        ablation: Ablation = .zero) throws -> Sweep {
        let c = model.config
        let names = try PatchGrid(model, activation: activation, axes: [.layer, .pos]).names
        let source = try ablationSource(model, tokens: tokens, ablation, names: names)
        let length = tokens.rank == 1 ? tokens.shape[0] : tokens.shape[1]
        var variants: [Variant] = []
        for (layer, name) in names.enumerated() {
            for position in 0..<length {
                variants.append(Variant("L\(layer)P\(position)", hooks: [try hook(name, [.all, .at(position)], meanAxes: [0],
                                                                                       ablation, source)]))
            }
        }
        var sweep = Sweep(model: model, tokens: tokens, metric: metric, variants: variants)
        sweep.concurrentVariants = true  // every hook is a `setValue`
        sweep.shape = [c.nLayers, length]
        return sweep
    }

    /// The activations mean and resample ablations copy from (nil for zero ablation).
    private static func ablationSource(_ model: HookedTransformer, tokens: IntTensor, _ ablation: Ablation,
                                       names: [HookName]) throws -> ActivationCache? {
        switch ablation {
        case .zero: return nil
        case .mean(let reference): return try model.cache(reference ?? tokens, names: .only(names))
        case .resample(let other):
            guard other.shape == tokens.shape else { throw ModelError.tokensShapeMismatch(purpose: "resample", expected: tokens.shape, found: other.shape) }
            return try model.cache(other, names: .only(names))
        }
    }

    /// The hook ablating `index` of `name`; a mean ablation averages the selected slice over
    /// `meanAxes` (batch, and positions when all are selected).
    private static func hook(_ name: HookName, _ index: [TensorIndex], meanAxes: [Int], _ ablation: Ablation,
                             _ source: ActivationCache?) throws -> Hook {
        switch ablation {
        case .zero:
            return .setValue(name, index, to: Tensor(scalar: 0))
        case .mean:
            let slice = try source!.tensor(name).selecting(index)
            return .setValue(name, index, to: slice.mean(axes: meanAxes))
        case .resample:
            let replacement = try source!.tensor(name).selecting(index)
            return .setValue(name, index, to: replacement)
        }
    }
}
