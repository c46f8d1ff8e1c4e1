import Foundation
import SwiftLens

/// What a fuzz case hands to SwiftLens.
public enum FuzzInput: Sendable {
    /// A model directory (file name → bytes), loaded with `HookedTransformer.load(directory:)`
    /// (`process`: with TransformerLens's weight processing) and, if it loads, run once with
    /// `runWithCache` on a few tokens.
    case directory(files: [String: Data], process: Bool)
    /// Token ids given to the unmodified fixture model `base`.
    case tokens(base: String, tokens: TokenSource, call: TokenCall)
    /// The bytes of a GGUF file, written to disk and opened with `GGUFFile(contentsOf:)` (the
    /// memory-mapped path); if it opens, every metadata value is visited and every tensor is
    /// dequantised with `tensor(named:)` and its raw bytes read.
    case gguf(Data)

    /// Where a token input comes from.
    public enum TokenSource: Sendable {
        /// An `IntTensor` built directly (any shape, any values).
        case tensor(IntTensor)
        /// A safetensors file with a `tokens` entry, read with `SafetensorsFile.intTensor`
        /// (floats, huge integers, ragged byte counts are rejected there).
        case safetensors(Data)
    }

    /// Which model entry point receives the tokens: each validates them on its own path.
    public enum TokenCall: String, CaseIterable, Sendable {
        /// `model(tokens)`: logits.
        case forward
        /// `model.runWithCache(tokens)`.
        case runWithCache
        /// `model.loss(tokens)`: next-token loss, which needs two positions.
        case loss
        /// `model.run(tokens)`: logits and per-token loss.
        case run
    }
}
