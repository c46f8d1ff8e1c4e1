import Foundation
import LensCommandLine
import SwiftLens

/// `lens ablate`, `lens patch` and `lens merge`: ablation scans and activation, attribution
/// and path patching from the command line, on the sweep engine, with shards that merge.
enum SweepCommands {
    // MARK: Options

    /// `--rrt L[xB]`, shared with `lens scores`.
    static let rrt = CommandOption.custom("--rrt", "L[xB]", expects: "L or LxB with positive sizes (e.g. 32x8)",
                                          help: "repeated random tokens: B (default 8) sequences of L tokens, each repeated",
                                          parse: RepeatedTokenShape.init(parsing:))
    static let seed = CommandOption.integer("--seed", "S", default: 0, help: "the seed of the --rrt tokens")
    static let shard = CommandOption.custom("--shard", "i/n", expects: "a shard i/n", help: "run only shard i of n (merge the parts)",
                                            parse: { try Shard(parsing: $0) })
    static let out = CommandOption.string("--out", "FILE.json|.safetensors", help: "write the result")
    static let quiet = CommandOption.flag("--quiet", help: "no progress line")
    static let model = PositionalArgument.required("MODEL", help: "a TransformerLens or Hugging Face model directory")

    static let ablateOptions = OptionTable(command: "lens ablate", arguments: [model], options: [
        .string("--tokens", "TOKENS", help: "the input: JSON array of arrays, inline or in a .json file, or a .safetensors file"),
        .string("--prompt", "TEXT", help: "the input as text, tokenized by the model's own tokenizer (instead of --tokens)"),
        TokenInput.prependBOSOption,
        rrt, seed,
        .choice("--over", ["heads", "neurons", "positions"], default: "heads", help: "what to ablate, one at a time"),
        .choice("--ablation", ["zero", "mean", "resample"], default: "zero", help: "how to ablate"),
        .string("--resample-tokens", "TOKENS", help: "the tokens whose activations --ablation resample draws from"),
        .string("--activation", "NAME", default: "resid_pre", help: "the activation whose positions --over positions ablates"),
        .string("--metric", "induction-loss|loss|logit-diff:A,B", default: "induction-loss", help: "what to measure"),
        shard, out, quiet,
    ], summary: """
        ablates every head (neuron, or position of an activation) in turn and measures the metric
        (default: induction loss on repeated random tokens, TransformerLens's evals slicing).
        The input is --tokens, --prompt (text, tokenized by the model's tokenizer) or --rrt.
        """)

    static let patchOptions = OptionTable(command: "lens patch", arguments: [model], options: [
        .string("--clean", "TOKENS", help: "the clean run's tokens (JSON array of arrays, .json or .safetensors)"),
        .string("--clean-prompt", "TEXT", help: "the clean run as text, tokenized by the model's own tokenizer (instead of --clean)"),
        .string("--corrupted", "TOKENS", help: "the corrupted run's tokens, of the clean run's shape"),
        .string("--corrupted-prompt", "TEXT", help: "the corrupted run as text (instead of --corrupted); as many tokens as the clean run"),
        TokenInput.prependBOSOption,
        .string("--activation", "NAME", default: "z", help: "the activation to patch (resid_pre, z, pattern, …)"),
        .list("--axes", "AXIS,…", default: ["layer", "head"], help: "the grid: layer, pos, head, dest_pos, src_pos"),
        .string("--metric", "logit-diff[:A,B]", help: "the logit difference of tokens A and B (default: chosen from the runs)"),
        .flag("--attribution", help: "estimate the grid from one backward pass (attribution patching)"),
        .heads("--path-from", help: "path patching: patch these sender heads into every later head's --component"),
        .choice("--component", PathPatching.Component.allCases.map(\.rawValue), default: "q", help: "the receivers' input for --path-from"),
        shard, out, quiet,
    ], summary: """
        activation patching of the clean run into the corrupted one over a grid (TransformerLens's
        get_act_patch_*: --activation resid_pre --axes layer,pos; z layer,pos,head; pattern
        layer,head,dest_pos …); --attribution estimates the grid from one backward pass;
        --path-from patches sender heads into every later head's q, k or v only. The default
        metric is the logit difference at the last position between the clean run's top token
        and the corrupted run's (or the clean runner-up). Each run is given as token ids
        (--clean, --corrupted) or as text (--clean-prompt, --corrupted-prompt).
        """)

    static let mergeOptions = OptionTable(command: "lens merge", arguments: [
        .required("OUT.json", help: "where to write the merged result"),
        .many("PART.json", help: "the parts, written with --shard i/n --out PART.json"),
    ], options: [], summary: "joins the shards of one sweep (written with --shard i/n --out PART.json).")

    /// `--rrt L[xB]`: `count` sequences of `length` distinct random tokens, each repeated.
    struct RepeatedTokenShape: Sendable {
        var length: Int
        var count: Int

        init(length: Int, count: Int) {
            (self.length, self.count) = (length, count)
        }

        /// "L" or "LxB" with positive sizes; nil otherwise.
        init?(parsing spec: String) {
            let parts = spec.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...2).contains(parts.count), let length = parts[0], let count = parts.count == 2 ? parts[1] : 8,
                  length > 0, count > 0 else { return nil }
            self.init(length: length, count: count)
        }
    }

    // MARK: ablate

    static func ablate(_ args: ParsedArguments) throws {
        for other in ["--tokens", "--prompt"] where args.isGiven("--rrt") && args.isGiven(other) {
            throw UsageError(description: "give \(other) or --rrt, not both")
        }
        let model = try loadModel(args)
        let tokens: IntTensor
        if let shape = args.value(ifGiven: "--rrt", as: RepeatedTokenShape.self) {
            tokens = try repeatedTokens(shape, vocabulary: model.config.dVocab, seed: UInt64(args.integer("--seed")))
        } else if let given = try TokenInput.ids(args, tokens: "--tokens", prompt: "--prompt", model: model) {
            tokens = given
        } else {
            throw UsageError(description: "ablate needs --tokens TOKENS or --rrt L[xB] (repeated random tokens) or --prompt TEXT")
        }
        let metric = try parseMetric(args.string("--metric"), tokens: tokens, model: model)
        let ablation: Ablation
        switch args.string("--ablation") {
        case "zero": ablation = .zero
        case "mean": ablation = .mean()
        case "resample":
            guard let t = args.string(ifGiven: "--resample-tokens") else { throw UsageError(description: "--ablation resample needs --resample-tokens") }
            ablation = .resample(from: try CacheCommand.readTokens(t))
        case let other: throw UsageError(description: "--ablation must be zero, mean or resample, found \(other)")
        }
        let sweep: Sweep
        switch args.string("--over") {
        case "heads": sweep = try .headAblation(model, tokens: tokens, metric: metric, ablation: ablation)
        case "neurons": sweep = try .neuronAblation(model, tokens: tokens, metric: metric, ablation: ablation)
        case "positions":
            sweep = try .positionAblation(model, tokens: tokens, metric: metric, activation: { getActName(args.string("--activation"), $0) },
                                          ablation: ablation)
        case let other: throw UsageError(description: "--over must be heads, neurons or positions, found \(other)")
        }
        try run(sweep, args: args, title: "ablation (\(args.string("--ablation")), metric \(args.string("--metric")))")
    }

    // MARK: patch

    static func patch(_ args: ParsedArguments) throws {
        let model = try loadModel(args)
        guard let clean = try TokenInput.ids(args, tokens: "--clean", prompt: "--clean-prompt", model: model) else {
            throw UsageError(description: "missing --clean TOKENS or --clean-prompt TEXT")
        }
        guard let corrupted = try TokenInput.ids(args, tokens: "--corrupted", prompt: "--corrupted-prompt", model: model) else {
            throw UsageError(description: "missing --corrupted TOKENS or --corrupted-prompt TEXT")
        }
        guard clean.shape == corrupted.shape else {
            let cleanName = args.isGiven("--clean") ? "--clean" : "--clean-prompt", corruptedName = args.isGiven("--corrupted") ? "--corrupted" : "--corrupted-prompt"
            throw UsageError(description: "\(cleanName) \(clean.shape) and \(corruptedName) \(corrupted.shape) must have one shape")
        }
        let (cleanLogits, cleanCache) = try model.runWithCache(clean)
        let (answer, wrong) = try answerTokens(args.string(ifGiven: "--metric"), model: model, cleanLogits: cleanLogits, corrupted: corrupted)
        let metric = SweepMetric.logitDifference(answer: answer, wrong: wrong)
        if let senders = try args.heads(ifGiven: "--path-from", layers: model.config.nLayers, heads: model.config.nHeads) {
            guard let component = PathPatching.Component(rawValue: args.string("--component")) else {
                throw UsageError(description: "--component must be q, k or v")
            }
            let sweep = try PathPatching.sweep(model, corrupted: corrupted, clean: cleanCache, metric: metric, senders: senders,
                                               component: component)
            return try run(sweep, args: args, title: "path patching from \(senders.map(\.description).joined(separator: ",")) into \(component.rawValue) (logit difference \(answer) − \(wrong))")
        }
        let activation = args.string("--activation")
        let axes: [PatchAxis] = try args.strings("--axes").map { name in
            guard let axis = PatchAxis(rawValue: name) else {
                throw UsageError(description: "--axes takes layer, pos, head, dest_pos, src_pos; found \(name)")
            }
            return axis
        }
        if args.flag("--attribution") {
            let (change, base) = try AttributionPatching.estimate(model, corrupted: corrupted, clean: cleanCache,
                                                                  activation: { getActName(activation, $0) }, axes: axes) { $0[.all, -1, answer].mean() - $0[.all, -1, wrong].mean() }
            let labels = (0..<change.count).map { i in
                var rest = i
                return zip(axes, change.shape).reversed().map { axis, extent in
                    defer { rest /= extent }
                    return "\(axis.rawValue)=\(rest % extent)"
                }.reversed().joined(separator: ", ")
            }
            let result = SweepResult(labels: labels, values: (change + base).scalars.map { $0 }, baseline: base, shards: [.whole],
                                     shape: change.shape)
            return try report(result, args: args, title: "attribution patching of \(activation) over \(axes.map(\.rawValue))")
        }
        let sweep = try ActivationPatching.sweep(model, corrupted: corrupted, clean: cleanCache, metric: metric,
                                                 activation: { getActName(activation, $0) }, axes: axes)
        try run(sweep, args: args, title: "activation patching of \(activation) over \(axes.map(\.rawValue)) (logit difference \(answer) − \(wrong))")
    }

    // MARK: merge

    static func merge(_ args: ParsedArguments) throws {
        let parts = try args.arguments("PART.json").map { try SweepResult.read(from: URL(fileURLWithPath: $0)) }
        let merged = try SweepResult.merging(parts)
        let out = URL(fileURLWithPath: args.argument("OUT.json"))
        try merged.write(to: out)
        let missing = merged.values.filter { $0 == nil }.count
        print("merged \(parts.count) part(s) (shards \(merged.shards.map(\.description).joined(separator: ", "))) into \(out.path)"
              + (missing == 0 ? "; complete" : "; \(missing) variant(s) still missing"))
    }

    // MARK: Shared

    static func loadModel(_ args: ParsedArguments) throws -> HookedTransformer {
        try ModelArgument.load(args.argument("MODEL"))
    }

    /// `shape.count` sequences of `shape.length` distinct random tokens, each repeated.
    static func repeatedTokens(_ shape: RepeatedTokenShape, vocabulary: Int, seed: UInt64) throws -> IntTensor {
        guard shape.length <= vocabulary else {
            throw UsageError(description: "--rrt length \(shape.length) exceeds the vocabulary (\(vocabulary))")
        }
        return RepeatedRandomTokens.batch(count: shape.count, length: shape.length, vocabularySize: vocabulary, seed: seed)
    }

    static func parseMetric(_ text: String, tokens: IntTensor, model: HookedTransformer) throws -> SweepMetric {
        switch text {
        case "induction-loss": return .inductionLoss(tokens: tokens)
        case "loss": return .loss(tokens: tokens, predictingAt: 0..<(tokens.shape[1] - 1))
        default:
            guard text.hasPrefix("logit-diff:") else {
                throw UsageError(description: "--metric must be induction-loss, loss or logit-diff:A,B; found \(text)")
            }
            let ids = text.dropFirst("logit-diff:".count).split(separator: ",").compactMap { Int($0) }
            guard ids.count == 2 else { throw UsageError(description: "logit-diff:A,B needs two token ids, found \(text)") }
            return .logitDifference(answer: ids[0], wrong: ids[1])
        }
    }

    /// The answer and wrong tokens of a logit difference: given (`logit-diff:A,B`), or the clean
    /// run's top token at the last position and the corrupted run's (the clean runner-up if equal).
    static func answerTokens(_ metric: String?, model: HookedTransformer, cleanLogits: Tensor,
                             corrupted: IntTensor) throws -> (Int, Int) {
        if let metric, metric != "logit-diff" {
            let ids = metric.hasPrefix("logit-diff:") ? metric.dropFirst("logit-diff:".count).split(separator: ",").compactMap { Int($0) } : []
            guard ids.count == 2 else { throw UsageError(description: "patch takes --metric logit-diff or logit-diff:A,B; found \(metric)") }
            return (ids[0], ids[1])
        }
        let cleanLast = cleanLogits[0, -1].scalars
        let order = cleanLast.indices.sorted { cleanLast[$0] > cleanLast[$1] }
        let corruptedLast = try model(corrupted)[0, -1].scalars
        let corruptedTop = corruptedLast.indices.max { corruptedLast[$0] < corruptedLast[$1] }!
        return (order[0], corruptedTop == order[0] ? order[1] : corruptedTop)
    }

    static func run(_ sweep: Sweep, args: ParsedArguments, title: String) throws {
        let shard = args.value(ifGiven: "--shard", as: Shard.self) ?? .whole
        let terminal = isatty(STDERR_FILENO) != 0 && !args.flag("--quiet")
        let result = try sweep.run(shard: shard) { p in
            guard terminal else { return }
            FileHandle.standardError.write(Data(String(format: "\r%d/%d variants  %.1f/s  ETA %.0f s   ", p.done, p.total,
                                                       p.variantsPerSecond, p.etaSeconds).utf8))
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        try report(result, args: args, title: title + (shard == .whole ? "" : ", shard \(shard)"))
    }

    /// Prints the result (a table for 2-D grids, else the largest effects) and writes it.
    static func report(_ result: SweepResult, args: ParsedArguments, title: String) throws {
        print(title)
        if !result.baseline.isNaN { print(String(format: "base run: %.4f", result.baseline)) }
        if result.isComplete, result.shape.count == 2 {
            let (rows, columns) = (result.shape[0], result.shape[1])
            if columns <= 16 {
                print("      " + (0..<columns).map { String(format: "%8d", $0) }.joined())
                for r in 0..<rows {
                    print(String(format: "%4d  ", r) + (0..<columns).map { String(format: "%8.3f", result.values[r * columns + $0]!) }.joined())
                }
            }
        }
        let present = result.values.enumerated().compactMap { i, v in v.map { (i, $0) } }
        let reference = result.baseline.isNaN ? 0 : result.baseline
        let top = present.sorted { abs($0.1 - reference) > abs($1.1 - reference) }.prefix(5)
        print("largest effects: " + top.map { String(format: "%@ %.4f", result.labels[$0.0], $0.1) }.joined(separator: ", "))
        guard let out = args.string(ifGiven: "--out") else { return }
        let url = URL(fileURLWithPath: out)
        if out.hasSuffix(".safetensors") {
            let tensor = try result.tensor()
            try SafetensorsFile.write([("result", .float(tensor)), ("baseline", .float(Tensor(scalar: result.baseline)))],
                                      metadata: ["format": "swiftlens-sweep", "labels": result.labels.joined(separator: "\n")], to: url)
        } else {
            try result.write(to: url)
        }
        print("wrote \(out)")
    }
}
