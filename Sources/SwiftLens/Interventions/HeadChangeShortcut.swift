/// The sweep's closed forms for variants that change only the head outputs (`hook_z`) of one of
/// the last two layers of an attention-only model — zero, mean and resample ablation and
/// patching of heads, the commonest sweeps of an induction analysis.
///
/// Changing head h's z by Δz_h adds Δz_h·W_O[h] to the residual stream: a change of rank at
/// most d_head per head, which next meets a norm followed by linear maps — the final norm and
/// the unembedding after the last layer; the last block's `ln1` and W_Q, W_K, W_V after the
/// layer before it. ``NormedProjection`` gives such a map's value on the changed residual from
/// its value on the base one at rows × d_head × n per changed head instead of rows × d_model ×
/// n, and skips the changed layer's own W_O product. Last-layer variants are then done;
/// variants of the layer before resume the last block from its q, k and v (queries at the
/// metric's positions only).
struct HeadChangeShortcut {
    let model: HookedTransformer
    /// The layer whose heads the variants change (n_layers − 1 or n_layers − 2).
    let layer: Int
    /// Base z of that layer, [batch, pos, head, d_head].
    let baseZ: Tensor
    /// The positions the metric reads (nil: all).
    let rows: Range<Int>?
    private var projection: NormedProjection

    /// The layer (n_layers − 1 or − 2) whose `hook_z` is the only point `hooks` touch, if this
    /// path takes them: an attention-only model without shortformer positions, no base hook
    /// after that z, and enough rows for the low-rank form to pay — per changed head it costs
    /// d_head × n × (rows + d_model) against d_model × n × rows, a win from rows ≈ d_head on.
    static func layer(for hooks: [Hook], model: HookedTransformer, points: [HookName], baseHooks: [Hook], logitRows: Int,
                      allRows: Int) -> Int? {
        let c = model.config
        guard c.attnOnly, !hooks.isEmpty, c.positionalEmbeddingType != .shortformer else { return nil }
        for layer in [c.nLayers - 1, c.nLayers - 2] where layer >= 0 {
            guard let zIndex = points.firstIndex(of: .z(layer)),
                  hooks.allSatisfy({ hook in hook.direction == .forward && points.filter { hook.target.matches($0) } == [.z(layer)] })
            else { continue }
            let later = points[(zIndex + 1)...]
            // Base hooks after z would change what the closed form assumes.
            if baseHooks.contains(where: { hook in later.contains { hook.target.matches($0) } }) { return nil }
            return (layer == c.nLayers - 1 ? logitRows : allRows) >= 2 * c.dHead ? layer : nil
        }
        return nil
    }

    /// The points the shortcut for `layer` reads from the base run.
    static func basePoints(_ model: HookedTransformer, layer: Int) -> [HookName] {
        let last = model.config.nLayers - 1
        return [.z(layer), layer == last ? .residPost(last) : .residPre(last)]
    }

    /// - Parameter logits: the base run's logits at the metric's positions (for the last layer,
    ///   the unembedding's product is recovered from them in one pass).
    init(model: HookedTransformer, layer: Int, base: ActivationCache, logits: Tensor, rows: Range<Int>?) throws {
        self.model = model
        self.layer = layer
        self.rows = rows
        baseZ = try base.tensor(.z(layer))
        let last = model.config.nLayers - 1
        let wO = model.blocks[layer].attn.wO
        if layer == last {
            let final = try base.tensor(.residPost(last))
            projection = NormedProjection(norm: model.lnFinal, weight: model.unembed.wU, bias: model.unembed.bU, directions: wO,
                                          residual: rows.map { final[.all, $0] } ?? final, output: logits)
        } else {
            // [W_Q | W_K | W_V] as one [d_model, (heads + 2·kv_heads)·d_head] map.
            let (weight, bias) = model.blocks[last].attn.queryKeyValueMap()
            projection = NormedProjection(norm: model.blocks[last].ln1, weight: weight, bias: bias, directions: wO,
                                          residual: try base.tensor(.residPre(last)), output: nil)
        }
    }

    /// The logits at the metric's positions of the base run with `hooks` applied to the layer's z.
    mutating func logits(hooks: [Hook]) throws -> Tensor {
        // The variant's hooks see z as in a run with those hooks passed to the call.
        let point = model.blocks[layer].attn.points.z
        let context = HookContext(name: point.name, direction: .forward, layout: point.layout, positionOffset: 0,
                                  storage: HookStorage())
        let z = try Hook.apply(hooks, to: baseZ, context: context)
        let last = model.config.nLayers - 1
        var changes: [(head: Int, delta: Tensor)] = []
        for head in 0..<model.config.nHeads {
            let change = z[.all, .all, head] - baseZ[.all, .all, head]  // [batch, pos, d_head]
            guard change.abs().max().scalar > 0 else { continue }
            changes.append((head, layer == last ? rows.map { change[.all, $0] } ?? change : change))
        }
        let (output, residual) = projection.evaluate(changes)
        if layer == last { return output }
        // The last block from its q, k and v: [batch, pos, (heads + 2·kv_heads)·d_head] split.
        let attn = model.blocks[last].attn
        let (batch, positions, dHead) = (output.shape[0], output.shape[1], model.config.dHead)
        let widths = [attn.heads, attn.keyValueHeads, attn.keyValueHeads]
        let parts = output.split(widths.map { $0 * dHead }, axis: -1)
        let resumed: [HookName: Tensor] = [.q(last): parts[0].reshaped(batch, positions, widths[0], dHead),
                                           .k(last): parts[1].reshaped(batch, positions, widths[1], dHead),
                                           .v(last): parts[2].reshaped(batch, positions, widths[2], dHead)]
        let pass = try model.makePass([], plan: ForwardPlan(logitRows: rows, resumed: resumed))
        return try model.run(tokens: nil, residual: residual, start: last, stop: last + 1, pass: pass)
    }
}
