// The residual stream split finer than per sublayer (TransformerLens `ActivationCache.py`, v2.18):
// one piece per attention head, one per MLP neuron, and the full decomposition into heads,
// neurons, embeddings and biases whose rows sum to the residual.

extension ActivationCache {
    // MARK: Heads

    /// The per-head outputs of `layer` [batch, pos, head, d_model] (without `b_O`): the cached
    /// `hook_result` if present, else `z · W_O` per head — what TransformerLens's
    /// `compute_head_results` adds to the cache.
    public func headResults(layer: Int) throws -> Tensor {
        if let cached = self[.result(layer)] { return cached }
        let model = try attachedModel()
        let n = model.config.nLayers
        guard layer >= 0 && layer < n else { throw CacheAnalysisError.layerOutOfRange(layer, valid: 0...(n - 1)) }
        let z = try tensor(.z(layer))
        let wO = model.blocks[layer].attn.wO
        guard z.rank >= 2, Array(z.shape.suffix(2)) == [wO.shape[0], wO.shape[1]] else {
            throw CacheAnalysisError.shapeMismatch("\(HookName.z(layer))", expected: "[…, n_heads = \(wO.shape[0]), d_head = \(wO.shape[1])]",
                                                   found: z.shape)
        }
        return z.perHeadMatmul(wO)
    }

    /// Stores `hook_result` for every layer that lacks it (TransformerLens's
    /// `compute_head_results`), so later reads need no recomputation.
    public mutating func computeHeadResults() throws {
        for l in 0..<layerCount where !contains(.result(l)) {
            store(try headResults(layer: l), for: .result(l))
        }
    }

    /// Every head's output for layers below `layer` (nil or −1: all layers), TransformerLens's
    /// `stack_head_results`, in (layer, head) order, labels `L{l}H{h}`. Head results are read
    /// from the cache or computed from `z` (the cache is not changed).
    ///
    /// - Parameters:
    ///   - includeRemainder: append `remainder` = the residual entering `layer` minus the sum of
    ///     the heads (embeddings, biases and MLPs), so the rows sum to that residual. (For
    ///     `layer` 0 that is `resid_pre` of layer 0; TransformerLens reads a wrong layer there.)
    ///   - applyLN: divide by the cached scale of the norm reading `layer` (centred for LN).
    /// - Returns: [n_heads · layer (+1), batch, pos, d_model].
    public func stackHeadResults(layer: Int? = nil, includeRemainder: Bool = false, positions: TensorIndex = .all,
                                 applyLN: Bool = false) throws -> ComponentStack {
        let model = try attachedModel()
        let layer = try analysisLayer(layer, model)
        var parts: [Tensor] = [], labels: [String] = []
        for l in 0..<layer {
            let result = try positions.apply(headResults(layer: l), axis: -3)
            parts.append(Self.movingAxisToFront(result, axis: result.rank - 2))
            labels += (0..<result.shape[result.rank - 2]).map { Head(layer: l, head: $0).description }
        }
        var stack = try stacked(parts, includeRemainder: includeRemainder, layer: layer, positions: positions, labels: &labels)
        if applyLN { stack = try applyLNToStack(stack, layer: layer, positions: positions) }
        return ComponentStack(tensor: stack, labels: labels)
    }

    /// `cache[activation, l, sublayerType]` for every layer below `layer` (nil or −1: all),
    /// stacked on a new leading axis, TransformerLens's `stack_activation`, e.g.
    /// `stackActivation("pattern")` → [n_layers, batch, head, query_pos, key_pos].
    public func stackActivation(_ activation: String, layer: Int? = nil, sublayerType: String? = nil) throws -> Tensor {
        let count = layer.flatMap { $0 == -1 ? nil : $0 } ?? layerCount
        guard count >= 1 && count <= layerCount else {
            throw CacheAnalysisError.layerOutOfRange(layer ?? -1, valid: 1...layerCount)
        }
        let parts = try (0..<count).map { l -> Tensor in
            let name = getActName(activation, l, sublayerType)
            guard let t = self[name] else { throw CacheError.missing(name, available: names) }
            return t
        }
        if let odd = parts.first(where: { $0.shape != parts[0].shape }) {
            throw CacheAnalysisError.shapeMismatch("\(activation) of some layer", expected: "the shape of layer 0, \(parts[0].shape)", found: odd.shape)
        }
        return Tensor.stack(parts)
    }

    // MARK: Neurons

    /// Each selected neuron's output in `layer`, TransformerLens's `get_neuron_results`:
    /// `post[..., n] · W_out[n]` → [batch, pos, n_neurons, d_model] (the neuron axis is dropped
    /// for a single neuron, e.g. `neurons: 5`). `b_out` is not included: it belongs to no neuron.
    public func neuronResults(layer: Int, neurons: TensorIndex = .all, positions: TensorIndex = .all) throws -> Tensor {
        let model = try attachedModel()
        let n = model.config.nLayers
        guard layer >= 0 && layer < n else { throw CacheAnalysisError.layerOutOfRange(layer, valid: 0...(n - 1)) }
        guard let mlp = model.blocks[layer].mlp else {
            throw CacheAnalysisError.invalidArgument("layer \(layer) has no MLP neurons (attention-only model)")
        }
        let post = try neurons.apply(positions.apply(tensor(.mlpPost(layer)), axis: -2), axis: -1)
        let wOut = try neurons.apply(mlp.wOut, axis: 0)
        return post.unsqueezed(axis: -1) * wOut
    }

    /// The outputs of the selected neurons of every layer below `layer` (nil or −1: all),
    /// TransformerLens's `stack_neuron_results`, labels `L{l}N{n}`; `includeRemainder` and
    /// `applyLN` as in ``stackHeadResults(layer:includeRemainder:positions:applyLN:)``.
    /// Memory: n_layers · d_mlp · batch · pos · d_model floats.
    /// - Returns: [n_neurons · layer (+1), batch, pos, d_model].
    public func stackNeuronResults(layer: Int? = nil, neurons: TensorIndex = .all, positions: TensorIndex = .all,
                                   includeRemainder: Bool = false, applyLN: Bool = false) throws -> ComponentStack {
        let model = try attachedModel()
        let layer = try analysisLayer(layer, model)
        if model.config.attnOnly && layer > 0 {
            throw CacheAnalysisError.invalidArgument("stackNeuronResults: an attention-only model has no MLP neurons")
        }
        // A single neuron keeps its axis here, so the stack still has one row per neuron.
        let indices = try neurons.checkedIndices(extent: model.config.dMLP)
        let selection: TensorIndex = neurons.dropsAxis ? .indices(indices) : neurons
        var parts: [Tensor] = [], labels: [String] = []
        for l in 0..<layer {
            let results = try neuronResults(layer: l, neurons: selection, positions: positions)
            parts.append(Self.movingAxisToFront(results, axis: results.rank - 2))
            labels += indices.map { "L\(l)N\($0)" }
        }
        var stack = try stacked(parts, includeRemainder: includeRemainder, layer: layer, positions: positions, labels: &labels)
        if applyLN { stack = try applyLNToStack(stack, layer: layer, positions: positions) }
        return ComponentStack(tensor: stack, labels: labels)
    }

    // MARK: Full decomposition

    /// The residual entering `layer` split into every piece that wrote it,
    /// TransformerLens's `get_full_resid_decomposition`: each head of the layers below `layer`
    /// (up to and including `layer` with `mlpInput`), then each neuron of the MLPs below `layer`
    /// (or `{l}_mlp_out` per MLP without `expandNeurons`), `embed`, `pos_embed` (each if cached),
    /// and `bias`: the summed `b_O` (and `b_out` when neurons are expanded, since neuron outputs
    /// exclude it). The rows sum to the residual entering `layer` (`resid_mid` with `mlpInput`)
    /// — except in shortformer models, whose `pos_embed` row never entered the residual.
    /// - Parameter applyLN: divide by the cached scale of the norm reading `layer`.
    /// - Returns: [n_components, batch, pos, d_model] and the labels.
    public func fullResidDecomposition(layer: Int? = nil, mlpInput: Bool = false, expandNeurons: Bool = true,
                                       applyLN: Bool = false, positions: TensorIndex = .all) throws -> ComponentStack {
        let model = try attachedModel()
        let layer = try analysisLayer(layer, model)
        if mlpInput { try checkMLPInput(layer, model) }
        let heads = try stackHeadResults(layer: layer + (mlpInput ? 1 : 0), positions: positions)
        var parts = [heads.tensor], labels = heads.labels
        if !model.config.attnOnly && layer > 0 {
            let mlps = expandNeurons
                ? try stackNeuronResults(layer: layer, positions: positions)
                : try decomposeResid(layer: layer, mlpInput: mlpInput, mode: .mlp, positions: positions, includeEmbeds: false)
            parts.append(mlps.tensor)
            labels += mlps.labels
        }
        for (name, label) in [(HookName.embed, "embed"), (HookName.posEmbed, "pos_embed")] where contains(name) {
            parts.append(try positions.apply(tensor(name), axis: -2).unsqueezed(axis: 0))
            labels.append(label)
        }
        let bias = try model.accumulatedBias(layer: layer, mlpInput: mlpInput, includeMLPBiases: expandNeurons)
        parts.append(bias.expanded(to: [1] + Array(heads.tensor.shape.dropFirst())))
        labels.append("bias")
        var stack = Tensor.concatenate(parts, axis: 0)
        if applyLN { stack = try applyLNToStack(stack, layer: layer, mlpInput: mlpInput, positions: positions) }
        return ComponentStack(tensor: stack, labels: labels)
    }

    // MARK: Helpers

    /// `parts` ([k, batch, pos, d_model] each) joined, plus the remainder row if asked.
    private func stacked(_ parts: [Tensor], includeRemainder: Bool, layer: Int, positions: TensorIndex,
                         labels: inout [String]) throws -> Tensor {
        var stack = parts.isEmpty ? try emptyStack(positions) : Tensor.concatenate(parts, axis: 0)
        if includeRemainder {
            let whole = try residual(into: layer, positions: positions)
            let remainder = parts.isEmpty ? whole : whole - stack.sum(axis: 0)
            stack = Tensor.concatenate([stack, remainder.unsqueezed(axis: 0)], axis: 0)
            labels.append("remainder")
        }
        return stack
    }

    /// `t` with `axis` moved to the front (the other axes keep their order).
    static func movingAxisToFront(_ t: Tensor, axis: Int) -> Tensor {
        t.permuted([axis] + (0..<t.rank).filter { $0 != axis })
    }
}
