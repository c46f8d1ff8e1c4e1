extension BPETokenizer {
    /// The token types of GGUF's `tokenizer.ggml.token_type` (gguf-py `TokenType`).
    public enum GGUFTokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// A tokenizer from a GGUF file's `tokenizer.ggml.*` metadata, for `tokenizer.ggml.model = "gpt2"`
    /// (byte-level BPE), giving Hugging Face transformers' ids for that file.
    ///
    /// Pass the arrays exactly as the GGUF reader returns them:
    /// - `ggufTokens`: `tokenizer.ggml.tokens`, the text of every token by id, in the byte-level
    ///   alphabet (`Ġthe`).
    /// - `merges`: `tokenizer.ggml.merges`, "left right" strings in rank order; each is split at its
    ///   first space after the first character, as llama.cpp does (so a merge whose left part
    ///   is a space still parses).
    /// - `tokenTypes`: `tokenizer.ggml.token_type` (same length as the tokens), or nil. Control
    ///   tokens (3) become special added tokens and user-defined ones (4) plain added tokens: both
    ///   are matched in text, as transformers does when it converts a GGUF (SmolLM2's 17 control
    ///   tokens `<|endoftext|>` = 0, `<|im_start|>` = 1, `<|im_end|>` = 2, …). Other types are
    ///   ordinary tokens.
    /// - `pre`: `tokenizer.ggml.pre` (SmolLM2: `smollm`), mapped by
    ///   ``BPEPreTokenizer/init(ggmlName:isolatingDigitsForSmolLM:)``.
    ///
    /// `bos_token_id`/`eos_token_id` are not needed to encode (SmolLM2 adds no BOS:
    /// `add_bos_token = false`); `unknown_token_id` is not used, as every byte has a token.
    ///
    /// - Throws: ``BPETokenizerError/lengthMismatch(what:expected:found:)`` when the arrays disagree,
    ///   ``BPETokenizerError/malformedMerge(index:found:)``, and the errors of
    ///   ``init(tokens:merges:addedTokens:preTokenizer:ignoreMerges:unknownTokenID:matchesAddedTokens:)``.
    public init(ggufTokens tokens: [String], merges: [String], tokenTypes: [Int32]? = nil, pre: String,
                isolatingDigitsForSmolLM: Bool = false) throws(BPETokenizerError) {
        if let tokenTypes, tokenTypes.count != tokens.count {
            throw .lengthMismatch(what: "tokenizer.ggml.token_type", expected: tokens.count, found: tokenTypes.count)
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (i, merge) in merges.enumerated() {
            guard let first = merge.unicodeScalars.first,
                  let space = merge.unicodeScalars.dropFirst().firstIndex(of: " ") else {
                throw .malformedMerge(index: i, found: merge)
            }
            _ = first
            let left = String(merge.unicodeScalars[..<space])
            let right = String(merge.unicodeScalars[merge.unicodeScalars.index(after: space)...])
            guard !right.isEmpty else { throw .malformedMerge(index: i, found: merge) }
            pairs.append((left, right))
        }
        var added: [AddedToken] = []
        for (id, type) in (tokenTypes ?? []).enumerated() {
            switch GGUFTokenType(rawValue: type) {
            case .control: added.append(AddedToken(tokens[id], id: id, special: true))
            case .userDefined: added.append(AddedToken(tokens[id], id: id, special: false))
            default: break
            }
        }
        let preTokenizer = try BPEPreTokenizer(ggmlName: pre, isolatingDigitsForSmolLM: isolatingDigitsForSmolLM)
        try self.init(tokens: tokens, merges: pairs, addedTokens: added, preTokenizer: preTokenizer,
                      ignoreMerges: false, unknownTokenID: nil, matchesAddedTokens: true)
    }
}
