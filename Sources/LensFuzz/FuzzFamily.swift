/// The kind of input a fuzz case mutates. The outcome table is broken down by family, so a
/// regression shows which reader it is in; every reader SwiftLens gains (GGUF, tokenizer files)
/// joins as a family of its own.
public enum FuzzFamily: String, CaseIterable, Codable, Sendable {
    /// Raw bytes of a weights file: the header-length prefix, header bytes, truncation, junk.
    case safetensorsBytes = "safetensors-bytes"
    /// The JSON header of a weights file: dtypes, shapes, offsets, duplicate keys, nesting,
    /// non-UTF-8, metadata, missing, renamed and unknown tensors.
    case safetensorsHeader = "safetensors-header"
    /// A TransformerLens `config.json` (bare, or the fixture layout with the config under `cfg`).
    case transformerLensConfig = "tl-config"
    /// A Hugging Face GPT-2 `config.json`.
    case huggingFaceGPT2 = "hf-gpt2-config"
    /// A Hugging Face LLaMA `config.json`.
    case huggingFaceLlama = "hf-llama-config"
    /// Token ids given to a loaded model: out of range, negative, huge, floats, ragged, empty, 1-D.
    case tokens
    /// A GGUF file (the small fixtures in `Tests/Fixtures/gguf`): bytes, truncation, magic,
    /// version, counts, key and string lengths, value types, array counts, booleans, alignment,
    /// tensor n_dims, dimensions, type ids and offsets, duplicates, nesting; opened with
    /// `GGUFFile` and every tensor dequantised.
    case gguf
}
