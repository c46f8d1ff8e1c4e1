import Foundation
import LensCommandLine
import SwiftLens

/// `lens cache MODEL --tokens TOKENS --out FILE.safetensors [--process]`: runs a model on token
/// ids and writes every activation under its TransformerLens hook name, with `logits`,
/// `loss_per_token`, `loss` and the `tokens` themselves.
///
/// MODEL is a directory in the TransformerLens layout (`config.json`, bare or with the config
/// under `cfg`, and `weights.safetensors`) or the Hugging Face layout (GPT-2 or LLaMA
/// `config.json` and `model.safetensors`). TOKENS is a JSON array of arrays (inline, or a
/// `.json` file), or a `.safetensors` file with a `tokens` entry.
enum CacheCommand {
    static let options = OptionTable(command: "lens cache", arguments: [
        .required("MODEL", help: "a TransformerLens or Hugging Face model directory"),
    ], options: [
        .string("--tokens", "TOKENS", required: true,
                help: "token ids: a JSON array of arrays, inline or in a .json file, or a .safetensors file with `tokens`"),
        .string("--out", "FILE.safetensors", required: true, help: "where to write the activations"),
        .flag("--process", help: "apply TransformerLens's default weight processing first"),
    ], summary: """
        runs MODEL (a TransformerLens or Hugging Face directory) on TOKENS (a JSON array of
        arrays, inline or in a .json file, or a .safetensors file with a `tokens` entry) and
        writes every activation under its hook name, plus logits, loss_per_token and loss.
        --process applies TransformerLens's default weight processing first.
        """)

    static func run(_ args: ParsedArguments) throws {
        let tokensArgument = args.string("--tokens"), out = args.string("--out")
        let model = try HookedTransformer.load(directory: URL(fileURLWithPath: args.argument("MODEL")), process: args.flag("--process"))
        let tokens = try readTokens(tokensArgument)
        let (logits, cache) = try model.runWithCache(tokens)
        var values: [(name: String, value: SafetensorsValue)] = [("tokens", .int(tokens)), ("logits", .float(logits))]
        if tokens.shape[1] >= 2 {
            let perToken = try HookedTransformer.perTokenLoss(logits: logits, tokens: tokens)
            values += [("loss_per_token", .float(perToken)), ("loss", .float(perToken.mean()))]
        }
        values += cache.map { (name: $0.name.rawValue, value: SafetensorsValue.float($0.value)) }
        try SafetensorsFile.write(values, metadata: ["format": "swiftlens-cache", "model": model.config.modelName], to: URL(fileURLWithPath: out))
        print("wrote \(cache.count) activations, logits \(logits.shape) and the loss for tokens \(tokens.shape) to \(out)")
    }

    /// Token ids from inline JSON, a JSON file, or a safetensors file's `tokens` entry.
    static func readTokens(_ argument: String) throws -> IntTensor {
        let url = URL(fileURLWithPath: argument)
        if FileManager.default.fileExists(atPath: argument) {
            if argument.hasSuffix(".safetensors") {
                let file = try SafetensorsFile(contentsOf: url)
                guard file.entries["tokens"] != nil else {
                    throw UsageError(description: "\(argument) has no \"tokens\" entry (it has \(file.names.prefix(5).joined(separator: ", ")))")
                }
                return try file.intTensor("tokens")
            }
            return try parseJSON(Data(contentsOf: url), source: argument)
        }
        return try parseJSON(Data(argument.utf8), source: "--tokens")
    }

    static func parseJSON(_ data: Data, source: String) throws -> IntTensor {
        guard let rows = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else {
            throw UsageError(description: "\(source): expected a JSON array of token-id arrays, e.g. [[1, 2, 3]]")
        }
        let parsed: [[Int]] = try rows.map { row in
            guard let ids = row as? [Any], let ints = ids.map({ $0 as? Int }) as [Int?]?, !ints.contains(where: { $0 == nil }) else {
                throw UsageError(description: "\(source): every row must be an array of integers")
            }
            return ints.map { $0! }
        }
        guard let length = parsed.first?.count, parsed.allSatisfy({ $0.count == length }) else {
            throw UsageError(description: "\(source): expected at least one row, all of one length (batches hold equal-length sequences)")
        }
        return IntTensor(parsed)
    }
}
