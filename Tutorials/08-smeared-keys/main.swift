// Tutorial 08 — smeared keys: an induction head in one layer.
//
//     swift run -c release Tutorial08 [--out DIR] [--fast]
//
// An induction head needs, in its key at position j, the token at j − 1: in a 2-layer model a
// previous-token head in layer 0 writes it there (K-composition, Tutorials 05 and 07). A
// 1-layer model has no earlier layer, so it cannot form one — unless each key is mixed with the
// previous position's key ("smeared keys", Olsson et al. 2022, a learned σ(α)·k_j +
// (1 − σ(α))·k_{j−1} per head). We train the three side by side on Recipe R: 1 layer, 1 layer
// with smeared keys, 2 layers. The paper: the 1-layer model never forms induction heads; with
// smeared keys it forms them, and earlier than the 2-layer model.

import Foundation
import TutorialSupport

Tutorial.run(number: 8, title: "Smeared keys: 1 layer, 1 layer with smeared keys, 2 layers") { t in
    let steps = t.fast ? 150 : 1200
    let setups: [(name: String, layers: Int, smear: Bool)] = t.fast
        ? [("1 layer", 1, false), ("1 layer, smeared keys", 1, true)]
        : [("1 layer", 1, false), ("1 layer, smeared keys", 1, true), ("2 layers", 2, false)]
    if t.fast { t.say("Fast mode: 150 steps of the two 1-layer models only (the 2-layer model's phase change comes near step 800).") }
    var summaries: [(name: String, summary: InductionSummary)] = []
    for setup in setups {
        t.step("Training: \(setup.name) (\(steps) steps)")
        var recipe = InductionRecipe.recipeR(layers: setup.layers, smearKeys: setup.smear, seed: 0)
        recipe.training.steps = steps
        recipe.training.evaluationInterval = 25
        let summary = try recipe.makeTrainer().train()
        let last = summary.evaluations.last!
        print(String(format: "  %.1f s · phase change %@ · final: loss %.3f, ICL %+.2f, best induction score %.2f",
                     summary.seconds, summary.phaseChangeStep.map { "at step \($0)" } ?? "none", last.evalLoss, last.icl, last.bestInduction))
        summaries.append((setup.name, summary))
    }

    t.step("Side by side")
    let plain = summaries[0].summary, smeared = summaries[1].summary
    t.check(plain.phaseChangeStep == nil && plain.evaluations.last!.bestInduction < 0.2, "the plain 1-layer model forms no induction head")
    t.check(smeared.phaseChangeStep != nil && smeared.evaluations.last!.bestInduction > 0.4, "with smeared keys, one layer is enough")
    t.check(smeared.evaluations.last!.icl < plain.evaluations.last!.icl - 1, "and it learns in context far better")
    if summaries.count == 3, let twoLayer = summaries[2].summary.phaseChangeStep, let oneLayer = smeared.phaseChangeStep {
        t.check(oneLayer < twoLayer, "smeared keys form induction heads earlier (step \(oneLayer)) than two layers do (step \(twoLayer))")
    } else {
        t.skipped("smeared keys form induction heads earlier than two layers do")
    }
    func series(_ keyPath: KeyPath<InductionEvaluation, Float>) -> [LineChart.Series] {
        summaries.map { entry in
            LineChart.Series(name: entry.name, x: entry.summary.evaluations.map { Float($0.step) }, y: entry.summary.evaluations.map { $0[keyPath: keyPath] })
        }
    }
    try t.figure(LineChart(title: "Best induction score during training", xLabel: "training step", yLabel: "best induction score",
                           series: series(\.bestInduction)),
                 name: "induction", caption: "The plain 1-layer model stays flat.")
    try t.figure(LineChart(title: "In-context-learning score during training", xLabel: "training step", yLabel: "ICL score (late − early loss)",
                           series: series(\.icl)),
                 name: "icl", caption: "More negative: more use of the context.")
}
