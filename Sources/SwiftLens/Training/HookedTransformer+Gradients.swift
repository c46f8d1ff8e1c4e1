extension HookedTransformer {
    /// Evaluates `body` (which must return a scalar, e.g. a loss computed with this model) with
    /// the parameters watched on a gradient tape, and returns its value and dValue/dParameter
    /// under TransformerLens parameter names.
    ///
    /// The same forward code and hook points run as for inference: forward hooks that replace
    /// an activation take part in the gradient (a zero-ablated head gets no gradient through its
    /// ablated output), and backward hooks (`Hook(name, direction: .backward)`) see — and may
    /// replace — the gradient at their point.
    ///
    /// - Parameters:
    ///   - parameters: which parameters to differentiate (default: all); the others stay
    ///     constant.
    /// - Note: the model's parameters are swapped for watched copies while `body` runs (and put
    ///   back afterwards, also on errors), so do not run other calls on this model concurrently.
    public func valueWithGradients(parameters: ((String) -> Bool)? = nil,
                                   _ body: () throws -> Tensor) throws -> (value: Tensor, gradients: [String: Tensor]) {
        let tape = GradientTape()
        // The slots themselves are put back, so a weight keeps its resident form (packed, or
        // a file's quantised blocks) rather than coming back as a plain copy.
        var originals: [String: ParameterSlot] = [:]
        var watched: [(String, Tensor)] = []
        let value: Tensor = try tape.record {
            visitParameters { name, _, slot in
                guard parameters?(name) ?? true else { return }
                originals[name] = slot
                slot.value = tape.watch(slot.value)
                watched.append((name, slot.value))
            }
            defer { visitParameters { name, _, slot in if let o = originals[name] { slot = o } } }
            return try body()
        }
        guard value.count == 1 else { throw ModelError.invalidLossShape(value.shape) }
        guard tape.tracks(value), !watched.isEmpty else {
            return (value.detached, Dictionary(uniqueKeysWithValues: watched.map { ($0.0, Tensor.zeros($0.1.shape)) }))
        }
        let grads = tape.gradients(of: value, withRespectTo: watched.map(\.1))
        if let error = tape.gradientHookError { throw error }
        return (value.detached, Dictionary(uniqueKeysWithValues: zip(watched.map(\.0), grads)))
    }

    /// The mean next-token loss on `tokens` and its gradient with respect to every parameter
    /// (or those `parameters` selects). As in ``perTokenLoss(_:hooks:)``, the last token is only
    /// a target, so sequences may hold n_ctx + 1 tokens.
    public func lossAndGradients(_ tokens: IntTensor, hooks: [Hook] = [],
                                 parameters: ((String) -> Bool)? = nil) throws -> (loss: Float, gradients: [String: Tensor]) {
        let (inputs, targets) = try nextTokenPairs(tokens)
        let (value, grads) = try valueWithGradients(parameters: parameters) {
            let logits = try run(tokens: inputs, residual: nil, start: 0, stop: config.nLayers, pass: makePass(hooks))
            return logits.crossEntropy(targets: targets).mean()
        }
        return (value.scalar, grads)
    }

    /// TransformerLens's `run_with_cache(tokens, return_type="loss", incl_bwd=True)`: the mean
    /// next-token loss, and a cache holding both the activations and dLoss/dActivation of the
    /// points `names` selects, the gradients under `<hook name>_grad`.
    ///
    /// A point's gradient is the total derivative of the loss with respect to its value (for
    /// `ln1`, whose hooks fire once here, that is TransformerLens's sum over its three calls).
    public func runWithGradientCache(_ tokens: IntTensor, names: NameFilter = .all,
                                     hooks: [Hook] = []) throws -> (loss: Float, cache: ActivationCache) {
        let tokens = try validated(tokens)
        let (loss, cache) = try runWithGradientCache(tokens, names: names, hooks: hooks) { logits in
            try Self.perTokenLoss(logits: logits, tokens: tokens).mean()
        }
        return (loss, cache)
    }

    /// The activations at the points `names` selects and the gradient of any scalar `metric`
    /// of the logits at each (`<hook name>_grad`) — e.g. a logit difference, for attribution
    /// patching. `metric` must build its value from tensor operations on the logits
    /// (`logits[0, -1, a] - logits[0, -1, b]`), so that the tape can differentiate it.
    ///
    /// Only activations are differentiated (no parameter gradients are formed).
    public func runWithGradientCache(_ tokens: IntTensor, names: NameFilter = .all, hooks: [Hook] = [],
                                     metric: (Tensor) throws -> Tensor) throws -> (value: Float, cache: ActivationCache) {
        let tokens = try validated(tokens)
        let table = hookPointTable
        let selected = try names.resolve(in: table.names, pointSet: table.set)
        let wanted = Set(selected)
        let recorder = CacheRecorder(layerCount: config.nLayers)
        let gradientHook = Hook.observe(where: { wanted.contains($0) }, direction: .backward) { g, context in
            recorder.cache.store(g, for: HookName(context.name.rawValue + "_grad"))
        }
        var cache = ActivationCache(layerCount: config.nLayers)
        // Watching the embeddings tracks every activation downstream of them; the weights stay
        // constant, so the backward pass forms no weight gradients.
        let embeddings: Set<String> = ["embed.W_E", "pos_embed.W_pos"]
        let (value, _) = try withCaching(selected, positions: nil, into: &cache) { cacheHook in
            try valueWithGradients(parameters: { embeddings.contains($0) }) {
                let logits = try run(tokens: tokens, residual: nil, start: 0, stop: config.nLayers,
                                     pass: makePass(hooks + [cacheHook, gradientHook]))
                return try metric(logits)
            }
        }
        for (name, g) in recorder.cache { cache.store(g, for: name) }
        return (value.scalar, cache)
    }
}

extension ActivationCache {
    /// dLoss/d(activation at `name`) from ``HookedTransformer/runWithGradientCache(_:names:hooks:)``.
    public func gradient(_ name: HookName) -> Tensor? { self[HookName(name.rawValue + "_grad")] }
}
