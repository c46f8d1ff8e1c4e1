import Foundation

/// Generation: a prompt (text or tokens, one or a batch of different lengths) continued token
/// by token, greedy or sampled, with a key-value cache and the model's hooks firing on every
/// step.
///
/// Hooks during generation: attached hooks and the `hooks` passed here fire on every step, on
/// that step's new positions only — the whole prompt at step 0, then one position per step —
/// with ``HookContext/positionOffset`` the absolute position of the first of them and
/// ``HookContext/step`` the step. `hook_attn_scores` / `hook_pattern` are [batch, head, new,
/// all positions so far]. Keys and values are cached after `hook_k`/`hook_v` (and rotary), so a
/// hook's edit to them persists. Per-call hooks keep one ``HookStorage`` per point for the
/// whole generation. The ready-made hooks read positions as absolute positions.
///
/// Batches: prompts are left-padded and masked, and each row's positions count from its first
/// real token, so every row generates what it would alone. A row that has stopped is fed its
/// EOS (or padding) while the others go on; its output ends where it stopped.
extension HookedTransformer {
    // MARK: Text in, text out

    /// Continues `prompt`, returning its new tokens and text.
    /// - Parameters:
    ///   - onToken: called with every new token as it is chosen (to stream text).
    public func generate(_ prompt: String, options: GenerationOptions = GenerationOptions(), hooks: [Hook] = [],
                         onToken: ((GeneratedToken) throws -> Void)? = nil) throws -> Generation {
        try generate([prompt], options: options, hooks: hooks, onToken: onToken)
    }

    /// Continues each of `prompts` (a batch of different lengths, left-padded).
    public func generate(_ prompts: [String], options: GenerationOptions = GenerationOptions(), hooks: [Hook] = [],
                         onToken: ((GeneratedToken) throws -> Void)? = nil) throws -> Generation {
        let sequences = try prompts.map { try toTokens($0, prependBOS: options.prependBOS).scalars }
        return try generate(tokens: sequences, options: options, hooks: hooks, onToken: onToken)
    }

    /// Continues token sequences (one per row; lengths may differ).
    public func generate(tokens prompts: [[Int]], options: GenerationOptions = GenerationOptions(), hooks: [Hook] = [],
                         onToken: ((GeneratedToken) throws -> Void)? = nil) throws -> Generation {
        var run = try GenerationRun(model: self, prompts: prompts, options: options, hooks: hooks, recording: nil)
        return try run.finish(onToken: onToken)
    }

    /// Continues `prompt` and records the activations of the points `names` selects over the
    /// whole final sequence (prompt and generated tokens) as one cache — what
    /// ``runWithCache(_:names:positions:hooks:memoryBudget:)`` gives on that sequence, up to
    /// float rounding. The last token is run through the model once more for it. Recording
    /// always uses the key-value cache (`usesKeyValueCache` is ignored).
    public func generateWithCache(_ prompt: String, names: NameFilter = .all, options: GenerationOptions = GenerationOptions(),
                                  hooks: [Hook] = [], onToken: ((GeneratedToken) throws -> Void)? = nil)
        throws -> (generation: Generation, cache: ActivationCache) {
        try generateWithCache(tokens: [toTokens(prompt, prependBOS: options.prependBOS).scalars], names: names,
                              options: options, hooks: hooks, onToken: onToken)
    }

    /// ``generateWithCache(_:names:options:hooks:)`` from token sequences. With several rows the
    /// cache is [batch, …] over the positions the batch ran: each row left-padded to the longest
    /// prompt, and a row that stopped early fed its end-of-sequence token while the others went
    /// on (so its columns after it are padding, not generated text).
    public func generateWithCache(tokens prompts: [[Int]], names: NameFilter = .all, options: GenerationOptions = GenerationOptions(),
                                  hooks: [Hook] = [], onToken: ((GeneratedToken) throws -> Void)? = nil)
        throws -> (generation: Generation, cache: ActivationCache) {
        let table = hookPointTable
        let selected = try names.resolve(in: table.names, pointSet: table.set)
        let recorder = GenerationRecorder(names: Set(selected), layers: config.nLayers)
        var run = try GenerationRun(model: self, prompts: prompts, options: options, hooks: hooks, recording: recorder)
        let generation = try run.finish(onToken: onToken)
        try run.runLastToken()
        var cache = recorder.assembled(layers: config.nLayers)
        cache.model = self
        return (generation, cache)
    }

    /// The new tokens of `prompt` as an asynchronous stream (for `for try await`), generated
    /// on a background thread; cancelling the consuming task stops the generation.
    public func generationStream(_ prompt: String, options: GenerationOptions = GenerationOptions(),
                                 hooks: [Hook] = []) -> AsyncThrowingStream<GeneratedToken, Error> {
        // The hooks move to the generating thread once and are used there only.
        let handedOver = HandedOver(hooks: hooks)
        return AsyncThrowingStream { continuation in
            let worker = Thread {
                do {
                    _ = try self.generate(prompt, options: options, hooks: handedOver.hooks) { token in
                        if case .terminated = continuation.yield(token) { throw CancellationError() }
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            worker.stackSize = 8 << 20
            worker.start()
        }
    }

    // MARK: One step at a time

    /// Logits [batch, new, d_vocab_out] for `tokens` [batch, new] that continue the sequences
    /// whose keys and values `cache` holds; the new positions join the cache. `mask` [batch,
    /// new] marks padding (0) among the new tokens (left padding of a first pass). A pass that
    /// throws leaves the cache as it was.
    /// - Throws: ``ModelError/contextExceeded(cached:new:contextLength:)`` when the cache would
    ///   outgrow `n_ctx`; the errors of ``forward(_:hooks:stopAtLayer:)``.
    public func forward(_ tokens: IntTensor, cache: KeyValueCache, mask: IntTensor? = nil, hooks: [Hook] = []) throws -> Tensor {
        let t = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard t.rank == 2, t.shape[0] > 0, t.shape[1] > 0 else { throw ModelError.emptyInput(shape: tokens.shape) }
        guard t.shape[0] == cache.batch else { throw GenerationError.cacheBatchMismatch(cache: cache.batch, tokens: t.shape[0]) }
        try cache.check(for: self)
        guard cache.length + t.shape[1] <= config.nCtx else {
            throw ModelError.contextExceeded(cached: cache.length, new: t.shape[1], contextLength: config.nCtx)
        }
        try Self.checkTokens(t, below: config.dVocab)
        let plan = try cache.plan(newPositions: t.shape[1], mask: mask)
        return try forward(t, plan: plan, runner: makePass(hooks).hooks)
    }

    /// Runs `tokens` through the model with `plan` (a cache's) and commits the cache on success.
    func forward(_ tokens: IntTensor, plan: ForwardPlan, runner: HookRunner) throws -> Tensor {
        let pass = makePass(runner: runner, plan: plan)
        do {
            let logits = try run(tokens: tokens, residual: nil, start: 0, stop: config.nLayers, pass: pass)
            plan.keyValueCache?.commit(plan, newPositions: tokens.shape[1])
            return logits
        } catch {
            plan.keyValueCache?.discardStaged()
            throw error
        }
    }
}

/// Hooks handed from the caller's thread to the one generating a stream (closures are not
/// `Sendable`; nothing else touches them after the hand-over).
private struct HandedOver: @unchecked Sendable {
    let hooks: [Hook]
}
