import Foundation
import LensCommandLine
import SwiftLens

/// `lens train`: trains a small transformer and watches for the induction-head phase change.
/// Defaults reproduce Recipe R for a 2-layer attention-only model
/// (Sources/SwiftLens/Recipes/Induction/README.md).
enum TrainCommand {
    static let options = OptionTable(command: "lens train", options: [
        .choice("--recipe", ["R", "U"], default: "R", help: "the synthetic training data (Recipe R or U)"),
        .string("--text", "FILE", help: "train on a text file instead"),
        .choice("--tokenizer", ["char", "word"], default: "char", help: "how --text is split into tokens"),
        .integer("--layers", minimum: 1, default: 2, help: "attention-only layers"),
        .flag("--smear", help: "smeared keys"),
        .integer("--seed", "S", default: 0, help: "the seed of the model and its data"),
        .integer("--steps", default: 2500, help: "training steps"),
        .integer("--eval-every", "K", minimum: 1, default: 25, help: "evaluate every K steps"),
        .integer("--batch", "B", minimum: 1, default: 32, help: "sequences per step"),
        .number("--lr", minimum: 0, default: 3e-3, help: "learning rate"),
        .integer("--context", minimum: 16, default: 64, help: "context length n_ctx"),
        .integer("--warmup", default: 0, help: "linear warm-up steps"),
        .flag("--cosine", help: "cosine learning-rate decay to 10% (after --warmup)"),
        .number("--clip", minimum: 0, help: "clip the gradient norm to X (default: no clipping)"),
        .number("--weight-decay", minimum: 0, default: 0, help: "AdamW weight decay"),
        .number("--threshold", minimum: 0, default: 0.4, help: "the best induction score that marks the phase change"),
        .integers("--checkpoints", "S,S,…", help: "also save the model at these steps"),
        .head("--clamp-previous", help: "clamp this head's pattern to the previous token throughout training"),
        .string("--out", "DIR", help: "the output directory (default: runs/<recipe>-<layers>L[-smeared]-s<seed>)"),
        .flag("--quiet", help: "no progress lines"),
    ], summary: """
        trains a model (default: Recipe R, 2 layers, seed 0, 2,500 steps, evaluation every 25)
        and writes metrics.csv, metrics.json, checkpoints and the final model to DIR
        (default runs/<recipe>-<layers>L[-smeared]-s<seed>); reports the phase change (the
        first evaluation whose best induction score reaches the threshold, default 0.4).
        """)

    static func run(_ args: ParsedArguments) throws {
        let layers = args.integer("--layers"), seed = args.integer("--seed"), context = args.integer("--context")
        let smear = args.flag("--smear")
        var config = TrainingConfig.recipeR
        var evaluation = InductionEvaluator.Options()
        config.steps = args.integer("--steps")
        config.evaluationInterval = args.integer("--eval-every")
        config.batchSize = args.integer("--batch")
        config.learningRate = args.number("--lr")
        config.weightDecay = args.number("--weight-decay")
        config.maxGradientNorm = args.number(ifGiven: "--clip")
        evaluation.inductionThreshold = args.number("--threshold")
        let warmup = args.integer("--warmup")
        config.schedule = args.flag("--cosine") ? .cosine(warmup: warmup, total: config.steps, minimum: 0.1)
            : (warmup > 0 ? .warmup(steps: warmup) : .constant)
        if let steps = args.integers(ifGiven: "--checkpoints") { config.checkpointSteps = Set(steps) }

        let data: any TokenStream
        let modelConfig: HookedTransformerConfig
        let name: String
        if let path = args.string(ifGiven: "--text") {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw DataError.unreadable("cannot read \(path): \(error.localizedDescription)")
            }
            let tokenizer: TextTokenizer = args.string("--tokenizer") == "word" ? WhitespaceTokenizer(corpus: text) : CharacterTokenizer(corpus: text)
            data = try TextDataset(text: text, tokenizer: tokenizer, sequenceLength: context + 1, seed: 10_000 + UInt64(seed))
            modelConfig = .recipeR(layers: layers, smearKeys: smear, contextLength: context, vocabularySize: tokenizer.vocabularySize)
            name = "text"
        } else {
            let recipe = args.string("--recipe")
            data = recipe == "R" ? InductionData.recipeR(seed: 10_000 + UInt64(seed), sequenceLength: context + 1)
                : InductionData.recipeU(seed: 10_000 + UInt64(seed), sequenceLength: context + 1)
            modelConfig = .recipeR(layers: layers, smearKeys: smear, contextLength: context)
            name = "recipe\(recipe)"
        }
        let model = try HookedTransformer(config: modelConfig, seed: UInt64(seed))
        let trainer = InductionRecipe(model: modelConfig, data: data, training: config, evaluation: evaluation).makeTrainer(model: model)
        if let clamp = try args.head(ifGiven: "--clamp-previous", layers: layers, heads: modelConfig.nHeads) {
            trainer.hooks = [.clampPattern(clamp, to: .previousTokenPattern(context))]
        }
        let out = URL(fileURLWithPath: args.string(ifGiven: "--out") ?? "runs/\(name)-\(layers)L\(smear ? "-smeared" : "")-s\(seed)")
        print("training \(modelConfig.modelName) (\(model.parameterCount) parameters, \(config.steps) steps, batch \(config.batchSize), "
              + "lr \(config.learningRate), \(KernelThreads.count) thread(s)) → \(out.path)")
        let terminal = isatty(STDOUT_FILENO) != 0
        let quiet = args.flag("--quiet")
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
