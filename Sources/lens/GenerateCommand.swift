import Foundation
import LensCommandLine
import SwiftLens

/// `lens generate MODEL --prompt TEXT [--max-new N] [--temperature T --top-k K --top-p P
/// --min-p P --seed S] [--steer LAYER:VECTOR_FILE:SCALE] [--cache-out FILE]`: continues a
/// prompt, streaming the text to standard output as each token is chosen.
///
/// Greedy unless a sampling option is given. `--steer` adds SCALE × the vector (a [d_model]
/// tensor: a .safetensors file's only tensor, or a JSON array) to the residual stream entering
/// block LAYER (`blocks.LAYER.hook_resid_pre`) at every position of the prompt and every new
/// token. `--cache-out` records every activation of the whole final sequence and writes it as
/// `lens cache` does.
enum GenerateCommand {
    static let options = OptionTable(command: "lens generate", arguments: [
        .required("MODEL", help: "a GGUF file, a TransformerLens or Hugging Face model directory, or a Hugging Face repo id"),
    ], options: [
        .string("--prompt", "TEXT", required: true, help: "the text to continue"),
        .integer("--max-new", minimum: 0, default: 64, help: "new tokens at most"),
        .number("--temperature", "T", minimum: 0, help: "sample at this temperature (0: greedy)"),
        .integer("--top-k", "K", minimum: 1, help: "sample from the K most likely tokens"),
        .number("--top-p", "P", minimum: 0, help: "sample from the most likely tokens whose probability reaches P"),
        .number("--min-p", "P", minimum: 0, help: "drop tokens less likely than P × the most likely one"),
        .integer("--seed", "S", minimum: 0, help: "the seed of the draws (default: a random one)"),
        .string("--steer", "LAYER:VECTOR_FILE:SCALE",
                help: "add SCALE × the [d_model] vector in VECTOR_FILE (.safetensors or .json) at blocks.LAYER.hook_resid_pre"),
        .string("--cache-out", "FILE.safetensors", help: "write the activations of the whole final sequence here"),
        .flag("--keep-quantized", help: "keep a GGUF file's matrices in their block format (the file's size in memory, faster decoding)"),
        .flag("--prepend-bos", help: "prepend BOS even if the tokenizer would not"),
        .flag("--no-eos", help: "keep going past the end-of-sequence token"),
    ], summary: """
        continues --prompt with MODEL and streams the text as it comes (greedy unless a sampling
        option is given; --seed repeats a sample). --steer adds a vector to the residual stream
        at a layer on every token; --cache-out writes every activation of the final sequence;
        --keep-quantized keeps a GGUF file's matrices in their block format.
        """)

    static func run(_ args: ParsedArguments) throws {
        let cacheOut = args.string(ifGiven: "--cache-out").map { URL(fileURLWithPath: $0) }
        if let cacheOut { try CacheCommand.checkOutput(cacheOut) }
        let model = try ModelArgument.load(args.argument("MODEL"), keepQuantized: args.flag("--keep-quantized"))
        var options = GenerationOptions(maxNewTokens: args.integer("--max-new"), stopAtEOS: !args.flag("--no-eos"),
                                        prependBOS: args.flag("--prepend-bos") ? true : nil)
        options.sampler = try sampler(args)
        var hooks: [Hook] = []
        if let steer = args.string(ifGiven: "--steer") { hooks.append(try steering(steer, model: model)) }
        let output = FileHandle.standardOutput
        let prompt = args.string("--prompt")
        output.write(Data(prompt.utf8))
        let started = Date()
        let generation: Generation
        var cache: ActivationCache?
        var firstToken: Date?
        var first: Date?
        let stream = { (token: GeneratedToken) in
            if first == nil { first = Date() }
            output.write(Data(token.text.utf8))
        }
        if cacheOut != nil {
            let result = try model.generateWithCache(prompt, options: options, hooks: hooks, onToken: stream)
            (generation, cache) = (result.generation, result.cache)
        } else {
            generation = try model.generate(prompt, options: options, hooks: hooks, onToken: stream)
        }
        firstToken = first
        let finished = Date()
        let count = generation.newTokens[0].count
        // The first token waits for the prompt (and a Float32 model's first pass packs its
        // weights); the decoding rate is timed from it to the last.
        var timing = String(format: "%d new tokens in %.2f s", count, finished.timeIntervalSince(started))
        if let firstToken, count > 1 {
            timing += String(format: ": first after %.2f s, then %.1f tokens/s", firstToken.timeIntervalSince(started),
                             Double(count - 1) / max(finished.timeIntervalSince(firstToken), 1e-9))
        }
        FileHandle.standardError.write(Data("\n\n[\(timing); stopped: \(describe(generation.stopReasons[0]))]\n".utf8))
        if let cacheOut, let cache {
            let sequence = generation.tokens[0]
            var values: [(name: String, value: SafetensorsValue)] = [("tokens", .int(IntTensor(shape: [1, sequence.count], values: sequence)))]
            values += cache.map { (name: $0.name.rawValue, value: SafetensorsValue.float($0.value)) }
            try SafetensorsFile.write(values, metadata: ["format": "swiftlens-cache", "model": model.config.modelName], to: cacheOut)
            FileHandle.standardError.write(Data("wrote \(cache.count) activations of \(sequence.count) positions to \(cacheOut.path)\n".utf8))
        }
    }

    /// Greedy unless a sampling option is given; a temperature of 0 is greedy.
    static func sampler(_ args: ParsedArguments) throws -> Sampler {
        let temperature = args.number(ifGiven: "--temperature")
        let sampling = ["--temperature", "--top-k", "--top-p", "--min-p", "--seed"].contains { args.isGiven($0) }
        guard sampling, temperature != 0 else { return .greedy }
        let seed = args.integer(ifGiven: "--seed").map { UInt64($0) }
        do {
            return try Sampler(temperature: temperature ?? 1, topK: args.integer(ifGiven: "--top-k"),
                               topP: args.number(ifGiven: "--top-p"), minP: args.number(ifGiven: "--min-p"), seed: seed).validated()
        } catch let error as GenerationError {
            throw UsageError(description: error.description)
        }
    }

    /// The hook `--steer LAYER:VECTOR_FILE:SCALE` describes.
    static func steering(_ text: String, model: HookedTransformer) throws -> Hook {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, let layer = Int(parts[0]), let scale = Float(parts[parts.count - 1]) else {
            throw UsageError(description: "--steer expects LAYER:VECTOR_FILE:SCALE (e.g. 12:love-hate.safetensors:4), found \"\(text)\"")
        }
        guard (0..<model.config.nLayers).contains(layer) else {
            throw UsageError(description: "--steer: layer \(layer) is outside 0..<\(model.config.nLayers)")
        }
        let path = parts[1..<(parts.count - 1)].joined(separator: ":")
        let vector = try readVector(URL(fileURLWithPath: path))
        guard vector.shape == [model.config.dModel] else {
            throw UsageError(description: "--steer: \(path) holds a \(vector.shape) tensor; expected [\(model.config.dModel)] (d_model)")
        }
        return .addVector(.residPre(layer), vector, coefficient: scale)
    }

    /// A vector from a .safetensors file (its only tensor, or the one named `vector`) or a JSON array.
    static func readVector(_ url: URL) throws -> Tensor {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw UsageError(description: "--steer: \(url.path) does not exist")
        }
        if url.pathExtension == "json" {
            guard let numbers = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [NSNumber] else {
                throw UsageError(description: "--steer: \(url.path) is not a JSON array of numbers")
            }
            return Tensor(numbers.map(\.floatValue))
        }
        let file = try SafetensorsFile(contentsOf: url)
        let name = file.names.contains("vector") ? "vector" : file.names.first
        guard let name, file.names.count == 1 || name == "vector" else {
            throw UsageError(description: "--steer: \(url.path) holds \(file.names.count) tensors; expected one (or one named `vector`)")
        }
        return try file.tensor(name)
    }

    static func describe(_ reason: Generation.StopReason) -> String {
        switch reason {
        case .endOfSequence: "end of sequence"
        case let .stopString(s): "stop string \(s.debugDescription)"
        case .maxNewTokens: "--max-new reached"
        }
    }
}
