extension HookedTransformer {
    /// Logits [batch, pos, d_vocab_out] for token ids [batch, pos] (or [pos]).
    public func callAsFunction(_ tokens: IntTensor, hooks: [Hook] = []) throws -> Tensor {
        try forward(tokens, hooks: hooks)
    }

    /// Logits for `tokens`, or — with `stopAtLayer` — the residual stream entering that block
    /// ([batch, pos, d_model]; `ln_final` and the unembedding are skipped). `hooks` apply to this
    /// call only, after the model's attached hooks.
    /// - Throws: ``ModelError`` for empty input, a sequence longer than `n_ctx`, a token id
    ///   outside the vocabulary; ``HookError`` for a hook on a point this model lacks, or one
    ///   that returns a tensor of another shape; and whatever a hook closure throws.
    public func forward(_ tokens: IntTensor, hooks: [Hook] = [], stopAtLayer: Int? = nil) throws -> Tensor {
        let tokens = try validated(tokens)
        let stop = try resolvedLayer(stopAtLayer, default: config.nLayers)
        return try run(tokens: tokens, residual: nil, start: 0, stop: stop, pass: makePass(hooks))
    }

    /// Runs blocks `startAtLayer ..< stopAtLayer` (negative values count from the end) on a
    /// residual stream [batch, pos, d_model]; returns logits when it runs to the end, else the
    /// residual entering `stopAtLayer`. Embedding hooks do not fire.
    public func forward(residual: Tensor, startAtLayer: Int, stopAtLayer: Int? = nil, hooks: [Hook] = []) throws -> Tensor {
        let start = try resolvedLayer(startAtLayer, default: 0)
        let stop = try resolvedLayer(stopAtLayer, default: config.nLayers)
        guard start <= stop else { throw ModelError.invalidLayerRange(start: start, stop: stop, layers: config.nLayers) }
        guard residual.rank == 3, residual.shape[2] == config.dModel, residual.shape[0] > 0, residual.shape[1] > 0 else {
            throw ModelError.invalidResidual(expected: [residual.shape.first ?? 1, residual.shape.dropFirst().first ?? 1, config.dModel],
                                             found: residual.shape)
        }
        guard residual.shape[1] <= config.nCtx else {
            throw ModelError.sequenceTooLong(length: residual.shape[1], contextLength: config.nCtx)
        }
        return try run(tokens: nil, residual: residual, start: start, stop: stop, pass: makePass(hooks))
    }

    /// Mean next-token cross-entropy (a scalar tensor).
    public func loss(_ tokens: IntTensor, hooks: [Hook] = []) throws -> Tensor {
        try perTokenLoss(tokens, hooks: hooks).mean()
    }

    /// Next-token cross-entropy per position, [batch, pos − 1]: position p predicts token p + 1.
    /// The model reads tokens 0 ..< pos − 1 only (the last token is only a target), so training
    /// sequences may be one token longer than `n_ctx`.
    public func perTokenLoss(_ tokens: IntTensor, hooks: [Hook] = []) throws -> Tensor {
        let (inputs, targets) = try nextTokenPairs(tokens)
        let logits = try run(tokens: inputs, residual: nil, start: 0, stop: config.nLayers, pass: makePass(hooks))
        return logits.crossEntropy(targets: targets)
    }

    /// Inputs (all but the last token) and targets (all but the first) of [batch, pos] (or [pos])
    /// sequences, validated.
    func nextTokenPairs(_ tokens: IntTensor) throws -> (inputs: IntTensor, targets: IntTensor) {
        let t = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard t.rank == 2 else { throw ModelError.invalidTokensShape(tokens.shape) }
        guard t.shape[1] >= 2 else {
            if t.shape[0] == 0 || t.shape[1] == 0 { throw ModelError.emptyInput(shape: tokens.shape) }
            throw ModelError.lossNeedsTwoPositions(length: t.shape[1])
        }
        let targets = t[.all, 1...]
        try Self.checkTokens(targets, below: config.dVocabOut, firstPosition: 1)
        return (try validated(t[.all, ..<(-1)]), targets)
    }

    /// Logits and loss in one pass.
    public func run(_ tokens: IntTensor, hooks: [Hook] = []) throws -> ModelOutput {
        let tokens = try validated(tokens)
        let logits = try run(tokens: tokens, residual: nil, start: 0, stop: config.nLayers, pass: makePass(hooks))
        return try ModelOutput(logits: logits, perTokenLoss: Self.perTokenLoss(logits: logits, tokens: tokens))
    }

    /// TransformerLens's `lm_cross_entropy_loss(per_token=True)`: −log softmax(logits[:, p])
    /// [tokens[:, p+1]] for p < pos − 1, [batch, pos − 1].
    public static func perTokenLoss(logits: Tensor, tokens: IntTensor) throws -> Tensor {
        let tokens = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard logits.rank == 3, tokens.rank == 2, Array(logits.shape.prefix(2)) == tokens.shape else {
            throw ModelError.invalidTokensShape(tokens.shape)
        }
        guard tokens.shape[1] >= 2 else { throw ModelError.lossNeedsTwoPositions(length: tokens.shape[1]) }
        try checkTokens(tokens, below: logits.shape[2])
        return logits[.all, ..<(-1)].crossEntropy(targets: tokens[.all, 1...])
    }

    // MARK: Internals

    /// Tokens as [batch, pos], checked against the vocabulary and the context length.
    func validated(_ tokens: IntTensor) throws -> IntTensor {
        let t = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard t.rank == 2 else { throw ModelError.invalidTokensShape(tokens.shape) }
        guard t.shape[0] > 0, t.shape[1] > 0 else { throw ModelError.emptyInput(shape: tokens.shape) }
        guard t.shape[1] <= config.nCtx else { throw ModelError.sequenceTooLong(length: t.shape[1], contextLength: config.nCtx) }
        try Self.checkTokens(t, below: config.dVocab)
        return t
    }

    /// Throws for the first token id of [batch, pos] `tokens` outside 0 ..< `vocabulary`
    /// (positions reported from `firstPosition`) — the one token check.
    static func checkTokens(_ tokens: IntTensor, below vocabulary: Int, firstPosition: Int = 0) throws {
        let length = Swift.max(tokens.shape.last ?? 1, 1)
        for (i, token) in tokens.scalars.enumerated() where token < 0 || token >= vocabulary {
            throw ModelError.tokenOutOfRange(token: token, batch: i / length, position: i % length + firstPosition,
                                             vocabulary: vocabulary)
        }
    }

    /// A layer index in 0...n_layers, negative values counting from the end (Python style).
    func resolvedLayer(_ layer: Int?, default value: Int) throws -> Int {
        guard let layer else { return value }
        let l = layer < 0 ? layer + config.nLayers : layer
        guard l >= 0 && l <= config.nLayers else {
            throw ModelError.invalidLayerRange(start: layer, stop: layer, layers: config.nLayers)
        }
        return l
    }

    /// The forward pass over blocks `start ..< stop`, from tokens (embedding included) or from a
    /// residual stream; logits when `stop` is the last layer, else the residual. What is
    /// computed follows `pass.plan`: with `logitRows`, only those positions of the final
    /// residual are normalised and unembedded (a metric that reads a few positions need not pay
    /// for the rest), and — when nothing observes its points past the first norm — the last
    /// block computes its queries, attention and MLP at those positions only (keys and values
    /// up to the last of them).
    func run(tokens: IntTensor?, residual: Tensor?, start: Int, stop: Int, pass: ForwardPass) throws -> Tensor {
        var x: Tensor
        var shortformer: Tensor?
        let offset = pass.plan.positionOffset
        if let tokens {
            let (batch, positions) = (tokens.shape[0], tokens.shape[1])
            x = try embed(tokens, pass: pass)
            if let posEmbed {
                let rows = pass.plan.rowPositions.map { posEmbed.wPos.indexSelect($0, axis: 0) }
                    ?? posEmbed.rows(batch: batch, positions: positions, offset: offset)
                let pos = try pass.fire(posEmbed.point, rows)
                if config.positionalEmbeddingType == .shortformer { shortformer = pos } else { x = x + pos }
            }
        } else {
            x = residual!
            if config.positionalEmbeddingType == .shortformer, let posEmbed {
                shortformer = posEmbed.rows(batch: x.shape[0], positions: x.shape[1], offset: offset)
            }
        }
        let logitRows = pass.plan.logitRows
        let restrictLast = stop == config.nLayers && start < stop && shortformer == nil && logitRows != nil
            && blocks[stop - 1].canRestrictQueries(pass)
        let blockPass = restrictLast
            ? ForwardPass(plan: pass.plan, hooks: pass.hooks, splices: pass.splices, restrictedLayer: stop - 1) : pass
        for layer in start..<stop {
            x = try blocks[layer](x, shortformerPositions: shortformer, pass: blockPass)
        }
        if stop < config.nLayers { return x }
        if let logitRows, !restrictLast { x = x[.all, logitRows] }
        if let lnFinal { x = try lnFinal(x, pass: pass) }
        return unembed(x)
    }
}
