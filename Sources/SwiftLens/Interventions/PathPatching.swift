/// Path patching along direct paths (Wang et al. 2022; TransformerLens's
/// `get_act_patch_direct_path`): the effect of sender heads on the metric **through** one
/// receiver head's query, key or value input only.
///
/// For every receiver head in a later layer, the corrupted run is changed in exactly one place:
/// the receiver's q (or k, or v) becomes what it would be if its input residual held the
/// senders' clean outputs instead of their corrupted ones,
///
///     Δ = Σ_senders (clean z_s − corrupted z_s) · W_O[s]            [batch, pos, d_model]
///     Δq_receiver = ln1(Δ) · W_Q[receiver]                          (likewise k, v)
///
/// where ln1 is the receiver's norm **with the corrupted run's scale** (centring for
/// LayerNorm, dividing by the cached `hook_scale`, times the weight): the norm is frozen, the
/// standard direct-path approximation, exact for models without norms. Everything downstream
/// of the receiver then runs normally. Cells whose receiver is not after every sender hold the
/// corrupted metric (nothing patched).
///
/// ```swift
/// // How much does previous-token head 0.2 drive the induction head's keys?
/// let grid = try PathPatching.patch(model, corrupted: corrupted, clean: cleanCache, metric: metric,
///                                   senders: [Head(layer: 0, head: 2)], component: .k)   // [n_layers, n_heads]
/// ```
public enum PathPatching {
    /// The receiver input a path ends in.
    public enum Component: String, Sendable, CaseIterable { case q, k, v }

    /// The sweep over receivers (for shards or progress); results [n_layers, n_heads] (key/value
    /// heads for k and v of grouped-query models).
    public static func sweep(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric,
                             senders: [Head], component: Component) throws -> Sweep {
        let c = model.config
        guard !senders.isEmpty else { throw PatchingError.senders("no sender heads given") }
        for s in senders where !(0..<c.nLayers).contains(s.layer) || !(0..<c.nHeads).contains(s.head) {
            throw PatchingError.senders("sender \(s) is not a head of this \(c.nLayers)-layer, \(c.nHeads)-head model")
        }
        let tokens = try model.validated(corrupted)
        let lastSender = senders.map(\.layer).max()!
        let receiverLayers = Array((lastSender + 1)..<c.nLayers)
        let normalized = model.blocks[0].ln1 != nil
        var names = Set(senders.map { HookName.z($0.layer) })
        if normalized { names.formUnion(receiverLayers.map { .scale($0, .ln1) }) }
        let corruptedCache = try model.cache(tokens, names: .only(model.hookPoints.filter(names.contains)))

        // The senders' clean-minus-corrupted output, [batch, pos, d_model].
        var delta: Tensor?
        for s in senders {
            guard let cleanZ = clean[.z(s.layer)] else { throw CacheError.missing(.z(s.layer), available: clean.names) }
            let corruptedZ = try corruptedCache.tensor(.z(s.layer))
            guard cleanZ.shape == corruptedZ.shape else {
                throw ModelError.tokensShapeMismatch(purpose: "clean and corrupted", expected: corruptedZ.shape, found: cleanZ.shape)
            }
            let difference = (cleanZ[.all, .all, s.head] - corruptedZ[.all, .all, s.head]).matmul(model.blocks[s.layer].attn.wO[s.head])
            delta = delta.map { $0 + difference } ?? difference
        }

        let heads = component == .q ? c.nHeads : model.blocks[0].attn.keyValueHeads
        var variants: [Sweep.Variant] = []
        for layer in 0..<c.nLayers {
            let block = model.blocks[layer]
            // The receiver's input change through its (frozen) norm.
            var input: Tensor?
            if receiverLayers.contains(layer) {
                var x = delta!
                if let ln = block.ln1 {
                    if !ln.isRMS { x = x - x.mean(axis: -1, keepDims: true) }
                    x = x / (try corruptedCache.tensor(.scale(layer, .ln1)))
                    if let w = ln.w { x = x * w }
                }
                input = x
            }
            let weight = component == .q ? block.attn.wQ : component == .k ? block.attn.wK : block.attn.wV
            let point: HookName = component == .q ? .q(layer) : component == .k ? .k(layer) : .v(layer)
            for head in 0..<heads {
                let label = "\(point)[head=\(head)]"
                guard let input else { variants.append(Sweep.Variant(label, hooks: [])); continue }
                let change = input.matmul(weight[head])  // [batch, pos, d_head]
                let index: [TensorIndex] = [.all, .all, .at(head)]
                variants.append(Sweep.Variant(label, hooks: [Hook(point) { x, _ in x.replacing(index, with: x.selecting(index) + change) }]))
            }
        }
        var sweep = Sweep(model: model, tokens: tokens, metric: metric, variants: variants)
        sweep.shape = [c.nLayers, heads]
        return sweep
    }

    /// Runs ``sweep(_:corrupted:clean:metric:senders:component:)``: the metric per receiver,
    /// [n_layers, n_heads].
    public static func patch(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache, metric: SweepMetric,
                             senders: [Head], component: Component) throws -> Tensor {
        try sweep(model, corrupted: corrupted, clean: clean, metric: metric, senders: senders, component: component).run().tensor()
    }
}
