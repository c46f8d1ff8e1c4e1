import Foundation
import SwiftLens

/// `lens train`: trains a small transformer and watches for the induction-head phase change.
/// Defaults reproduce Recipe R for a 2-layer attention-only model
/// (Sources/SwiftLens/Recipes/Induction/README.md).
enum TrainCommand {
    static let usage = """
      train [--recipe R|U] [--text FILE [--tokenizer char|word]] [--layers N] [--smear] [--seed S]
            [--steps N] [--eval-every K] [--batch B] [--lr X] [--context N] [--warmup N] [--cosine]
            [--clip X] [--weight-decay X] [--threshold X] [--checkpoints S,S,…] [--clamp-previous L.H]
            [--out DIR] [--quiet]
          trains a model (default: Recipe R, 2 layers, seed 0, 2,500 steps, evaluation every 25)
          and writes metrics.csv, metrics.json, checkpoints and the final model to DIR
          (default runs/<recipe>-<layers>L[-smeared]-s<seed>); reports the phase change (the
          first evaluation whose best induction score reaches the threshold, default 0.4).
    """

    static let valued: Set<String> = ["--recipe", "--text", "--tokenizer", "--layers", "--seed", "--steps", "--eval-every", "--batch",
                                      "--lr", "--context", "--warmup", "--clip", "--weight-decay", "--threshold", "--checkpoints",
                                      "--clamp-previous", "--out"]

    static func run(_ args: Arguments) throws {
        try args.checkFlags(allowed: ["--smear", "--cosine", "--quiet"])
        func int(_ name: String, _ fallback: Int) throws -> Int { try args.integer(name, default: fallback) }
        func float(_ name: String) throws -> Float? {
            guard let v = args.value(name) else { return nil }
            guard let f = Float(v), f.isFinite else { throw UsageError(description: "\(name) expects a number, found \(v)") }
            return f
        }
        let layers = try int("--layers", 2), seed = try int("--seed", 0), context = try int("--context", 64)
        guard layers >= 1, context >= 16 else { throw UsageError(description: "--layers must be ≥ 1 and --context ≥ 16") }
        let smear = args.has("--smear")
        var config = TrainingConfig.recipeR
        var evaluation = InductionEvaluator.Options()
        config.steps = try int("--steps", 2500)
        config.evaluationInterval = max(1, try int("--eval-every", 25))
        config.batchSize = max(1, try int("--batch", 32))
        config.learningRate = try float("--lr") ?? 3e-3
        config.weightDecay = try float("--weight-decay") ?? 0
        config.maxGradientNorm = try float("--clip")
        evaluation.inductionThreshold = try float("--threshold") ?? 0.4
        let warmup = try int("--warmup", 0)
        config.schedule = args.has("--cosine") ? .cosine(warmup: warmup, total: config.steps, minimum: 0.1)
            : (warmup > 0 ? .warmup(steps: warmup) : .constant)
        if let list = args.value("--checkpoints") {
            config.checkpointSteps = Set(try list.split(separator: ",").map { item in
                guard let s = Int(item) else { throw UsageError(description: "--checkpoints expects steps like 100,500; found \(item)") }
                return s
            })
        }

        let data: any TokenStream
        let modelConfig: HookedTransformerConfig
        let name: String
        if let path = args.value("--text") {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw DataError.unreadable("cannot read \(path): \(error.localizedDescription)")
            }
            let tokenizer: TextTokenizer = args.value("--tokenizer") == "word" ? WhitespaceTokenizer(corpus: text) : CharacterTokenizer(corpus: text)
            data = try TextDataset(text: text, tokenizer: tokenizer, sequenceLength: context + 1, seed: 10_000 + UInt64(seed))
            modelConfig = .recipeR(layers: layers, smearKeys: smear, contextLength: context, vocabularySize: tokenizer.vocabularySize)
            name = "text"
        } else {
            let recipe = (args.value("--recipe") ?? "R").uppercased()
            guard recipe == "R" || recipe == "U" else { throw UsageError(description: "--recipe must be R or U, found \(recipe)") }
            data = recipe == "R" ? InductionData.recipeR(seed: 10_000 + UInt64(seed), sequenceLength: context + 1)
                : InductionData.recipeU(seed: 10_000 + UInt64(seed), sequenceLength: context + 1)
            modelConfig = .recipeR(layers: layers, smearKeys: smear, contextLength: context)
            name = "recipe\(recipe)"
        }
        let model = try HookedTransformer(config: modelConfig, seed: UInt64(seed))
        let trainer = InductionRecipe(model: modelConfig, data: data, training: config, evaluation: evaluation).makeTrainer(model: model)
        if let clamp = args.value("--clamp-previous") {
            let parts = clamp.split(separator: ".").compactMap { Int($0) }
            guard parts.count == 2, parts[0] < layers, parts[1] < modelConfig.nHeads else {
                throw UsageError(description: "--clamp-previous expects LAYER.HEAD within the model, found \(clamp)")
            }
            trainer.hooks = [.clampPattern(layer: parts[0], head: parts[1], to: .previousTokenPattern(context))]
        }
        let out = URL(fileURLWithPath: args.value("--out") ?? "runs/\(name)-\(layers)L\(smear ? "-smeared" : "")-s\(seed)")
        print("training \(modelConfig.modelName) (\(model.parameterCount) parameters, \(config.steps) steps, batch \(config.batchSize), "
              + "lr \(config.learningRate), \(KernelThreads.count) thread(s)) → \(out.path)")
        let terminal = isatty(STDOUT_FILENO) != 0
        let quiet = args.has("--quiet")
        let summary = try trainer.train(output: out) { p in
            guard !quiet else { return }
            let line = String(format: "step %5d/%d  loss %.3f  %.0f steps/s  ETA %3.0f s", p.step, p.steps, p.loss, p.stepsPerSecond, p.etaSeconds)
            if let e = p.evaluation {
                let scores = String(format: "  eval %.3f  ICL %+.3f  induction %.2f  prev-token %.2f", e.evalLoss, e.icl,
                                    e.bestInduction, e.bestPreviousToken)
                print((terminal ? "\r" : "") + line + scores)
            } else if terminal {
                FileHandle.standardOutput.write(Data(("\r" + line).utf8))
            }
        }
        let first = summary.evaluations.first!, last = summary.evaluations.last!
        print(String(format: "done: %d steps in %.1f s (%.2f ms/step training)", summary.steps, summary.seconds, summary.millisecondsPerStep))
        if let step = summary.phaseChangeStep, let at = summary.evaluations.first(where: { $0.step == step }),
           let before = summary.evaluations.last(where: { $0.step < step }) {
            print(String(format: "phase change at step %d: best induction %.2f → %.2f, ICL %+.2f → %+.2f, eval loss %.2f → %.2f",
                         step, before.bestInduction, at.bestInduction, before.icl, at.icl, before.evalLoss, at.evalLoss))
        } else {
            print(String(format: "no phase change: best induction score stayed below %.2f (max %.2f)", evaluation.inductionThreshold,
                         summary.evaluations.map(\.bestInduction).max() ?? 0))
        }
        print(String(format: "start: loss %.2f ICL %+.2f induction %.2f   end: loss %.2f ICL %+.2f induction %.2f prev-token %.2f",
                     first.evalLoss, first.icl, first.bestInduction, last.evalLoss, last.icl, last.bestInduction, last.bestPreviousToken))
        print("wrote \(out.path)/metrics.csv, metrics.json, final/")
    }
}
