import Foundation

/// One generation in progress: the prompts, the cache, the hooks resolved once, each row's
/// random stream, new tokens and stop state. ``finish(onToken:)`` runs it to the end.
struct GenerationRun {
    let model: HookedTransformer
    let prompts: [[Int]]
    let options: GenerationOptions
    let sampler: Sampler
    /// The hooks, resolved once for every step (per-call storage lasts the generation).
    let runner: HookRunner
    let recorder: GenerationRecorder?
    let cache: KeyValueCache
    let eos: Set<Int>
    /// What a row that has stopped is fed while the others go on.
    let padToken: Int
    private var randoms: [RandomGenerator]
    private(set) var newTokens: [[Int]]
    private var stopReasons: [Generation.StopReason?]
    /// Each row's text streamed so far.
    private var streamed: [String]
    /// The tokens chosen last and not yet run through the model, [batch, 1].
    private var unread: IntTensor?

    init(model: HookedTransformer, prompts: [[Int]], options: GenerationOptions, hooks: [Hook],
         recording recorder: GenerationRecorder?) throws {
        guard !prompts.isEmpty else { throw GenerationError.emptyPrompt(row: 0) }
        if let row = prompts.firstIndex(where: \.isEmpty) { throw GenerationError.emptyPrompt(row: row) }
        guard options.maxNewTokens >= 0 else { throw GenerationError.invalidMaxNewTokens(options.maxNewTokens) }
        let longest = prompts.map(\.count).max()!
        // The last token is only read when its activations are recorded.
        let read = longest + max(options.maxNewTokens - (recorder == nil ? 1 : 0), 0)
        guard read <= model.config.nCtx else {
            throw ModelError.contextExceeded(cached: longest, new: read - longest, contextLength: model.config.nCtx)
        }
        for prompt in prompts {
            try HookedTransformer.checkTokens(IntTensor(shape: [1, prompt.count], values: prompt), below: model.config.dVocab)
        }
        self.model = model
        self.prompts = prompts
        self.options = options
        let sampler = try options.sampler.validated()
        self.sampler = sampler
        self.recorder = recorder
        runner = try model.makePass(hooks + (recorder.map { [$0.hook] } ?? [])).hooks
        cache = KeyValueCache(for: model, batch: prompts.count)
        let eosIDs = options.eosTokenIDs ?? model.tokenizer?.eosTokenID.map { [$0] } ?? []
        if let bad = eosIDs.first(where: { $0 < 0 || $0 >= model.config.dVocabOut }) {
            throw GenerationError.invalidEOS(token: bad, vocabulary: model.config.dVocabOut)
        }
        eos = Set(eosIDs)
        // Fed to the model as padding: an id it can read.
        let readable = { (id: Int) in id >= 0 && id < model.config.dVocab }
        padToken = eosIDs.first(where: readable) ?? model.tokenizer?.bosTokenID.flatMap { readable($0) ? $0 : nil } ?? 0
        let seed = sampler.seed ?? UInt64.random(in: .min ... .max)
        randoms = prompts.indices.map { sampler.generator(row: $0, seed: seed) }
        newTokens = Array(repeating: [], count: prompts.count)
        stopReasons = Array(repeating: nil, count: prompts.count)
        streamed = Array(repeating: "", count: prompts.count)
    }

    /// Generates until every row has stopped; calls `onToken` for each new token.
    mutating func finish(onToken: ((GeneratedToken) throws -> Void)?) throws -> Generation {
        // A recording of no new tokens still covers the prompt.
        if options.maxNewTokens > 0 || recorder != nil {
            var logits = try readPrompts()
            for step in stride(from: 1, through: options.maxNewTokens, by: 1) {
                let chosen = try choose(from: logits, step: step, onToken: onToken)
                unread = chosen
                if step == options.maxNewTokens || stopReasons.allSatisfy({ $0 != nil }) { break }
                logits = try read(chosen, step: step)
                unread = nil
            }
        }
        let texts = newTokens.map { (try? model.toString($0)) ?? "" }
        return Generation(promptTokens: prompts, newTokens: newTokens, texts: texts,
                          stopReasons: stopReasons.map { $0 ?? .maxNewTokens })
    }

    /// Runs the tokens chosen last through the model, so that a recording covers them too.
    mutating func runLastToken() throws {
        guard let unread else { return }
        _ = try read(unread, step: options.maxNewTokens + 1)
        self.unread = nil
    }

    // MARK: Steps

    /// Step 0: the (left-padded) prompts; the last position's logits, [batch, 1 or pos, vocab].
    private func readPrompts() throws -> Tensor {
        let batch = TokenBatch(prompts, padding: .left, padToken: padToken)
        let ragged = Set(prompts.map(\.count)).count > 1
        if !usesCache { return try recompute(step: 0) }
        var plan = try cache.plan(newPositions: batch.tokens.shape[1], mask: ragged ? batch.attentionMask : nil)
        plan.generationStep = 0
        if recorder == nil { plan.logitRows = (batch.tokens.shape[1] - 1)..<batch.tokens.shape[1] }
        return try model.forward(batch.tokens, plan: plan, runner: runner)
    }

    /// A later step: the tokens chosen at `step` ([batch, 1]) read through the cache.
    private func read(_ tokens: IntTensor, step: Int) throws -> Tensor {
        if !usesCache { return try recompute(step: step) }
        // No mask: a new token is real (a cache with padding extends its mask with ones).
        var plan = try cache.plan(newPositions: 1, mask: nil)
        plan.generationStep = step
        return try model.forward(tokens, plan: plan, runner: runner)
    }

    /// Without a cache: the whole sequences so far, left-padded; the last position's logits.
    private func recompute(step: Int) throws -> Tensor {
        let sequences = zip(prompts, newTokens).map { $0 + $1 }
        let batch = TokenBatch(sequences, padding: .left, padToken: padToken)
        var plan = ForwardPlan()
        if Set(sequences.map(\.count)).count > 1 {
            plan.attentionMask = batch.attentionMask
            plan.rowPositions = batch.rowPositions
        }
        let length = batch.tokens.shape[1]
        plan.logitRows = (length - 1)..<length
        plan.generationStep = step
        return try model.run(tokens: batch.tokens, residual: nil, start: 0, stop: model.config.nLayers,
                             pass: model.makePass(runner: runner, plan: plan))
    }

    /// Whether steps read through the key-value cache (always when recording: a recompute
    /// would record the whole sequence at every step).
    private var usesCache: Bool { options.usesKeyValueCache || recorder != nil }

    /// Chooses each running row's next token from the last position of `logits` and records
    /// it; stopped rows get the padding token. Returns the tokens, [batch, 1].
    private mutating func choose(from logits: Tensor, step: Int, onToken: ((GeneratedToken) throws -> Void)?) throws -> IntTensor {
        let (batch, positions, vocabulary) = (logits.shape[0], logits.shape[1], logits.shape[2])
        var chosen = [Int](repeating: padToken, count: batch)
        for row in 0..<batch where stopReasons[row] == nil {
            let start = (row * positions + positions - 1) * vocabulary
            let token = logits.withUnsafeBufferPointer { values in
                sampler.choose(from: UnsafeBufferPointer(rebasing: values[start..<(start + vocabulary)]), using: &randoms[row])
            }
            newTokens[row].append(token)
            let stops = options.stopAtEOS && eos.contains(token)
            // A token that goes on being read must be one the model reads.
            if !stops && token >= model.config.dVocab && step < options.maxNewTokens {
                throw GenerationError.unreadableToken(token: token, vocabulary: model.config.dVocab)
            }
            chosen[row] = token < model.config.dVocab ? token : padToken
            let text = streamedText(row: row)
            if let onToken { try onToken(GeneratedToken(row: row, step: step, token: token, text: text)) }
            if options.stopAtEOS && eos.contains(token) {
                stopReasons[row] = .endOfSequence
            } else if let stop = options.stopStrings.first(where: { !$0.isEmpty && streamed[row].contains($0) }) {
                stopReasons[row] = .stopString(stop)
            }
        }
        return IntTensor(shape: [batch, 1], values: chosen)
    }

    /// The text row `row`'s newest token adds (held back while it ends inside a character).
    private mutating func streamedText(row: Int) -> String {
        guard let tokenizer = model.tokenizer?.tokenizer else { return "" }
        let full = tokenizer.decode(newTokens[row])
        guard !full.hasSuffix("\u{FFFD}"), full.hasPrefix(streamed[row]) else { return "" }
        let added = String(full.dropFirst(streamed[row].count))
        streamed[row] = full
        return added
    }
}
