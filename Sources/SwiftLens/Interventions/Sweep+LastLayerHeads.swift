/// The sweep's fast path for variants that only change the last layer's head outputs (`hook_z`
/// of the last block) of an attention-only model — zero, mean or resample ablation and
/// patching of last-layer heads, the commonest sweeps of an induction analysis.
///
/// Nothing downstream of those heads but the final norm and the unembedding, so a variant's
/// logits follow from the base run in closed form. With x the base final residual at the
/// metric's positions and Δz_h the change of head h's z,
///
///     x' = x + Σ_h Δz_h W_O[h]
///     logits' = ((x̃ + Σ_h Δz_h W̃_O[h]) W') / σ(x') + c,     W' = diag(w) W_U,  c = b W_U + b_U
///
/// (x̃: x centred over d_model for LayerNorm, W̃_O centred likewise; σ the norm's scale of
/// x'; no centring for RMSNorm; σ = 1 without a norm). x̃W' is computed once for the sweep,
/// W̃_O[h]W' [d_head, d_vocab] once per head, so a variant changing one head costs
/// rows × d_head × d_vocab instead of rows × d_model × d_vocab: 8× less at d_model 512.
struct LastLayerHeadShortcut {
    let model: HookedTransformer
    let layer: Int
    /// Base z of the last layer, [batch, pos, head, d_head].
    let baseZ: Tensor
    /// Base final residual at the metric's positions, [batch, n, d_model].
    let residual: Tensor
    /// (x̃ W') for the base residual, [batch, n, d_vocab_out].
    private let baseProduct: Tensor
    private let positions: TensorIndex?
    /// W̃_O[h] W' per head, computed on first use.
    private var headProducts: [Int: Tensor] = [:]
    /// c = b W_U + b_U, [d_vocab_out].
    private let offset: Tensor

    /// Whether `hooks` only touch `hook_z` of the last block of an attention-only model, and
    /// the metric reads enough logit rows for the shortcut to pay: per changed head it costs
    /// d_head × d_vocab × (rows + d_model) (the head's product, then the rows) against
    /// d_model × d_vocab × rows for the plain unembedding — a win from rows ≈ d_head on.
    static func applies(to hooks: [Hook], model: HookedTransformer, baseHooks: [Hook], logitRows: Int) -> Bool {
        let c = model.config
        guard c.attnOnly, !hooks.isEmpty, logitRows >= 2 * c.dHead else { return false }
        let last = HookName.z(c.nLayers - 1)
        let points = model.hookPoints
        guard let zIndex = points.firstIndex(of: last) else { return false }
        let later = points[(zIndex + 1)...]
        // Base hooks after z would change what the closed form assumes.
        if baseHooks.contains(where: { hook in later.contains { hook.target.matches($0) } }) { return false }
        return hooks.allSatisfy { hook in
            hook.direction == .forward && points.filter { hook.target.matches($0) } == [last]
        }
    }

    /// The points the shortcut reads from the base run.
    static func basePoints(_ model: HookedTransformer) -> [HookName] {
        [.z(model.config.nLayers - 1), .residPost(model.config.nLayers - 1)]
    }

    /// - Parameter logits: the base run's logits at the metric's positions, = x̃W'/σ(x) + c, from
    ///   which x̃W' is recovered in one pass instead of a d_model × d_vocab product per row.
    init(model: HookedTransformer, base: ActivationCache, logits: Tensor, positions: TensorIndex?) throws {
        self.model = model
        layer = model.config.nLayers - 1
        baseZ = try base.tensor(.z(layer))
        let final = try base.tensor(.residPost(layer))
        residual = positions.map { final[.all, $0] } ?? final
        self.positions = positions
        let wU = model.unembed.wU
        offset = model.lnFinal?.b.map { $0.reshaped(1, -1).matmul(wU).reshaped(-1) + model.unembed.bU } ?? model.unembed.bU
        let (rows, c) = (residual, offset)
        baseProduct = model.lnFinal.map { (logits - c).scaledRows(by: Self.scale(of: rows, $0)) } ?? logits - c
    }

    /// The logits at the metric's positions of the base run with `hooks` applied to the last
    /// layer's z.
    mutating func logits(hooks: [Hook]) throws -> Tensor {
        let name = HookName.z(layer)
        let context = HookContext(name: name, direction: .forward, storage: model.contextStorage[name] ?? HookStorage())
        var z = baseZ
        for hook in hooks {
            guard let replacement = try hook.body(z, context), !hook.readsOnly else { continue }
            guard replacement.shape == z.shape else { throw HookError.shapeMismatch(hook: name, expected: z.shape, found: replacement.shape) }
            z = replacement
        }
        return try logits(forZ: z)
    }

    /// x centred over d_model when the final norm is a LayerNorm.
    private static func centred(_ x: Tensor, _ model: HookedTransformer) -> Tensor {
        guard let ln = model.lnFinal, !ln.isRMS else { return x }
        return x - x.mean(axis: -1, keepDims: true)
    }

    /// W' = diag(w) W_U, [d_model, d_vocab_out].
    private static func outputMatrix(_ model: HookedTransformer) -> Tensor {
        guard let w = model.lnFinal?.w else { return model.unembed.wU }
        return model.unembed.wU * w.reshaped(-1, 1)
    }

    /// The logits at the metric's positions of the run whose last-layer z is `z`.
    mutating func logits(forZ z: Tensor) throws -> Tensor {
        let wO = model.blocks[layer].attn.wO  // [head, d_head, d_model]
        var product = baseProduct
        var delta: Tensor?
        for head in 0..<model.config.nHeads {
            let change = z[.all, .all, head] - baseZ[.all, .all, head]  // [batch, pos, d_head]
            guard change.abs().max().scalar > 0 else { continue }
            let read = positions.map { change[.all, $0] } ?? change
            if headProducts[head] == nil {
                headProducts[head] = Self.centred(wO[head], model).matmul(Self.outputMatrix(model))
            }
            product = read.matmul(headProducts[head]!, adding: product)
            delta = delta.map { read.matmul(wO[head], adding: $0) } ?? read.matmul(wO[head])
        }
        guard let ln = model.lnFinal else { return product + offset }
        return product.scaledRows(by: 1 / Self.scale(of: delta.map { residual + $0 } ?? residual, ln), adding: offset)
    }

    /// The final norm's scale σ(x) of residual rows x, [..., 1].
    private static func scale(of x: Tensor, _ ln: LayerNorm) -> Tensor {
        let xc = ln.isRMS ? x : x - x.mean(axis: -1, keepDims: true)
        return (xc.square().mean(axis: -1, keepDims: true) + ln.eps).sqrt()
    }
}
