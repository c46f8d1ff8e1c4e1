// TransformerLens's residual-stream analyses on a cache (`ActivationCache.py`, v2.18 semantics):
// the residual stream as a stack of pieces (accumulated per layer, or decomposed into what each
// sublayer wrote), the final norm applied to such a stack, and direct logit attribution.
// Per-head and per-neuron pieces are in ActivationCache+Components.swift.

extension ActivationCache {
    // MARK: Accumulated residual and the logit lens

    /// The residual stream entering each layer up to `layer`, TransformerLens's
    /// `accumulated_resid`: `resid_pre` of layers 0…`layer` (inclusive), and for the final layer
    /// (`layer` nil or −1 = n_layers) the last `resid_post` instead of a `resid_pre`.
    ///
    /// - Parameters:
    ///   - includeMid: also list `resid_mid` of each layer below `layer` (`{l}_mid`).
    ///   - applyLN: pass the stack through the norm that reads `layer`. For the final layer this
    ///     re-runs `ln_final` on each component with its own statistics, weight and bias
    ///     included (TL 2.18: each row is what the unembedding would see if the stream stopped
    ///     there — the logit lens). For other layers it divides by the cached scale
    ///     (``applyLNToStack(_:layer:mlpInput:positions:recomputeLN:)``).
    ///   - mlpInput: end at `resid_mid` of `layer` (the MLP's input) and use ln2.
    /// - Returns: [n_components, batch, pos, d_model], labels `0_pre`, (`0_mid`,) …, `final_post`.
    public func accumulatedResid(layer: Int? = nil, includeMid: Bool = false, applyLN: Bool = false,
                                 positions: TensorIndex = .all, mlpInput: Bool = false) throws -> ComponentStack {
        let model = try attachedModel()
        let n = model.config.nLayers
        let layer = try analysisLayer(layer, model)
        if mlpInput { try checkMLPInput(layer, model) }
        if includeMid && layer > 0 && (model.config.attnOnly || model.config.parallelAttnMLP) {
            throw CacheAnalysisError.invalidArgument("includeMid: this model (\(model.config.attnOnly ? "attention-only" : "parallel attention and MLP")) has no resid_mid")
        }
        var parts: [Tensor] = [], labels: [String] = []
        for l in 0...layer {
            if l == n {
                parts.append(try positions.apply(tensor(.residPost(n - 1)), axis: -2))
                labels.append("final_post")
                continue
            }
            parts.append(try positions.apply(tensor(.residPre(l)), axis: -2))
            labels.append("\(l)_pre")
            if (includeMid && l < layer) || (mlpInput && l == layer) {
                parts.append(try positions.apply(tensor(.residMid(l)), axis: -2))
                labels.append("\(l)_mid")
            }
        }
        var stack = Tensor.stack(parts)
        if applyLN {
            stack = try applyLNToStack(stack, layer: layer, mlpInput: mlpInput, positions: positions, recomputeLN: layer == n)
        }
        return ComponentStack(tensor: stack, labels: labels)
    }

    /// The logit lens of this cache: ``accumulatedResid(layer:includeMid:applyLN:positions:mlpInput:)``
    /// with `ln_final` re-run on each row, unembedded; see ``LogitLens``.
    /// - Parameters:
    ///   - includeMid: also read the residual between attention and MLP of each layer.
    ///   - positions: the positions to unembed (TL's `pos_slice`); the next-token loss needs all.
    public func logitLens(includeMid: Bool = false, positions: TensorIndex = .all) throws -> LogitLens {
        try LogitLens(cache: self, includeMid: includeMid, positions: positions)
    }

    // MARK: Decomposed residual

    /// What each part of the model wrote into the residual stream before `layer`,
    /// TransformerLens's `decompose_resid`: `embed`, `pos_embed` (each if cached), then
    /// `{l}_attn_out` and `{l}_mlp_out` for l < `layer` (MLPs skipped in attention-only models),
    /// plus `{layer}_attn_out` with `mlpInput`. The rows sum to the residual entering `layer`
    /// (`resid_pre`, or `resid_mid` with `mlpInput`; the final `resid_post` for the default).
    ///
    /// Shortformer models: as in TransformerLens, `pos_embed` is listed although it never enters
    /// the residual stream (it is added to the queries and keys only), so there the rows sum to
    /// the residual plus `hook_pos_embed`. Pass `includeEmbeds: false` and add `embed` yourself
    /// for an exact split.
    /// - Parameter applyLN: divide by the cached scale of the norm reading `layer` (centring
    ///   first for LayerNorm), which keeps the decomposition additive (direct logit attribution).
    /// - Returns: [n_components, batch, pos, d_model] and the labels.
    public func decomposeResid(layer: Int? = nil, mlpInput: Bool = false, mode: ResidualDecompositionMode = .all,
                               applyLN: Bool = false, positions: TensorIndex = .all,
                               includeEmbeds: Bool = true) throws -> ComponentStack {
        let model = try attachedModel()
        let layer = try analysisLayer(layer, model)
        if mlpInput { try checkMLPInput(layer, model) }
        let includeAttention = mode != .mlp
        let includeMLP = mode != .attn && !model.config.attnOnly
        var names: [(HookName, String)] = []
        if includeEmbeds {
            if contains(.embed) { names.append((.embed, "embed")) }
            if contains(.posEmbed) { names.append((.posEmbed, "pos_embed")) }
        }
        for l in 0..<layer {
            if includeAttention { names.append((.attnOut(l), "\(l)_attn_out")) }
            if includeMLP { names.append((.mlpOut(l), "\(l)_mlp_out")) }
        }
        if mlpInput && includeAttention { names.append((.attnOut(layer), "\(layer)_attn_out")) }
        var stack = names.isEmpty
            ? try emptyStack(positions)
            : Tensor.stack(try names.map { try positions.apply(tensor($0.0), axis: -2) })
        if applyLN { stack = try applyLNToStack(stack, layer: layer, mlpInput: mlpInput, positions: positions) }
        return ComponentStack(tensor: stack, labels: names.map(\.1))
    }

    // MARK: Norms on stacks

    /// Treats each component of `stack` as input to the norm that reads `layer` (ln1; ln2 with
    /// `mlpInput`; `ln_final` for the final layer) and applies it the way TransformerLens's
    /// `apply_ln_to_stack` does: LayerNorm/LNPre subtract the component's own mean over d_model
    /// and divide by the **cached** `hook_scale` — the scale of the whole residual — so the
    /// result stays a linear, additive split of the normalised residual; RMS/RMSPre only divide
    /// by the cached scale; a model without norms gets the stack back unchanged. Norm weights
    /// and biases are not applied (TransformerLens assumes them folded into the next weights).
    ///
    /// - Parameters:
    ///   - stack: [n_components, batch, pos, d_model], positions already selected by `positions`.
    ///   - positions: the positions of the cached scale to divide by (TL's `pos_slice`).
    ///   - recomputeLN: final layer only: run `ln_final` itself (own statistics, weight and
    ///     bias) on each component — the logit lens, not an additive split.
    /// - Returns: the stack, same shape.
    /// - Note: the centring follows the norm that actually reads `layer` (for `final_rms`
    ///   models with LayerNorm blocks, TransformerLens centres at the final layer anyway).
    public func applyLNToStack(_ stack: Tensor, layer: Int? = nil, mlpInput: Bool = false,
                               positions: TensorIndex = .all, recomputeLN: Bool = false) throws -> Tensor {
        let model = try attachedModel()
        let n = model.config.nLayers, d = model.config.dModel
        let layer = try analysisLayer(layer, model)
        if mlpInput { try checkMLPInput(layer, model) }
        guard stack.rank >= 2, stack.shape.last == d else {
            throw CacheAnalysisError.shapeMismatch("the stack", expected: "[n_components, …, d_model = \(d)]", found: stack.shape)
        }
        if recomputeLN && layer != n {
            throw CacheAnalysisError.invalidArgument("recomputeLN re-runs ln_final, so it needs the final layer (\(n)); found layer \(layer)")
        }
        let norm = layer == n ? model.lnFinal : (mlpInput ? model.blocks[layer].ln2 : model.blocks[layer].ln1)
        guard let norm else { return stack }
        if recomputeLN {
            return norm.isRMS ? stack.rmsNorm(weight: norm.w, eps: norm.eps)
                              : stack.layerNorm(weight: norm.w, bias: norm.b, eps: norm.eps)
        }
        let scaleName: HookName = layer == n ? .finalScale : .scale(layer, mlpInput ? .ln2 : .ln1)
        let scale = try positions.apply(tensor(scaleName), axis: -2)
        guard Array(stack.shape.dropFirst().dropLast()) == Array(scale.shape.dropLast()) else {
            throw CacheAnalysisError.shapeMismatch("the stack", expected: "[n_components] + \(Array(scale.shape.dropLast())) + [\(d)] to match \(scaleName) after the position slice",
                                                   found: stack.shape)
        }
        let centred = norm.isRMS ? stack : stack - stack.mean(axis: -1, keepDims: true)
        return centred / scale
    }

    // MARK: Direct logit attribution

    /// Each component's direct contribution to the logit of `tokens` (minus that of
    /// `incorrectTokens`: a logit difference), TransformerLens's `logit_attrs`: the stack
    /// through ``applyLNToStack(_:layer:mlpInput:positions:recomputeLN:)`` at the final layer
    /// (centred, divided by the cached `ln_final` scale), dotted with `W_U[:, token]` (no `b_U`).
    ///
    /// - Parameters:
    ///   - stack: [n_components, batch, pos, d_model] (or with `pos` already selected).
    ///   - tokens: one token, or token ids broadcastable to the stack's [batch, pos], e.g.
    ///     `tokens[:, 1:]` for next-token attribution of `stack[:, :, :-1]`.
    ///   - positions: the positions of the cached final scale matching the stack.
    /// - Returns: [n_components, batch, pos].
    public func logitAttrs(_ stack: Tensor, tokens: IntTensor, incorrectTokens: IntTensor? = nil,
                           positions: TensorIndex = .all) throws -> Tensor {
        let model = try attachedModel()
        var directions = try model.tokensToResidualDirections(tokens)
        if let incorrectTokens {
            guard incorrectTokens.shape == tokens.shape else {
                throw CacheAnalysisError.shapeMismatch("incorrectTokens", expected: "the shape of tokens, \(tokens.shape)",
                                                       found: incorrectTokens.shape)
            }
            directions = directions - (try model.tokensToResidualDirections(incorrectTokens))
        }
        let scaled = try applyLNToStack(stack, layer: model.config.nLayers, positions: positions)
        let componentShape = Array(scaled.shape.dropFirst())
        guard broadcastShape(componentShape, directions.shape) == componentShape else {
            throw CacheAnalysisError.shapeMismatch("the token directions", expected: "a shape broadcastable to one component, \(componentShape)",
                                                   found: directions.shape)
        }
        return (scaled * directions).sum(axis: -1)
    }

    // MARK: Helpers

    /// The model the cache came from.
    func attachedModel() throws -> HookedTransformer {
        guard let model else { throw CacheAnalysisError.noModel }
        return model
    }

    /// TransformerLens's analysis layer: nil or −1 is n_layers (the unembedding's input);
    /// otherwise 0...n_layers.
    func analysisLayer(_ layer: Int?, _ model: HookedTransformer) throws -> Int {
        let n = model.config.nLayers
        guard let layer, layer != -1 else { return n }
        guard layer >= 0 && layer <= n else { throw CacheAnalysisError.layerOutOfRange(layer, valid: 0...n) }
        return layer
    }

    /// `mlpInput` needs an MLP at `layer`.
    func checkMLPInput(_ layer: Int, _ model: HookedTransformer) throws {
        guard layer < model.config.nLayers else {
            throw CacheAnalysisError.invalidArgument("mlpInput needs a layer below n_layers (\(model.config.nLayers)); the final residual feeds no MLP")
        }
        guard model.blocks[layer].mlp != nil else {
            throw CacheAnalysisError.invalidArgument("mlpInput: layer \(layer) has no MLP (attention-only model)")
        }
    }

    /// The residual stream entering `layer` (`resid_pre`, or the last `resid_post` for n_layers),
    /// positions selected.
    func residual(into layer: Int, positions: TensorIndex) throws -> Tensor {
        let name: HookName = layer < layerCount ? .residPre(layer) : .residPost(layer - 1)
        return try positions.apply(tensor(name), axis: -2)
    }

    /// A stack of no components, [0, batch, pos, d_model] (positions selected).
    func emptyStack(_ positions: TensorIndex) throws -> Tensor {
        let shape = try residual(into: 0, positions: positions).shape
        return Tensor.zeros([0] + shape)
    }
}
