/// Which heads carry a name from its first mention to its second? Activation patching per head
/// on a ``FuzzyNamePrompt``: run the corrupted prompt (another surname in the first mention),
/// write one head's output (`hook_z`) from the clean run into it — at the last position, where
/// the surname is predicted, or at every position — and measure the logit difference
/// `logit(surname) − logit(otherSurname)` (first tokens) at the last position.
///
/// ``restored`` [n_layers, n_heads] is the normalised effect
/// `(patched − corrupted) / (clean − corrupted)`: 1 when that head alone restores the clean
/// prediction, 0 when it changes nothing. Patching only the last position isolates heads that
/// *move* the surname to where it is predicted (heads that attend back to the first mention, or
/// that pass on what earlier heads wrote there); patching every position also finds heads that
/// work on the first mention itself. The per-head runs are one ``Sweep`` (each resumes at the
/// patched layer); ``restored(_:prompt:patching:allPositions:prependBOS:)`` patches groups of
/// heads together.
///
/// ```swift
/// let prompt = try FuzzyNamePrompt(text: "Dr. Elara{surname} studied … named it after Dr. Elara", surname: " Voss", otherSurname: " Quill")
/// let patching = try FuzzyNamePatching.measure(model, prompt: prompt)
/// patching.restored[23, 2]        // L23H2's share of the logit difference, alone
/// ```
public struct FuzzyNamePatching: Sendable {
    public let prompt: FuzzyNamePrompt
    /// The clean prompt's tokens, [1, pos].
    public let cleanTokens: IntTensor
    /// The corrupted prompt's tokens, [1, pos] (same length).
    public let corruptedTokens: IntTensor
    /// First token of the clean and of the other surname.
    public let answer: Int
    public let wrong: Int
    /// Logit difference at the last position of the clean and the corrupted run.
    public let cleanDifference: Float
    public let corruptedDifference: Float
    /// log p(answer) at the last position of the clean run, and its rank (0 = most likely).
    public let answerLogProb: Float
    public let answerRank: Int
    /// [n_layers, n_heads]: (patched − corrupted) / (clean − corrupted).
    public let restored: Tensor
    public let allPositions: Bool

    /// Patches every head of `model` on `prompt`.
    /// - Parameters:
    ///   - allPositions: patch the head's output at every position (TransformerLens's
    ///     `get_act_patch_attn_head_out_all_pos`) instead of the last one only.
    ///   - prependBOS: as ``HookedTransformer/toTokens(_:prependBOS:)`` (default: the tokenizer's policy).
    /// - Throws: ``AnalysisError/invalidArgument(_:)`` when the clean and corrupted prompts
    ///   tokenise to different lengths, the surnames start with the same token, or the clean and
    ///   corrupted runs give the same logit difference (nothing to restore); the model's errors
    ///   (no tokenizer, longer than n_ctx).
    public static func measure(_ model: HookedTransformer, prompt: FuzzyNamePrompt, allPositions: Bool = false,
                               prependBOS: Bool? = nil) throws -> FuzzyNamePatching {
        let run = try Run(model, prompt: prompt, prependBOS: prependBOS)
        let c = model.config
        let (clean, corrupted, answer, wrong, cache) = (run.clean, run.corrupted, run.answer, run.wrong, run.cache)
        let (cleanDifference, corruptedDifference) = (run.cleanDifference, run.corruptedDifference)
        let logProbs = run.cleanLogits[0, run.last].logSoftmax().scalars
        let answerLogProb = logProbs[answer]
        let answerRank = logProbs.filter { $0 > answerLogProb }.count

        let position: TensorIndex = allPositions ? .all : .at(run.last)
        var variants: [Sweep.Variant] = []
        for layer in 0..<c.nLayers {
            let z = try cache.tensor(.z(layer))  // [1, pos, n_heads, d_head]
            for head in 0..<c.nHeads {
                let index: [TensorIndex] = [.all, position, .at(head), .all]
                variants.append(Sweep.Variant("L\(layer)H\(head)", hooks: [.setValue(.z(layer), index, to: z.selecting(index))]))
            }
        }
        var sweep = Sweep(model: model, tokens: corrupted, metric: .logitDifference(answer: answer, wrong: wrong), variants: variants)
        sweep.concurrentVariants = true  // every hook is a `setValue`
        sweep.shape = [c.nLayers, c.nHeads]
        let patched = try sweep.run().tensor()
        let restored = (patched - corruptedDifference) / (cleanDifference - corruptedDifference)
        return FuzzyNamePatching(prompt: prompt, cleanTokens: clean, corruptedTokens: corrupted, answer: answer, wrong: wrong,
                                 cleanDifference: cleanDifference, corruptedDifference: corruptedDifference,
                                 answerLogProb: answerLogProb, answerRank: answerRank, restored: restored, allPositions: allPositions)
    }

    /// For each group of heads, the fraction of the logit difference restored by patching the
    /// group's heads together (each head's `hook_z` from the clean run, at the last position or
    /// at every position) — for heads that matter only jointly, which one-at-a-time patching
    /// misses. The clean and corrupted runs are shared by the groups.
    /// - Throws: as ``measure(_:prompt:allPositions:prependBOS:)``; ``AnalysisError/invalidArgument(_:)``
    ///   for a head outside the model.
    public static func restored(_ model: HookedTransformer, prompt: FuzzyNamePrompt, patching groups: [[Head]],
                                allPositions: Bool = false, prependBOS: Bool? = nil) throws -> [Float] {
        let c = model.config
        if let bad = groups.joined().first(where: { !(0..<c.nLayers).contains($0.layer) || !(0..<c.nHeads).contains($0.head) }) {
            throw AnalysisError.invalidArgument("head \(bad) is not in the model (\(c.nLayers) layers × \(c.nHeads) heads)")
        }
        let run = try Run(model, prompt: prompt, prependBOS: prependBOS)
        let position: TensorIndex = allPositions ? .all : .at(run.last)
        return try groups.map { heads in
            let hooks = try heads.map { h -> Hook in
                let index: [TensorIndex] = [.all, position, .at(h.head), .all]
                return .setValue(.z(h.layer), index, to: try run.cache.tensor(.z(h.layer)).selecting(index))
            }
            let patched = run.difference(try model(run.corrupted, hooks: hooks))
            return (patched - run.corruptedDifference) / (run.cleanDifference - run.corruptedDifference)
        }
    }

    /// The clean and corrupted runs of a prompt, checked: tokens, answer and wrong token, the
    /// clean run's head outputs and both logit differences.
    private struct Run {
        let clean: IntTensor, corrupted: IntTensor
        let answer: Int, wrong: Int, last: Int
        let cleanLogits: Tensor
        let cache: ActivationCache
        let cleanDifference: Float, corruptedDifference: Float

        init(_ model: HookedTransformer, prompt: FuzzyNamePrompt, prependBOS: Bool?) throws {
            clean = try model.toTokens(prompt.clean, prependBOS: prependBOS)
            corrupted = try model.toTokens(prompt.corrupted, prependBOS: prependBOS)
            guard clean.shape == corrupted.shape else {
                throw AnalysisError.invalidArgument("the clean and corrupted prompts must have the same number of tokens; “\(prompt.surname)” gives "
                                                    + "\(clean.shape[1]), “\(prompt.otherSurname)” \(corrupted.shape[1])")
            }
            answer = try model.toTokens(prompt.surname, prependBOS: false).scalars[0]
            wrong = try model.toTokens(prompt.otherSurname, prependBOS: false).scalars[0]
            guard answer != wrong else {
                throw AnalysisError.invalidArgument("the surnames “\(prompt.surname)” and “\(prompt.otherSurname)” start with the same token (\(answer))")
            }
            last = clean.shape[1] - 1
            (cleanLogits, cache) = try model.runWithCache(clean, names: .only((0..<model.config.nLayers).map { HookName.z($0) }))
            let corruptedLogits = try model(corrupted)
            let (a, w, l) = (answer, wrong, last)
            func difference(_ logits: Tensor) -> Float { (logits[0, l, a] - logits[0, l, w]).scalar }
            (cleanDifference, corruptedDifference) = (difference(cleanLogits), difference(corruptedLogits))
            guard abs(cleanDifference - corruptedDifference) > 1e-6 else {
                throw AnalysisError.invalidArgument("the clean and corrupted prompts give the same logit difference (\(cleanDifference)); nothing to restore")
            }
        }

        /// logit(answer) − logit(wrong) at the last position of `logits` [1, pos, d_vocab].
        func difference(_ logits: Tensor) -> Float { (logits[0, last, answer] - logits[0, last, wrong]).scalar }
    }
}
