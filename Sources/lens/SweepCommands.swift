import Foundation
import SwiftLens

/// `lens ablate`, `lens patch` and `lens merge`: ablation scans and activation, attribution
/// and path patching from the command line, on the sweep engine, with shards that merge.
enum SweepCommands {
    static let usage = """
      ablate MODEL (--tokens TOKENS | --rrt L[xB] [--seed S]) [--over heads|neurons|positions]
             [--ablation zero|mean|resample --resample-tokens TOKENS] [--activation resid_pre]
             [--metric induction-loss|loss|logit-diff:A,B] [--shard i/n] [--out FILE.json|.safetensors]
          ablates every head (neuron, or position of an activation) in turn and measures the metric
          (default: induction loss on repeated random tokens, TransformerLens's evals slicing).
      patch MODEL --clean TOKENS --corrupted TOKENS [--activation z] [--axes layer,head]
            [--metric logit-diff[:A,B]] [--attribution] [--path-from L.H,… --component q|k|v]
            [--shard i/n] [--out FILE.json|.safetensors]
          activation patching of the clean run into the corrupted one over a grid (TransformerLens's
          get_act_patch_*: --activation resid_pre --axes layer,pos; z layer,pos,head; pattern
          layer,head,dest_pos …); --attribution estimates the grid from one backward pass;
          --path-from patches sender heads into every later head's q, k or v only. The default
          metric is the logit difference at the last position between the clean run's top token
          and the corrupted run's (or the clean runner-up).
      merge OUT.json PART.json…
          joins the shards of one sweep (written with --shard i/n --out PART.json).
    """

    static let valued: Set<String> = ["--tokens", "--rrt", "--seed", "--over", "--ablation", "--resample-tokens", "--activation",
                                      "--metric", "--shard", "--out", "--clean", "--corrupted", "--axes", "--path-from", "--component"]

    // MARK: ablate

    static func ablate(_ args: Arguments) throws {
        try args.checkFlags(allowed: ["--quiet"])
        let model = try loadModel(args, command: "ablate")
        let tokens: IntTensor
        if let spec = args.value("--rrt") {
            tokens = try repeatedTokens(spec, vocabulary: model.config.dVocab, seed: UInt64(args.value("--seed").flatMap(Int.init) ?? 0))
        } else if let t = args.value("--tokens") {
            tokens = try CacheCommand.readTokens(t)
        } else {
            throw UsageError(description: "ablate needs --tokens TOKENS or --rrt L[xB] (repeated random tokens)")
        }
        let metric = try parseMetric(args.value("--metric") ?? "induction-loss", tokens: tokens, model: model)
        let ablation: Ablation
        switch args.value("--ablation") ?? "zero" {
        case "zero": ablation = .zero
        case "mean": ablation = .mean()
        case "resample":
            guard let t = args.value("--resample-tokens") else { throw UsageError(description: "--ablation resample needs --resample-tokens") }
            ablation = .resample(from: try CacheCommand.readTokens(t))
        case let other: throw UsageError(description: "--ablation must be zero, mean or resample, found \(other)")
        }
        let sweep: Sweep
        switch args.value("--over") ?? "heads" {
        case "heads": sweep = try .headAblation(model, tokens: tokens, metric: metric, ablation: ablation)
        case "neurons": sweep = try .neuronAblation(model, tokens: tokens, metric: metric, ablation: ablation)
        case "positions":
            sweep = try .positionAblation(model, tokens: tokens, metric: metric, activation: { getActName(args.value("--activation") ?? "resid_pre", $0) },
                                          ablation: ablation)
        case let other: throw UsageError(description: "--over must be heads, neurons or positions, found \(other)")
        }
        try run(sweep, args: args, title: "ablation (\(args.value("--ablation") ?? "zero"), metric \(args.value("--metric") ?? "induction-loss"))")
    }

    // MARK: patch

    static func patch(_ args: Arguments) throws {
        try args.checkFlags(allowed: ["--attribution", "--quiet"])
        let model = try loadModel(args, command: "patch")
        guard let cleanArgument = args.value("--clean"), let corruptedArgument = args.value("--corrupted") else {
            throw UsageError(description: "patch needs --clean TOKENS and --corrupted TOKENS")
        }
        let clean = try CacheCommand.readTokens(cleanArgument), corrupted = try CacheCommand.readTokens(corruptedArgument)
        guard clean.shape == corrupted.shape else {
            throw UsageError(description: "--clean \(clean.shape) and --corrupted \(corrupted.shape) must have one shape")
        }
        let (cleanLogits, cleanCache) = try model.runWithCache(clean)
        let (answer, wrong) = try answerTokens(args.value("--metric"), model: model, cleanLogits: cleanLogits, corrupted: corrupted)
        let metric = SweepMetric.logitDifference(answer: answer, wrong: wrong)
        if let senders = args.value("--path-from") {
            let parsed: [(layer: Int, head: Int)] = try senders.split(separator: ",").map { item in
                let p = item.split(separator: ".").compactMap { Int($0) }
                guard p.count == 2 else { throw UsageError(description: "--path-from expects LAYER.HEAD,…, found \(item)") }
                return (p[0], p[1])
            }
            guard let component = PathPatching.Component(rawValue: args.value("--component") ?? "q") else {
                throw UsageError(description: "--component must be q, k or v")
            }
            let sweep = try PathPatching.sweep(model, corrupted: corrupted, clean: cleanCache, metric: metric, senders: parsed,
                                               component: component)
            return try run(sweep, args: args, title: "path patching from \(senders) into \(component.rawValue) (logit difference \(answer) − \(wrong))")
        }
        let activation = args.value("--activation") ?? "z"
        let axes: [PatchAxis] = try (args.value("--axes") ?? "layer,head").split(separator: ",").map { name in
            guard let axis = PatchAxis(rawValue: String(name)) else {
                throw UsageError(description: "--axes takes layer, pos, head, dest_pos, src_pos; found \(name)")
            }
            return axis
        }
        if args.has("--attribution") {
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

    static func merge(_ args: Arguments) throws {
        try args.checkFlags(allowed: [])
        guard args.positional.count >= 3 else { throw UsageError(description: "merge needs OUT.json and at least one PART.json") }
        let parts = try args.positional.dropFirst(2).map { try SweepResult.read(from: URL(fileURLWithPath: $0)) }
        let merged = try SweepResult.merging(parts)
        let out = URL(fileURLWithPath: args.positional[1])
        try merged.write(to: out)
        let missing = merged.values.filter { $0 == nil }.count
        print("merged \(parts.count) part(s) (shards \(merged.shards.map(\.description).joined(separator: ", "))) into \(out.path)"
              + (missing == 0 ? "; complete" : "; \(missing) variant(s) still missing"))
    }

    // MARK: Shared

    static func loadModel(_ args: Arguments, command: String) throws -> HookedTransformer {
        guard args.positional.count == 2 else { throw UsageError(description: "\(command) needs a model directory: lens \(command) MODEL …") }
        return try HookedTransformer.load(directory: URL(fileURLWithPath: args.positional[1]))
    }

    /// "L" or "LxB": B (default 8) sequences of L distinct random tokens, repeated.
    static func repeatedTokens(_ spec: String, vocabulary: Int, seed: UInt64) throws -> IntTensor {
        let parts = spec.split(separator: "x").map { Int($0) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 }), let length = parts[0] else {
            throw UsageError(description: "--rrt expects L or LxB (e.g. 32x8), found \(spec)")
        }
        guard length <= vocabulary else { throw UsageError(description: "--rrt length \(length) exceeds the vocabulary (\(vocabulary))") }
        return RepeatedRandomTokens.batch(count: parts.count == 2 ? parts[1]! : 8, length: length, vocabularySize: vocabulary, seed: seed)
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

    static func run(_ sweep: Sweep, args: Arguments, title: String) throws {
        let shard = try args.value("--shard").map { try Shard(parsing: $0) } ?? .whole
        let terminal = isatty(STDERR_FILENO) != 0 && !args.has("--quiet")
        let result = try sweep.run(shard: shard) { p in
            guard terminal else { return }
            FileHandle.standardError.write(Data(String(format: "\r%d/%d variants  %.1f/s  ETA %.0f s   ", p.done, p.total,
                                                       p.variantsPerSecond, p.etaSeconds).utf8))
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        try report(result, args: args, title: title + (shard == .whole ? "" : ", shard \(shard)"))
    }

    /// Prints the result (a table for 2-D grids, else the largest effects) and writes it.
    static func report(_ result: SweepResult, args: Arguments, title: String) throws {
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
        guard let out = args.value("--out") else { return }
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
