import Foundation
import LensCommandLine
import SwiftLens

/// `lens scores MODEL`: what every head of a model does, in one table — the attention scores on
/// repeated random tokens (previous-token, duplicate-token, induction, attention to the first
/// token), TransformerLens's `detect_head` scores, the logit-based copying score and the
/// OV-circuit copying scores — then the strongest Q/K/V compositions beside the random baseline.
///
/// With `--bos` the repeated random tokens start with the model's BOS ([BOS, r, r], as
/// TransformerLens's `evals` builds them for a pretrained model, whose first position is its
/// attention sink), and every score reads the copies after it; `--tokens` of that form are
/// recognised too. Grouped-query models need nothing special: every score is per query head.
enum ScoresCommand {
    static let options = OptionTable(command: "lens scores", arguments: [
        .required("MODEL", help: "a TransformerLens or Hugging Face model directory"),
    ], options: [
        SweepCommands.rrt.withHelp("repeated random tokens: B sequences of L, each repeated (default min(50, n_ctx/2)x8)"),
        SweepCommands.seed,
        .string("--tokens", "TOKENS", help: "score on these tokens instead (JSON array of arrays, .json or .safetensors)"),
        .string("--prompt", "TEXT", help: "score on this text instead, tokenized by the model's own tokenizer"),
        TokenInput.prependBOSOption,
        .flag("--bos", help: "with --rrt: start each sequence with the model's BOS token ([BOS, r, r]), as for a pretrained model"),
        .integer("--bos-id", "ID", help: "with --rrt: start each sequence with this token id (implies --bos)"),
        .flag("--process", help: "apply TransformerLens's default weight processing first"),
        .number("--threshold", "T", minimum: 0, default: 0.4, help: "name the heads scoring above T"),
        .integer("--top", default: 8, help: "list the N strongest Q-, K- and V-compositions"),
        .flag("--top1", help: "also compute the OV top-1 accuracy for vocabularies over 4096"),
        .string("--out", "FILE.json|.safetensors", help: "write every score"),
    ], summary: """
        a per-head table: attention to the previous token, the duplicate, the induction target and
        the first token on repeated random tokens (default --rrt min(50, n_ctx/2)x8; --bos puts
        the model's BOS first, as pretrained models expect); TransformerLens's detect_head
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
        let bos = try bosToken(args, model: model)
        if let given = try TokenInput.ids(args, tokens: "--tokens", prompt: "--prompt", model: model) {
            guard bos == nil else {
                throw UsageError(description: "--bos and --bos-id apply to --rrt tokens; put the BOS into --tokens yourself (or --prepend-bos with --prompt)")
            }
            tokens = given
        } else {
            let room = bos == nil ? config.nCtx : config.nCtx - 1
            let length = min(50, room / 2, config.dVocab - (bos == nil ? 0 : 1))
            guard length >= 2 else { throw UsageError(description: "the model's context (\(config.nCtx)) is too short for repeated tokens") }
            let shape = args.value(ifGiven: "--rrt") ?? SweepCommands.RepeatedTokenShape(length: length, count: 8)
            guard shape.length <= config.dVocab - (bos == nil ? 0 : 1) else {
                throw UsageError(description: "--rrt length \(shape.length) exceeds the vocabulary (\(config.dVocab)\(bos == nil ? "" : " less the BOS"))")
            }
            tokens = RepeatedRandomTokens.batch(count: shape.count, length: shape.length, vocabularySize: config.dVocab,
                                                seed: UInt64(args.integer("--seed")), bos: bos)
        }
        guard tokens.shape[1] <= config.nCtx else {
            throw UsageError(description: "tokens of length \(tokens.shape[1]) exceed the model's n_ctx (\(config.nCtx))")
        }
        let prefix = repeatPrefix(tokens)
        let repeated = prefix != nil

        // One forward pass for everything that reads activations.
        var names: [HookName] = (0..<config.nLayers).flatMap { [HookName.pattern($0), .result($0)] }
        if model.lnFinal != nil { names.append(.finalScale) }
        let cache = try model.cache(tokens, names: .only(names))

        var columns: [(name: String, key: String, values: Tensor)] = []
        if let prefix {
            let head = HeadScores(patterns: try (0..<config.nLayers).map { try cache.tensor(.pattern($0)) }, prefix: prefix)
            columns += [("prev", "previous_token", head.previousToken), ("dup", "duplicate_token", head.duplicateToken),
                        ("induct", "induction", head.induction), ("first", "first_token", head.firstToken)]
        }
        for (name, key, pattern) in [("tl:prev", "detect_previous_token", HeadDetector.Pattern.previousToken),
                                     ("tl:dup", "detect_duplicate_token", .duplicateToken), ("tl:ind", "detect_induction", .induction)] {
            columns.append((name, key, try HeadDetector.measure(model, tokens: tokens, pattern: pattern, cache: cache)))
        }
        if let prefix {
            columns.append(("copy", "copying_logit", try LogitCopyingScore.measure(model, repeatedTokens: tokens, prefix: prefix, cache: cache)))
        }
        let ov = try model.ovCopyingScores(topOneAccuracy: args.flag("--top1") || config.dVocab <= 4096)
        columns.append(("ov-eig", "copying_ov_eigenvalues", ov.eigenvalueScore))
        if let top1 = ov.topOneAccuracy { columns.append(("ov-top1", "copying_ov_top1", top1)) }

        print("\(config.modelName.isEmpty ? modelPath : config.modelName): \(config.nLayers) layers × \(config.nHeads) heads; "
              + "tokens \(tokens.shape)" + (prefix.map { " (\($0 == 1 ? "a BOS, then " : "")repeated, L = \((tokens.shape[1] - $0) / 2))" } ?? ""))
        if !repeated {
            print("(the tokens are not [r, r] repeats, nor [BOS, r, r]: previous/duplicate/induction/first-token attention and the copying score need --rrt)")
        }
        print("head   " + columns.map { String(repeating: " ", count: max(0, 7 - $0.name.count)) + $0.name + " " }.joined())
        for head in Head.all(layers: config.nLayers, heads: config.nHeads) {
            let label = head.description.padding(toLength: 7, withPad: " ", startingAt: 0)
            print(label + columns.map { String(format: "%7.3f ", $0.values[head.layer, head.head].scalar) }.joined())
        }
        if let column = columns.first(where: { $0.key == "first_token" }) {
            print(String(format: "mean attention to the first token (the sink), over all heads: %.3f", column.values.mean().scalar))
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
                "tokens_shape": tokens.shape, "repeated_tokens": repeated, "prefix": prefix ?? 0,
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

    /// The BOS of `--bos` (the tokenizer's) or `--bos-id`, checked against the vocabulary; nil
    /// when neither is given.
    static func bosToken(_ args: ParsedArguments, model: HookedTransformer) throws -> Int? {
        if let id = args.integer(ifGiven: "--bos-id") {
            guard id < model.config.dVocab else {
                throw UsageError(description: "--bos-id \(id) is outside the vocabulary (ids 0..<\(model.config.dVocab))")
            }
            return id
        }
        guard args.flag("--bos") else { return nil }
        guard let id = model.tokenizer?.bosTokenID else {
            throw UsageError(description: "--bos needs the model's BOS token, and this model has \(model.tokenizer == nil ? "no tokenizer" : "a tokenizer without one"); "
                             + "give its id with --bos-id ID")
        }
        return id
    }

    /// The prefix length P (0 or 1: a BOS) if every row is [r, r] or [x, r, r] — after P
    /// tokens, an even length of at least 4 whose second half repeats the first (P follows from
    /// the length's parity) — else nil.
    static func repeatPrefix(_ tokens: IntTensor) -> Int? {
        let (batch, length) = (tokens.shape[0], tokens.shape[1])
        let prefix = length % 2
        guard length - prefix >= 4 else { return nil }
        let half = (length - prefix) / 2
        let repeats = (0..<batch).allSatisfy { b in ((prefix + half)..<length).allSatisfy { tokens[b, $0] == tokens[b, $0 - half] } }
        return repeats ? prefix : nil
    }

    static func headList(_ scores: Tensor, above threshold: Float) -> [String] {
        (0..<scores.shape[0]).flatMap { l in
            (0..<scores.shape[1]).compactMap { h in
                scores[l, h].scalar > threshold ? "\(Head(layer: l, head: h)) " + String(format: "(%.2f)", scores[l, h].scalar) : nil
            }
        }
    }
}
