import Foundation
import LensCommandLine
import SwiftLens

/// `lens scores MODEL`: what every head of a model does, in one table — the attention scores on
/// repeated random tokens (previous-token, duplicate-token, induction), TransformerLens's
/// `detect_head` scores, the logit-based copying score and the OV-circuit copying scores — then
/// the strongest Q/K/V compositions beside the random baseline.
enum ScoresCommand {
    static let options = OptionTable(command: "lens scores", arguments: [
        .required("MODEL", help: "a TransformerLens or Hugging Face model directory"),
    ], options: [
        SweepCommands.rrt.withHelp("repeated random tokens: B sequences of L, each repeated (default min(50, n_ctx/2)x8)"),
        SweepCommands.seed,
        .string("--tokens", "TOKENS", help: "score on these tokens instead (JSON array of arrays, .json or .safetensors)"),
        .string("--prompt", "TEXT", help: "score on this text instead, tokenized by the model's own tokenizer"),
        TokenInput.prependBOSOption,
        .flag("--process", help: "apply TransformerLens's default weight processing first"),
        .number("--threshold", "T", minimum: 0, default: 0.4, help: "name the heads scoring above T"),
        .integer("--top", default: 8, help: "list the N strongest Q-, K- and V-compositions"),
        .flag("--top1", help: "also compute the OV top-1 accuracy for vocabularies over 4096"),
        .string("--out", "FILE.json|.safetensors", help: "write every score"),
    ], summary: """
        a per-head table: attention to the previous token, the duplicate and the induction target
        on repeated random tokens (default --rrt min(50, n_ctx/2)x8); TransformerLens's detect_head
        ("mul") for the same three patterns; the logit copying score; the OV-circuit eigenvalue
        score Re Σλ / Σ|λ| (and top-1 accuracy, by default only for vocabularies ≤ 4096, --top1
        to force); then the --top N (default 8) Q-, K- and V-composition scores with the random
        baseline, and the heads scoring above --threshold (default 0.4) named. --tokens, --prompt
        and --rrt exclude each other.
        """)

    static func run(_ args: ParsedArguments) throws {
        let modelPath = args.argument("MODEL")
        let model = try ModelArgument.load(modelPath, process: args.flag("--process"))
        let config = model.config
        let threshold = args.number("--threshold"), top = args.integer("--top")

        let tokens: IntTensor
        for other in ["--tokens", "--prompt"] where args.isGiven("--rrt") && args.isGiven(other) {
            throw UsageError(description: "give \(other) or --rrt, not both")
        }
        if let given = try TokenInput.ids(args, tokens: "--tokens", prompt: "--prompt", model: model) {
            tokens = given
        } else {
            let length = min(50, config.nCtx / 2, config.dVocab)
            guard length >= 2 else { throw UsageError(description: "the model's context (\(config.nCtx)) is too short for repeated tokens") }
            let shape = args.value(ifGiven: "--rrt") ?? SweepCommands.RepeatedTokenShape(length: length, count: 8)
            tokens = try SweepCommands.repeatedTokens(shape, vocabulary: config.dVocab, seed: UInt64(args.integer("--seed")))
        }
        guard tokens.shape[1] <= config.nCtx else {
            throw UsageError(description: "tokens of length \(tokens.shape[1]) exceed the model's n_ctx (\(config.nCtx))")
        }
        let repeated = isRepeated(tokens)

        // One forward pass for everything that reads activations.
        var names: [HookName] = (0..<config.nLayers).flatMap { [HookName.pattern($0), .result($0)] }
        if model.lnFinal != nil { names.append(.finalScale) }
        let cache = try model.cache(tokens, names: .only(names))

        var columns: [(name: String, key: String, values: Tensor)] = []
        if repeated {
            let head = try HeadScores(patterns: (0..<config.nLayers).map { try cache.tensor(.pattern($0)) })
            columns += [("prev", "previous_token", head.previousToken), ("dup", "duplicate_token", head.duplicateToken),
                        ("induct", "induction", head.induction)]
        }
        for (name, key, pattern) in [("tl:prev", "detect_previous_token", HeadDetector.Pattern.previousToken),
                                     ("tl:dup", "detect_duplicate_token", .duplicateToken), ("tl:ind", "detect_induction", .induction)] {
            columns.append((name, key, try HeadDetector.measure(model, tokens: tokens, pattern: pattern, cache: cache)))
        }
        if repeated {
            columns.append(("copy", "copying_logit", try LogitCopyingScore.measure(model, repeatedTokens: tokens, cache: cache)))
        }
        let ov = try model.ovCopyingScores(topOneAccuracy: args.flag("--top1") || config.dVocab <= 4096)
        columns.append(("ov-eig", "copying_ov_eigenvalues", ov.eigenvalueScore))
        if let top1 = ov.topOneAccuracy { columns.append(("ov-top1", "copying_ov_top1", top1)) }

        print("\(config.modelName.isEmpty ? modelPath : config.modelName): \(config.nLayers) layers × \(config.nHeads) heads; "
              + "tokens \(tokens.shape)\(repeated ? " (repeated, L = \(tokens.shape[1] / 2))" : "")")
        if !repeated { print("(the tokens are not [r, r] repeats: previous/duplicate/induction attention and the copying score need --rrt)") }
        print("head   " + columns.map { String(repeating: " ", count: max(0, 7 - $0.name.count)) + $0.name + " " }.joined())
        for head in Head.all(layers: config.nLayers, heads: config.nHeads) {
            let label = head.description.padding(toLength: 7, withPad: " ", startingAt: 0)
            print(label + columns.map { String(format: "%7.3f ", $0.values[head.layer, head.head].scalar) }.joined())
        }
        for (key, title) in [("previous_token", "previous-token heads"), ("induction", "induction heads"),
                             ("detect_previous_token", "previous-token heads (detect_head)"), ("detect_induction", "induction heads (detect_head)")] {
            guard let column = columns.first(where: { $0.key == key }) else { continue }
            if key.hasPrefix("detect"), repeated { continue }
            let found = headList(column.values, above: threshold)
            print("\(title) above \(threshold): \(found.isEmpty ? "none" : found.joined(separator: ", "))")
        }

        // Composition.
        var composition: [(key: String, scores: Tensor)] = []
        let baseline = try model.randomCompositionBaseline(samples: 200, seed: 0)
        if config.nLayers >= 2 {
            print(String(format: "composition scores (random baseline %.3f ± %.3f, d_model %d, d_head %d):",
                         baseline.mean, baseline.standardDeviation, config.dModel, config.dHead))
            for mode in [CompositionMode.q, .k, .v] {
                let scores = try model.allCompositionScores(mode)
                let key = "composition_\(mode)"
                composition.append((key, scores))
                let (layers, heads) = (config.nLayers, config.nHeads)
                let pairs = scores.scalars.enumerated().filter { i, _ in i / (heads * layers * heads) < (i / heads) % layers }
                    .sorted { $0.element > $1.element }.prefix(top)
                let text = pairs.map { i, score in
                    let (l1, h1, l2, h2) = (i / (heads * layers * heads), (i / (layers * heads)) % heads, (i / heads) % layers, i % heads)
                    return String(format: "L%dH%d→L%dH%d %.3f", l1, h1, l2, h2, score)
                }
                print("  \(mode)-composition: " + text.joined(separator: ", "))
            }
        }

        guard let out = args.string(ifGiven: "--out") else { return }
        let url = URL(fileURLWithPath: out)
        if out.hasSuffix(".safetensors") {
            var values: [(name: String, value: SafetensorsValue)] = [("tokens", .int(tokens))]
            values += columns.map { ($0.key, .float($0.values)) }
            values += composition.map { ($0.key, .float($0.scores)) }
            values += [("composition_baseline", .float(Tensor(shape: [2], values: [baseline.mean, baseline.standardDeviation])))]
            try SafetensorsFile.write(values, metadata: ["format": "swiftlens-scores", "model": config.modelName], to: url)
        } else {
            var object: [String: Any] = [
                "model": config.modelName, "n_layers": config.nLayers, "n_heads": config.nHeads,
                "tokens_shape": tokens.shape, "repeated_tokens": repeated,
                "composition_baseline": ["mean": baseline.mean, "std": baseline.standardDeviation],
            ]
            for column in columns { object[column.key] = column.values.rowScalars }
            for (key, scores) in composition {
                // [l1][h1][l2][h2] nested arrays, TransformerLens's all_composition_scores layout.
                let (layers, heads) = (config.nLayers, config.nHeads)
                object[key] = (0..<layers).map { l1 in (0..<heads).map { h1 in (0..<layers).map { l2 in (0..<heads).map { h2 in
                    scores.scalars[((l1 * heads + h1) * layers + l2) * heads + h2]
                } } } }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: url, options: .atomic)
        }
        print("wrote \(out)")
    }

    /// True if every row is [r, r]: an even length whose second half repeats the first.
    static func isRepeated(_ tokens: IntTensor) -> Bool {
        let (batch, length) = (tokens.shape[0], tokens.shape[1])
        guard length >= 4, length % 2 == 0 else { return false }
        let half = length / 2
        return (0..<batch).allSatisfy { b in (half..<length).allSatisfy { tokens[b, $0] == tokens[b, $0 - half] } }
    }

    static func headList(_ scores: Tensor, above threshold: Float) -> [String] {
        (0..<scores.shape[0]).flatMap { l in
            (0..<scores.shape[1]).compactMap { h in
                scores[l, h].scalar > threshold ? "\(Head(layer: l, head: h)) " + String(format: "(%.2f)", scores[l, h].scalar) : nil
            }
        }
    }
}
