import Foundation
import LensCommandLine
import SwiftLens

/// `lens demo`: the induction-head story in one command — train (or load) Recipe R's 2-layer
/// attention-only model, find its previous-token and induction heads, ablate them, print a
/// report and write an HTML report with the figures.
enum DemoCommand {
    static let options = OptionTable(command: "lens demo", options: [
        .string("--load", "DIR", help: "analyse this `lens train` run or model directory instead of training"),
        .integer("--steps", default: 2500, help: "training steps"),
        .integer("--seed", "S", default: 0, help: "the seed of the model and its training data"),
        .string("--out", "DIR", default: "runs/demo", help: "where the model, metrics and DIR/report/index.html go"),
        .flag("--quiet", help: "no training progress lines"),
        .string("--model", "FILE_OR_REPO", help: "run the study on this pretrained model instead (a GGUF file, a model directory or a Hugging Face repo id)"),
        .string("--corpus", "DIR", help: "with --model: the folder of .txt documents for in-context learning (default: where Scripts/fetch_icl_corpus.sh puts Django's docs)"),
        .integer("--windows", default: 24, help: "with --model: how many documents (one window of BOS + 600 tokens each) to measure in-context learning on"),
        .flag("--no-icl", help: "with --model: skip in-context learning on real text"),
        .string("--small", "DIR", help: "with --model: the 2-layer model for the side-by-side table (default Tests/Fixtures/trained/recipeR-2L-s0/final; `none` to skip)"),
        .flag("--fast", help: "with --model: tiny settings (for tests): short repeated tokens, 3 short windows, no mean ablation"),
    ], summary: """
        the README's main job: trains Recipe R's 2-layer attention-only model (2,500 steps, about
        30 s; or --load a `lens train` run or model directory), finds its previous-token and
        induction heads on repeated random tokens, ablates them one by one and together (loss on
        the repeated half, in-context-learning score), prints a report and writes an HTML report
        with the figures to DIR/report/index.html (default DIR: runs/demo).
        With --model FILE_OR_REPO it rebuilds the same case on a pretrained model: the census of
        every head on BOS + repeated random tokens, every head zero- and mean-ablated (induction
        loss and the first-copy control), the induction heads against random heads, in-context
        learning on real text (--corpus, --windows), per-token loss over a real passage, and the
        2-layer model through the same measurements; report in DIR/report (default DIR:
        runs/demo-model).
        """)

    /// Everything the demo measured, for the text and HTML reports.
    struct Findings {
        var model: HookedTransformer
        var summary: InductionSummary?
        var tokens: IntTensor
        var scores: HeadScores
        var previousTokenHeads: [Head]
        var inductionHeads: [Head]
        /// Induction loss with each head zero-ablated, [n_layers, n_heads].
        var singleAblation: Tensor
        var cleanLoss: Float
        var withoutInduction: Float
        var withoutPrevious: Float
        var control: Head?
        var withoutControl: Float?
        /// ICL score (late − early loss) on Recipe R's evaluation sequences: clean, without the
        /// induction heads, without the control head.
        var icl: (clean: Float, withoutInduction: Float, withoutControl: Float?)
        /// Per-token loss [2L − 1] of sequence 0, clean and without the induction heads.
        var tokenLoss: (clean: [Float], ablated: [Float])
    }

    static func run(_ args: ParsedArguments) throws {
        let clock = ContinuousClock(), start = clock.now
        if let model = args.string(ifGiven: "--model") {
            let out = URL(fileURLWithPath: args.isGiven("--out") ? args.string("--out") : "runs/demo-model")
            let findings = try ModelDemo.run(args, modelArgument: model)
            ModelDemo.report(findings)
            let index = try ModelDemoReport.write(findings, to: out.appendingPathComponent("report"))
            print(String(format: "wrote the HTML report %@ (%.0f s in all)", index.path, (clock.now - start).seconds))
            return
        }
        let out = URL(fileURLWithPath: args.string("--out"))
        let quiet = args.flag("--quiet")
        let (model, summary) = try obtainModel(args, out: out, quiet: quiet)
        let findings = try analyse(model, summary: summary)
        report(findings)
        let index = try DemoReport.write(findings, to: out.appendingPathComponent("report"))
        print(String(format: "wrote the HTML report %@ (%.0f s in all)", index.path, (clock.now - start).seconds))
    }

    // MARK: Model

    static func obtainModel(_ args: ParsedArguments, out: URL, quiet: Bool) throws -> (HookedTransformer, InductionSummary?) {
        if let path = args.string(ifGiven: "--load") {
            let directory = URL(fileURLWithPath: path)
            let fm = FileManager.default
            let modelDirectory = fm.fileExists(atPath: directory.appendingPathComponent("final/config.json").path)
                ? directory.appendingPathComponent("final") : directory
            let metrics = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("metrics.json") }
                .first { fm.fileExists(atPath: $0.path) }
            let model = try HookedTransformer.load(directory: modelDirectory)
            print("loaded \(model.config.modelName) from \(modelDirectory.path)")
            return (model, try metrics.map { try InductionSummary.read(from: $0) })
        }
        let steps = args.integer("--steps"), seed = args.integer("--seed")
        var recipe = InductionRecipe.recipeR(layers: 2, seed: UInt64(seed))
        recipe.training.steps = steps
        let trainer = try recipe.makeTrainer()
        let model = trainer.model
        print("1. training a 2-layer attention-only model on Recipe R (\(model.parameterCount) parameters, \(steps) steps, seed \(seed))")
        let terminal = isatty(STDOUT_FILENO) != 0
        let summary = try trainer.train(output: out) { p in
            guard !quiet, let e = p.evaluation, e.step % 250 == 0 || p.step == p.steps else { return }
            print((terminal ? "\r" : "") + String(format: "   step %5d/%d  loss %.3f  ICL %+.2f  best induction score %.2f  prev-token %.2f  ETA %3.0f s",
                                                    p.step, p.steps, e.evalLoss, e.icl, e.bestInduction, e.bestPreviousToken, p.etaSeconds))
        }
        if let step = summary.phaseChangeStep {
            print("   phase change at step \(step): the induction score jumped past \(summary.inductionThreshold) as the loss and ICL score fell")
        } else {
            print("   no phase change in \(steps) steps (train longer: --steps 2500)")
        }
        print(String(format: "   %d steps in %.1f s; model and metrics in %@", summary.steps, summary.seconds, out.path))
        return (model, summary)
    }

    // MARK: Analysis

    static func analyse(_ model: HookedTransformer, summary: InductionSummary?) throws -> Findings {
        let c = model.config
        guard c.dVocab >= 8, c.nCtx >= 16 else {
            throw UsageError(description: "the demo needs a model with d_vocab ≥ 8 and n_ctx ≥ 16; found \(c.dVocab) and \(c.nCtx)")
        }
        let length = min(32, c.nCtx / 2, c.dVocab)
        let tokens = RepeatedRandomTokens.batch(count: 16, length: length, vocabularySize: c.dVocab, seed: 31337)
        let scores = try HeadScores.measure(model, repeatedTokens: tokens)
        let allHeads = Head.all(layers: c.nLayers, heads: c.nHeads)
        func heads(_ t: Tensor) -> [Head] { allHeads.filter { t[$0.layer, $0.head].scalar >= 0.4 } }
        let previous = heads(scores.previousToken), induction = heads(scores.induction)

        let metric = SweepMetric.inductionLoss(tokens: tokens)
        let scan = try Sweep.headAblation(model, tokens: tokens, metric: metric).run()
        func ablating(_ list: [Head]) -> [Hook] { list.map { Hook.zeroAblateHead(Head(layer: $0.layer, head: $0.head)) } }
        let withoutInduction = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: ablating(induction))
        let withoutPrevious = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: ablating(previous))
        // The control: the head that is neither, whose ablation changes the loss least.
        let others = allHeads.filter { !induction.contains($0) && !previous.contains($0) }
        let single = try scan.tensor()
        func effect(_ h: Head) -> Float { abs(single[h.layer, h.head].scalar - scan.baseline) }
        let control = others.min { effect($0) < effect($1) }

        // In-context learning on Recipe R's own evaluation sequences.
        var data = InductionData.recipeR(seed: InductionEvaluator.Options().evaluationSeed)
        let evaluation = data.nextBatch(64)
        let icl = InContextLearningScore(contextLength: evaluation.shape[1] - 1)
        func iclScore(_ hooks: [Hook]) throws -> Float {
            try icl.score(lossByPosition: model.perTokenLoss(evaluation, hooks: hooks).mean(axis: 0).scalars)
        }
        let first = tokens[0 ..< 1]
        return Findings(model: model, summary: summary, tokens: tokens, scores: scores, previousTokenHeads: previous,
                        inductionHeads: induction, singleAblation: single, cleanLoss: scan.baseline,
                        withoutInduction: withoutInduction, withoutPrevious: withoutPrevious, control: control,
                        withoutControl: control.map { single[$0.layer, $0.head].scalar },
                        icl: (try iclScore([]), try iclScore(ablating(induction)), try control.map { try iclScore(ablating([$0])) }),
                        tokenLoss: (try model.perTokenLoss(first).scalars, try model.perTokenLoss(first, hooks: ablating(induction)).scalars))
    }

    // MARK: Text report

    static func name(_ heads: [Head]) -> String {
        heads.isEmpty ? "none" : heads.map(\.description).joined(separator: ", ")
    }

    static func report(_ f: Findings) {
        let c = f.model.config
        print("\n2. finding the heads on repeated random tokens (16 sequences of \(f.tokens.shape[1] / 2) tokens, each repeated once)")
        print("   score per head                 " + (0..<c.nHeads).map { "    H\($0)" }.joined())
        for (title, t) in [("previous-token score", f.scores.previousToken), ("induction score", f.scores.induction)] {
            for l in 0..<c.nLayers {
                print("   " + "\(title), layer \(l)".padding(toLength: 32, withPad: " ", startingAt: 0)
                      + (0..<c.nHeads).map { String(format: "%6.2f", t[l, $0].scalar) }.joined())
            }
        }
        print("   previous-token heads (≥ 0.4): \(name(f.previousTokenHeads));  induction heads (≥ 0.4): \(name(f.inductionHeads))")

        print("\n3. ablating them (zero ablation; loss on the repeated half, where only in-context copying helps; chance = log \(c.dVocab) = "
              + String(format: "%.2f)", log(Float(c.dVocab))))
        func row(_ label: String, _ text: String) { print("   " + label.padding(toLength: 32, withPad: " ", startingAt: 0) + text) }
        row("clean", String(format: "%.3f", f.cleanLoss))
        for l in 0..<c.nLayers {
            row("one head at a time, layer \(l)", (0..<c.nHeads).map { String(format: "H%d %.3f  ", $0, f.singleAblation[l, $0].scalar) }.joined())
        }
        row("all induction heads", String(format: "%.3f  (%@)", f.withoutInduction, name(f.inductionHeads)))
        row("the previous-token heads", String(format: "%.3f  (%@)", f.withoutPrevious, name(f.previousTokenHeads)))
        if let control = f.control, let loss = f.withoutControl {
            row("a control head (neither kind)", String(format: "%.3f  (%@)", loss, name([control])))
        }
        print(String(format: "   ICL score (late − early loss; more negative = more in-context learning): clean %+.2f, "
                     + "without the induction heads %+.2f", f.icl.clean, f.icl.withoutInduction)
              + (f.icl.withoutControl.map { String(format: ", without the control %+.2f", $0) } ?? ""))

        print("\n4. in short")
        if f.inductionHeads.isEmpty {
            print("   no head scored ≥ 0.4 on induction: train longer (the phase change comes near step 800)")
            return
        }
        print(String(format: "   %@ attend to the token after the current token's earlier copy; ablating them raises the loss on "
                     + "repeated tokens from %.2f to %.2f", name(f.inductionHeads), f.cleanLoss, f.withoutInduction)
              + (f.control.map { String(format: ", while ablating %@ changes it by %+.2f", name([$0]), (f.withoutControl ?? 0) - f.cleanLoss) } ?? "")
              + ".")
        if !f.previousTokenHeads.isEmpty {
            print(String(format: "   %@ attends to the previous token and feeds the induction heads' keys: without it the loss is %.2f.",
                         name(f.previousTokenHeads), f.withoutPrevious))
        }
    }
}
