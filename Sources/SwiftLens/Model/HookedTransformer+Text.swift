/// Text in, text out, the TransformerLens way: `toTokens`, `toStrTokens`, `toString`,
/// `toSingleToken`, and `model(text)`, `loss(text)`, `runWithCache(text)`.
///
/// BOS: TransformerLens prepends BOS by default even where the model's own tokenizer would not
/// (a long-standing source of confusion). Here the default is the tokenizer's own policy
/// (``TokenizerBinding/prependsBOS``, from the checkpoint's metadata — SmolLM2 adds none);
/// `prependBOS:` overrides it per call.
extension HookedTransformer {
    /// The tokens of `text`, [1, pos]; BOS first when `prependBOS` (default: the tokenizer's
    /// policy).
    /// - Throws: ``ModelError/noTokenizer`` for a model loaded without one;
    ///   ``ModelError/noBOSToken`` when BOS is asked for and the tokenizer has none.
    public func toTokens(_ text: String, prependBOS: Bool? = nil) throws -> IntTensor {
        let binding = try requireTokenizer()
        var ids = binding.tokenizer.encode(text)
        if prependBOS ?? binding.prependsBOS {
            guard let bos = binding.bosTokenID else { throw ModelError.noBOSToken }
            ids.insert(bos, at: 0)
        }
        guard !ids.isEmpty else { throw ModelError.emptyInput(shape: [1, 0]) }
        return IntTensor(shape: [1, ids.count], values: ids)
    }

    /// Each token of `text` as its own string (TransformerLens's `to_str_tokens`).
    public func toStrTokens(_ text: String, prependBOS: Bool? = nil) throws -> [String] {
        try toStrTokens(toTokens(text, prependBOS: prependBOS).scalars)
    }

    /// Each of `tokens` decoded on its own.
    public func toStrTokens(_ tokens: [Int]) throws -> [String] {
        let tokenizer = try requireTokenizer().tokenizer
        return tokens.map { tokenizer.decode([$0]) }
    }

    /// The text of `tokens` (TransformerLens's `to_string`).
    public func toString(_ tokens: [Int]) throws -> String {
        try requireTokenizer().tokenizer.decode(tokens)
    }

    /// The id of `text` if it is exactly one token (TransformerLens's `to_single_token`).
    /// - Throws: ``ModelError/notOneToken(_:count:)`` otherwise.
    public func toSingleToken(_ text: String) throws -> Int {
        let ids = try requireTokenizer().tokenizer.encode(text)
        guard ids.count == 1 else { throw ModelError.notOneToken(text, count: ids.count) }
        return ids[0]
    }

    /// Logits [1, pos, d_vocab_out] for `text`.
    public func callAsFunction(_ text: String, prependBOS: Bool? = nil, hooks: [Hook] = []) throws -> Tensor {
        try forward(toTokens(text, prependBOS: prependBOS), hooks: hooks)
    }

    /// The mean next-token loss on `text` (a scalar tensor).
    public func loss(_ text: String, prependBOS: Bool? = nil, hooks: [Hook] = []) throws -> Tensor {
        try loss(toTokens(text, prependBOS: prependBOS), hooks: hooks)
    }

    /// ``runWithCache(_:names:positions:hooks:memoryBudget:)`` on the tokens of `text`.
    public func runWithCache(_ text: String, prependBOS: Bool? = nil, names: NameFilter = .all,
                             hooks: [Hook] = []) throws -> (logits: Tensor, cache: ActivationCache) {
        try runWithCache(toTokens(text, prependBOS: prependBOS), names: names, hooks: hooks)
    }

    private func requireTokenizer() throws -> TokenizerBinding {
        guard let binding = tokenizer else { throw ModelError.noTokenizer }
        return binding
    }
}
