/// How text is cut into pre-tokens ("words") before byte-level BPE runs on each one separately.
///
/// Both kinds implement GPT-2's pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// by hand over Unicode scalars, with the semantics of the regex engines the references use
/// (Python `regex`, Rust `fancy-regex` in tiktoken, Oniguruma in Hugging Face `tokenizers`):
/// `\p{L}` = general category L, `\p{N}` = N, `\s` = the `White_Space` property, contractions
/// are ASCII and case-sensitive, and the optional prefix is U+0020 only. A hand-written scanner
/// because `NSRegularExpression` is about a hundred times too slow for the throughput target.
///
/// tiktoken's rewrite of the pattern with possessive quantifiers
/// (`'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`) splits
/// identically, so one scanner serves both references.
public enum BPEPreTokenizer: String, Sendable, Hashable, CaseIterable {
    /// GPT-2's pattern alone: Hugging Face `ByteLevel(use_regex: true)` and tiktoken's `gpt2` /
    /// `r50k_base`. A run of digits stays one pre-token (" 2024").
    case gpt2
    /// Every `\p{N}` scalar its own pre-token first, then GPT-2's pattern on the text between them
    /// (whose ends then act as the end of text for `\s+(?!\S)`): Hugging Face
    /// `Sequence[Digits(individual_digits: true), ByteLevel]` — the SmolLM tokenizer.json on the
    /// Hub — and llama.cpp's `smollm` / `starcoder` pre-tokenizer ("x 12" → "x", " ", "1", "2").
    case gpt2IsolatingDigits

    /// The kind for a GGUF `tokenizer.ggml.pre` value.
    ///
    /// `smollm` (SmolLM2's) maps to ``gpt2``, not ``gpt2IsolatingDigits``: that is how Hugging
    /// Face transformers reads a GGUF (it has no rule for `smollm` and keeps plain `ByteLevel`),
    /// and it is what the SmolLM2 parity fixtures recorded (`ids`, not `ids_llamacpp_smollm_pre`).
    /// Pass `isolatingDigitsForSmolLM: true` to tokenize as llama.cpp does instead.
    ///
    /// - Throws: ``BPETokenizerError/unsupported(_:expected:found:)`` for any other value (the
    ///   Llama 3 and Qwen 2 patterns are not implemented).
    public init(ggmlName: String, isolatingDigitsForSmolLM: Bool = false) throws(BPETokenizerError) {
        switch ggmlName {
        case "gpt-2", "gpt2", "phi-2", "default":
            self = .gpt2
        case "smollm", "starcoder", "refact", "codeshell":
            self = isolatingDigitsForSmolLM ? .gpt2IsolatingDigits : .gpt2
        default:
            throw .unsupported("tokenizer.ggml.pre", expected: "gpt-2, smollm, starcoder, refact or codeshell", found: ggmlName)
        }
    }

    var isolatesDigits: Bool { self == .gpt2IsolatingDigits }
}
