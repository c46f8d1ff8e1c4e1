import Foundation
import LensTokenizers

/// Paths of the committed tokenizer fixtures, and of the vocabularies fetched by the scripts.
enum TokenizerFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let packageRoot = root.deletingLastPathComponent().deletingLastPathComponent()

    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    /// GPT-2 from the committed `gpt2.tiktoken` (openai-whisper 20250625, MIT), loaded once.
    static let gpt2: BPETokenizer = {
        do { return try BPETokenizer(tiktokenFile: url("tokenizers/gpt2.tiktoken")) } catch { fatalError("\(error)") }
    }()

    /// Where `Scripts/fetch_smollm2_vocab.sh` writes SmolLM2's vocabulary (not committed: 1.3 MB).
    static let smolLM2VocabURL = url("tokenizers/local/smollm2-gguf-vocab.json")
    static let smolLM2TokenizerJSONURL = url("tokenizers/local/smollm2-tokenizer.json")
    static let howToFetchSmolLM2 = "SmolLM2's vocabulary is not committed; run Scripts/fetch_smollm2_vocab.sh to fetch it"

    /// SmolLM2's tokenizer from the GGUF metadata extracted by the script, as a GGUF reader would
    /// pass it; nil when it has not been fetched.
    static func smolLM2(isolatingDigits: Bool = false) throws -> BPETokenizer? {
        guard FileManager.default.fileExists(atPath: smolLM2VocabURL.path) else { return nil }
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: smolLM2VocabURL)) as! [String: Any]
        return try BPETokenizer(ggufTokens: metadata["tokenizer.ggml.tokens"] as! [String],
                                merges: metadata["tokenizer.ggml.merges"] as! [String],
                                tokenTypes: (metadata["tokenizer.ggml.token_type"] as! [Int]).map { Int32($0) },
                                pre: metadata["tokenizer.ggml.pre"] as! String, isolatingDigitsForSmolLM: isolatingDigits)
    }

    /// One string of `smollm2/tokenizer_cases.json` with its reference ids.
    struct Case {
        let index: Int
        let text: String
        let gpt2: [Int]
        let gpt2AllowedSpecial: [Int]
        let smol: [Int]
        let smolPieces: [String]
        let smolSplitSpecial: [Int]
        let smolLlamaCpp: [Int]
    }

    static let cases: [Case] = {
        let data = try! Data(contentsOf: url("smollm2/tokenizer_cases.json"))
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["cases"] as! [[String: Any]]).map { item in
            let gpt2 = item["gpt2"] as! [String: Any], smol = item["smollm2"] as! [String: Any]
            return Case(index: item["i"] as! Int, text: item["text"] as! String, gpt2: gpt2["ids"] as! [Int],
                        gpt2AllowedSpecial: gpt2["ids_allowed_special_all"] as! [Int], smol: smol["ids"] as! [Int],
                        smolPieces: smol["tokens"] as! [String], smolSplitSpecial: smol["ids_split_special_tokens"] as! [Int],
                        smolLlamaCpp: smol["ids_llamacpp_smollm_pre"] as! [Int])
        }
    }()
}
