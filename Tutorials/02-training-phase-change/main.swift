// Tutorial 02 — training a 2-layer attention-only model and watching the phase change.
//
//     swift run -c release Tutorial02 [--out DIR] [--fast]
//
// Olsson et al. (2022) saw induction heads form abruptly, early in training, at the same time
// as a drop in the loss and a jump in in-context learning. We train Recipe R
// (Sources/SwiftLens/Recipes/Induction/README.md: bigram "text" with in-context copies) for 2,500 steps —
// about 30 seconds — evaluating every 25 steps, and find the same phase change. In fast mode we
// train 60 steps and read the full curve from the committed run instead.

import Foundation
import TutorialSupport

Tutorial.run(number: 2, title: "Training and the induction-head phase change") { t in
    t.step("Training")
    t.say("The model: 2 layers × 4 heads, d_model 64, attention only, LayerNorm, n_ctx 64, 64 tokens. "
          + "Each evaluation measures the loss on fixed sequences, the in-context-learning (ICL) score — the loss late "
          + "in a sequence minus the loss early, more negative meaning more use of the context — and each head's "
          + "previous-token and induction scores on repeated random tokens.")
    var recipe = InductionRecipe.recipeR(layers: 2, seed: 0)
    recipe.training.steps = t.fast ? 60 : 2500
    let trainer = try recipe.makeTrainer()
    var summary = try trainer.train(output: t.output.appendingPathComponent("run")) { p in
        guard let e = p.evaluation, e.step % 250 == 0 || p.step == p.steps else { return }
        print(String(format: "  step %4d  eval loss %.3f  ICL %+.2f  best induction %.2f  best previous-token %.2f",
                     e.step, e.evalLoss, e.icl, e.bestInduction, e.bestPreviousToken))
    }
    print(String(format: "  %d steps in %.1f s", summary.steps, summary.seconds))
    if t.fast {
        t.say("Fast mode: the rest of this tutorial reads the full 2,500-step run committed with the tutorials "
              + "(made by `lens train --seed 0 --checkpoints 500,1000`, the same recipe and seed).")
        summary = try InductionSummary.read(from: Tutorial.trainedRun.appendingPathComponent("metrics.json"))
    }

    t.step("The phase change")
    guard let step = summary.phaseChangeStep,
          let at = summary.evaluations.firstIndex(where: { $0.step == step }) else {
        t.check(false, "an evaluation where the best induction score reaches \(summary.inductionThreshold)")
        return
    }
    t.say("Around the first evaluation whose best induction score reaches \(summary.inductionThreshold):")
    print("   step   eval loss    ICL   induction  previous-token")
    let window = summary.evaluations[max(0, at - 6)...min(summary.evaluations.count - 1, at + 4)]
    for e in window {
        print(String(format: "  %5d     %.3f   %+.2f      %.2f        %.2f%@", e.step, e.evalLoss, e.icl, e.bestInduction,
                     e.bestPreviousToken, e.step == step ? "   ← phase change" : ""))
    }
    let before = summary.evaluations.last { $0.step <= step - 100 } ?? summary.evaluations[0]
    let after = summary.evaluations.first { $0.step >= step + 100 } ?? summary.evaluations.last!
    print(String(format: "  from step %d to %d: induction %.2f → %.2f, ICL %+.2f → %+.2f, eval loss %.2f → %.2f",
                 before.step, after.step, before.bestInduction, after.bestInduction, before.icl, after.icl, before.evalLoss, after.evalLoss))
    t.check(step >= 300 && step <= 2000, "the phase change comes early in training (step \(step))")
    t.check(before.bestInduction < 0.3 && after.bestInduction > 0.5, "the induction score jumps within 200 steps")
    t.check(after.evalLoss < before.evalLoss - 0.2, "the loss falls at the same time")
    t.check(after.icl < before.icl - 0.5, "and in-context learning appears at the same time (the ICL score falls)")
    t.check(after.bestPreviousToken > before.bestPreviousToken + 0.1, "a previous-token head forms alongside")
    let last = summary.evaluations.last!
    print(String(format: "  at the end (step %d): loss %.2f, ICL %+.2f, induction %.2f, previous-token %.2f",
                 last.step, last.evalLoss, last.icl, last.bestInduction, last.bestPreviousToken))

    let steps = summary.evaluations.map { Float($0.step) }
    let previous = summary.evaluations.last { $0.step < step }.map { Float($0.step) } ?? Float(step)
    try t.figure(LineChart(title: "Loss, in-context learning and head scores during training", xLabel: "training step",
                           yLabel: "loss (nats) / ICL score",
                           series: [.init(name: "eval loss", x: steps, y: summary.evaluations.map(\.evalLoss)),
                                    .init(name: "ICL score", x: steps, y: summary.evaluations.map(\.icl)),
                                    .init(name: "best induction score", x: steps, y: summary.evaluations.map(\.bestInduction)),
                                    .init(name: "best previous-token score", x: steps, y: summary.evaluations.map(\.bestPreviousToken))],
                           markedRegion: previous...Float(step), markLabel: "phase change",
                           secondaryYLabel: "attention score", secondarySeries: ["best induction score", "best previous-token score"]),
                 name: "phase-change", caption: "All four curves move together at the phase change.")
}
