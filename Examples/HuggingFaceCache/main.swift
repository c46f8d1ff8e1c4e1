// Loading a Hugging Face checkpoint and caching every activation.
//
// `HookedTransformer.load(directory:)` reads a Hugging Face GPT-2 directory (`config.json` and
// `model.safetensors`, as `save_pretrained` writes them) and converts the weights as
// TransformerLens does, so every activation has its TransformerLens hook name. This example runs
// `runWithCache` on token ids, prints the names and shapes of the embedding hooks, block 0's
// hooks and the final norm's, the model's top next-token prediction at each position, and — with
// --out — writes the whole cache (plus `tokens` and `logits`) to a safetensors file that
// Python's `safetensors.numpy.load_file` reads.
//
//     swift run -c release HuggingFaceCache [HF_GPT2_DIR] [--tokens 10,20,30,40] [--out cache.safetensors]
//
// HF_GPT2_DIR defaults to the small random GPT-2 committed for the tests, Tests/Fixtures/hf/gpt2tiny
// (2 layers, vocabulary 50; its predictions are meaningless, its shapes are GPT-2's). Token ids
// are comma-separated (default 10,20,30,40,10,20,30); there is no tokenizer here. LLaMA
// directories load the same way (e.g. Tests/Fixtures/hf/llamatiny/hf).
import Foundation
import ExampleSupport

let options = OptionTable(command: "HuggingFaceCache", arguments: [
    .optional("HF_GPT2_DIR", help: "a Hugging Face GPT-2 directory (default: Tests/Fixtures/hf/gpt2tiny)"),
], options: [
    .integers("--tokens", "ID,ID,…", default: [10, 20, 30, 40, 10, 20, 30], help: "the token ids"),
    .string("--out", "FILE.safetensors", help: "write the whole cache, with tokens and logits"),
], summary: "loads a Hugging Face checkpoint, caches every activation under its TransformerLens name and prints the top predictions.")

func run(_ args: ParsedArguments) throws {

    let directory = args.modelDirectory(default: "Tests/Fixtures/hf/gpt2tiny")
    for file in ["config.json", "model.safetensors"] where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) {
        throw UsageError(description: "\(directory.path) has no \(file): expected a Hugging Face GPT-2 directory (config.json and model.safetensors)")
    }
    let hfConfig = try? JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json"))) as? [String: Any]
    let model = try HookedTransformer.load(directory: directory)
    let config = model.config

    // The token ids.
    let ids = args.integers("--tokens")
    let tokens = IntTensor([ids])  // [1, pos]; the model checks the ids against its vocabulary and n_ctx

    let (logits, cache) = try model.runWithCache(tokens)

    print("model: \(directory.path)")
    print("  Hugging Face model_type \((hfConfig?["model_type"] as? String) ?? "?"), loaded as \(config.nLayers) layers × \(config.nHeads) heads, "
          + "d_model \(config.dModel), d_vocab \(config.dVocab), n_ctx \(config.nCtx), act_fn \(config.actFn.map { "\($0.rawValue)" } ?? "none")")
    print("tokens: \(ids.map(String.init).joined(separator: " "))  \(tokens.shape)")
    print("cached \(cache.count) activations; logits \(logits.shape)")
    print()

    // The hook names and shapes: the embeddings, block 0, the final norm (the other blocks repeat
    // block 0's names with their own index).
    print("hook point".padding(toLength: 36, withPad: " ", startingAt: 0) + "shape")
    var skipped = 0
    for (name, value) in cache {
        let shown = name.layer == nil || name.layer == 0
        if shown {
            print(name.rawValue.padding(toLength: 36, withPad: " ", startingAt: 0) + "\(value.shape)")
        } else {
            skipped += 1
        }
    }
    if skipped > 0 {
        let blocks = config.nLayers == 2 ? "block 1" : "blocks 1…\(config.nLayers - 1)"
        print("(+ \(skipped) hooks of \(blocks): block 0's names with their own index)")
    }
    print()

    // The prediction at each position: the most likely next token and its probability, beside
    // the token that actually comes next.
    let probabilities = logits[0].softmax(axis: -1)  // [pos, d_vocab]
    print("pos  token  top next  p(top)   next token  p(next)")
    for position in 0..<ids.count {
        let row = probabilities[position]
        let top = row.argmax()
        var line = String(format: "%3d  %5d  %8d  %6.4f", position, ids[position], top, row[top].scalar)
        if position + 1 < ids.count {
            line += String(format: "   %10d  %7.4f", ids[position + 1], row[ids[position + 1]].scalar)
        }
        print(line)
    }
    if ids.count >= 2 {
        print(String(format: "mean next-token loss: %.4f", try HookedTransformer.perTokenLoss(logits: logits, tokens: tokens).mean().scalar))
    }

    // The whole cache as safetensors, under TransformerLens's names.
    if let out = args.string(ifGiven: "--out") {
        var values: [(name: String, value: SafetensorsValue)] = [("tokens", .int(tokens)), ("logits", .float(logits))]
        values += cache.map { (name: $0.name.rawValue, value: SafetensorsValue.float($0.value)) }
        try SafetensorsFile.write(values, metadata: ["format": "swiftlens-cache", "model": config.modelName], to: URL(fileURLWithPath: out))
        print()
        print("wrote \(values.count) tensors (tokens, logits and \(cache.count) activations) to \(out)")
    }
}

runExample(options, run)
