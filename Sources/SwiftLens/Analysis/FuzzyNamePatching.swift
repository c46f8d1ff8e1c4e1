/// Which heads carry a name from its first mention to its second? Activation patching per head
/// on a ``FuzzyNamePrompt``: run the corrupted prompt (another surname in the first mention),
/// write one head's output (`hook_z`) from the clean run into it — at the last position, where
/// the surname is predicted, or at every position — and measure the logit difference
/// `logit(surname) − logit(otherSurname)` (first tokens) at the last position.
///
/// ``restored`` [n_layers, n_heads] is the normalised effect
/// `(patched − corrupted) / (clean − corrupted)`: 1 when that head alone restores the clean
/// prediction, 0 when it changes nothing. Patching only the last position isolates heads that
/// *move* the surname to where it is predicted (induction heads read it at the first mention
/// and write it there); patching every position also finds heads that work on the first
/// mention itself.
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
        let clean = try model.toTokens(prompt.clean, prependBOS: prependBOS)
        let corrupted = try model.toTokens(prompt.corrupted, prependBOS: prependBOS)
        guard clean.shape == corrupted.shape else {
            throw AnalysisError.invalidArgument("the clean and corrupted prompts must have the same number of tokens; “\(prompt.surname)” gives "
                                                + "\(clean.shape[1]), “\(prompt.otherSurname)” \(corrupted.shape[1])")
        }
        let answer = try model.toTokens(prompt.surname, prependBOS: false).scalars[0]
        let wrong = try model.toTokens(prompt.otherSurname, prependBOS: false).scalars[0]
        guard answer != wrong else {
            throw AnalysisError.invalidArgument("the surnames “\(prompt.surname)” and “\(prompt.otherSurname)” start with the same token (\(answer))")
        }
        let c = model.config
        let last = clean.shape[1] - 1
        let names = (0..<c.nLayers).map { HookName.z($0) }
        let (cleanLogits, cache) = try model.runWithCache(clean, names: .only(names))
        let corruptedLogits = try model(corrupted)
        func difference(_ logits: Tensor) -> Float { (logits[0, last, answer] - logits[0, last, wrong]).scalar }
        let (cleanDifference, corruptedDifference) = (difference(cleanLogits), difference(corruptedLogits))
        guard abs(cleanDifference - corruptedDifference) > 1e-6 else {
            throw AnalysisError.invalidArgument("the clean and corrupted prompts give the same logit difference (\(cleanDifference)); nothing to restore")
        }
        let logProbs = cleanLogits[0, last].logSoftmax().scalars
        let answerLogProb = logProbs[answer]
        let answerRank = logProbs.filter { $0 > answerLogProb }.count

        let position: TensorIndex = allPositions ? .all : .at(last)
        var variants: [Sweep.Variant] = []
        for layer in 0..<c.nLayers {
            let z = try cache.tensor(.z(layer))  // [1, pos, n_heads, d_head]
            for head in 0..<c.nHeads {
                let index: [TensorIndex] = [.all, position, .at(head), .all]
                variants.append(Sweep.Variant("L\(layer)H\(head)", hooks: [.setValue(.z(layer), index, to: z.selecting(index))]))
            }
        }
        var sweep = Sweep(model: model, tokens: corrupted, metric: .logitDifference(answer: answer, wrong: wrong), variants: variants)
        sweep.shape = [c.nLayers, c.nHeads]
        let patched = try sweep.run().tensor()
        let restored = (patched - corruptedDifference) / (cleanDifference - corruptedDifference)
        return FuzzyNamePatching(prompt: prompt, cleanTokens: clean, corruptedTokens: corrupted, answer: answer, wrong: wrong,
                                 cleanDifference: cleanDifference, corruptedDifference: corruptedDifference,
                                 answerLogProb: answerLogProb, answerRank: answerRank, restored: restored, allPositions: allPositions)
    }
}
