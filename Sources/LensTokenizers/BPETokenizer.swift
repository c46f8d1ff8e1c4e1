/// A byte-level BPE tokenizer — GPT-2's scheme, used by GPT-2, SmolLM2, Llama 3, Qwen and most
/// Hugging Face checkpoints — giving the same ids as tiktoken and Hugging Face `tokenizers`.
///
/// Encoding runs in four steps:
/// 1. **Added tokens** (`<|endoftext|>`, `<|im_start|>`) are found in the raw text, leftmost-longest,
///    when ``matchesAddedTokens`` is on; each becomes its id and separates the text around it.
/// 2. **Pre-tokenization** cuts each remaining segment with GPT-2's pattern (``BPEPreTokenizer``).
/// 3. **BPE** starts each pre-token from its UTF-8 bytes (one token per byte, in GPT-2's
///    ``ByteLevelAlphabet``) and merges the adjacent pair of lowest rank, leftmost first, until
///    none merges.
/// 4. The remaining symbols are the ids.
///
/// Decoding concatenates each token's bytes and reads them as UTF-8, replacing invalid sequences
/// with U+FFFD as Hugging Face (`from_utf8_lossy`) and tiktoken (`errors="replace"`) do — so decode
/// whole sequences: a character split across tokens only decodes when both halves are present.
///
/// Why it is fast (the target is tiktoken's throughput on one thread, ≈ 15 MB/s): the pattern is a
/// hand-written scanner over UTF-8 with a scalar-class table; pre-tokens are looked up in a
/// per-thread cache of bytes → ids before any merging (text repeats its words); merges are ranked
/// through a table keyed by pairs of integer ids; the merge loop works on small flat arrays;
/// no `String` is created between the input and the output array.
///
/// Loaders: ``init(tiktokenFile:specialTokens:)`` (GPT-2's `gpt2.tiktoken`),
/// ``init(huggingFaceJSON:)`` (a `tokenizer.json`), and
/// ``init(tokens:merges:addedTokens:preTokenizer:ignoreMerges:unknownTokenID:matchesAddedTokens:)``
/// for vocabularies held as arrays, such as a GGUF file's `tokenizer.ggml.*` metadata
/// (see ``init(ggufTokens:merges:tokenTypes:pre:)``).
///
/// Copies share their tables; encoding from several threads at once is safe.
public struct BPETokenizer: TextTokenizer, Sendable {
    let core: BPECore

    /// Whether ``encode(_:)`` turns added tokens written in the text into their ids.
    ///
    /// On for Hugging Face and GGUF vocabularies (what `tokenizer(text)` does); off for tiktoken
    /// files, where the reference ids are `encode_ordinary(text)` (≡ `encode(text,
    /// disallowed_special=())`): there `"<|endoftext|>"` in a text is seven ordinary tokens.
    public var matchesAddedTokens: Bool

    /// One more than the largest id (GPT-2: 50,257; SmolLM2: 49,152).
    public var vocabularySize: Int { core.vocabularySize }
    public var preTokenizer: BPEPreTokenizer { core.preTokenizer }
    /// The tokens matched before pre-tokenization, as given to the loader.
    public var addedTokens: [AddedToken] { core.addedTokens }

    init(core: BPECore, matchesAddedTokens: Bool) {
        self.core = core
        self.matchesAddedTokens = matchesAddedTokens
    }

    /// A tokenizer from a vocabulary spelled in GPT-2's byte-level alphabet, as `tokenizer.json`
    /// and GGUF files hold it.
    ///
    /// - Parameters:
    ///   - tokens: the text of every token, indexed by id (`Ġthe`, `Ċ`, `<|endoftext|>`). Tokens
    ///     whose text lies entirely in ``ByteLevelAlphabet`` take part in BPE; others (added
    ///     tokens such as `<|im_start|>` are usually both) are reached only as added tokens.
    ///   - merges: the merge list in rank order (rank = index), each pair the texts of two tokens
    ///     whose concatenation is also a token.
    ///   - addedTokens: tokens matched in the text before pre-tokenization; their ids may lie
    ///     inside or beyond `tokens`.
    ///   - ignoreMerges: emit a pre-token that is itself a token directly, without merging
    ///     (Hugging Face's `ignore_merges`, on for Llama 3).
    ///   - unknownTokenID: what a byte without a token becomes (nil: it is dropped).
    ///   - matchesAddedTokens: the default of ``matchesAddedTokens``.
    /// - Throws: ``BPETokenizerError`` for a duplicate token text, a merge naming a token that is
    ///   not in `tokens`, or an added token id out of range.
    public init(tokens: [String], merges: [(String, String)], addedTokens: [AddedToken] = [],
                preTokenizer: BPEPreTokenizer = .gpt2, ignoreMerges: Bool = false, unknownTokenID: Int? = nil,
                matchesAddedTokens: Bool = true) throws(BPETokenizerError) {
        try self.init(vocabulary: tokens.map { $0 as String? }, merges: merges, addedTokens: addedTokens, preTokenizer: preTokenizer,
                      ignoreMerges: ignoreMerges, unknownTokenID: unknownTokenID, matchesAddedTokens: matchesAddedTokens)
    }

    /// As the public array initializer, with gaps (nil) allowed in the id range.
    init(vocabulary tokens: [String?], merges: [(String, String)], addedTokens: [AddedToken], preTokenizer: BPEPreTokenizer,
         ignoreMerges: Bool, unknownTokenID: Int?, matchesAddedTokens: Bool) throws(BPETokenizerError) {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        var tokenBytes: [[UInt8]?] = []
        var decodeAs: [[UInt8]?] = []
        tokenBytes.reserveCapacity(tokens.count)
        decodeAs.reserveCapacity(tokens.count)
        for (id, text) in tokens.enumerated() {
            guard let text else {
                tokenBytes.append(nil)
                decodeAs.append(nil)
                continue
            }
            if let earlier = ids.updateValue(Int32(id), forKey: text) {
                throw .duplicate(what: "token text", found: "\(text.debugDescription) at ids \(earlier) and \(id)")
            }
            let (bytes, inAlphabet) = ByteLevelAlphabet.decode(text)
            tokenBytes.append(inAlphabet ? bytes : nil)
            decodeAs.append(bytes)
        }
        for token in addedTokens where token.id < 0 || token.id >= Int(Int32.max) {
            throw .invalidID(what: "added token \(token.content.debugDescription)", found: token.id)
        }
        var pairs: [(left: Int32, right: Int32)] = []
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let left = ids[merge.0] else { throw .mergeTokenNotInVocabulary(merge: rank, token: merge.0) }
            guard let right = ids[merge.1] else { throw .mergeTokenNotInVocabulary(merge: rank, token: merge.1) }
            pairs.append((left, right))
        }
        var decodeAdded = decodeAs
        let size = max(tokens.count, (addedTokens.map(\.id).max() ?? -1) + 1)
        decodeAdded += [[UInt8]?](repeating: nil, count: size - decodeAdded.count)
        // Hugging Face decodes an added token through the byte-level decoder like any other.
        for token in addedTokens { decodeAdded[token.id] = ByteLevelAlphabet.decode(token.content).bytes }
        let core = try BPECore(tokenBytes: tokenBytes, tokenTexts: tokens, decodeAs: decodeAdded, merges: .pairs(pairs),
                               addedTokens: addedTokens, preTokenizer: preTokenizer, ignoreMerges: ignoreMerges,
                               unknownID: unknownTokenID)
        self.init(core: core, matchesAddedTokens: matchesAddedTokens)
    }

    // MARK: Encoding

    /// The ids of `text` (added tokens matched according to ``matchesAddedTokens``).
    public func encode(_ text: String) -> [Int] {
        encode(text, matchingAddedTokens: matchesAddedTokens)
    }

    /// The ids of `text`, choosing whether added tokens written in it become their ids.
    public func encode(_ text: String, matchingAddedTokens: Bool) -> [Int] {
        var text = text
        return text.withUTF8 { core.encode($0, matchingAddedTokens: matchingAddedTokens) }
    }

    /// The token texts of `text`'s ids, as the vocabulary spells them (`["Hello", ",", "Ġworld"]`:
    /// Hugging Face's `tokens`).
    public func pieces(_ text: String) -> [String] {
        encode(text).map { token(forID: $0) ?? "\u{FFFD}" }
    }

    // MARK: Decoding

    /// The text of `tokens`, added tokens included; ids without a token decode to U+FFFD.
    public func decode(_ tokens: [Int]) -> String {
        decode(tokens, skippingSpecialTokens: false)
    }

    /// The text of `tokens`, optionally leaving out special added tokens (Hugging Face's
    /// `skip_special_tokens`).
    public func decode(_ tokens: [Int], skippingSpecialTokens: Bool) -> String {
        String(decoding: decodeBytes(tokens, skippingSpecialTokens: skippingSpecialTokens), as: UTF8.self)
    }

    /// The raw bytes of `tokens` before UTF-8 decoding (a token may end inside a character).
    public func decodeBytes(_ tokens: [Int], skippingSpecialTokens: Bool = false) -> [UInt8] {
        core.decodeBytes(tokens, skippingSpecialTokens: skippingSpecialTokens)
    }

    // MARK: Vocabulary

    /// The vocabulary's text for `id` (`Ġworld`; an added token's content), or nil for an id no token has.
    public func token(forID id: Int) -> String? {
        id >= 0 && id < core.tokenTexts.count ? core.tokenTexts[id] : nil
    }

    /// The id of a token's text (an added token's content, or a text in the byte-level alphabet).
    public func id(forToken text: String) -> Int? {
        if let added = core.addedTokens.last(where: { $0.content == text }) { return added.id }
        let (bytes, inAlphabet) = ByteLevelAlphabet.decode(text)
        guard inAlphabet, !bytes.isEmpty else { return nil }
        return bytes.withUnsafeBufferPointer { core.vocabulary.firstValue($0.baseAddress!, $0.count) }.map(Int.init)
    }
}
