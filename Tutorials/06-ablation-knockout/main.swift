// Tutorial 06 — ablation and attention knockout: proving what the heads do.
//
//     swift run -c release Tutorial06 [--out DIR] [--fast]
//
// Scores and circuits say what heads look like; interventions say what they do. We remove each
// head in turn (zero and mean ablation) and measure the loss on the repeated half of repeated
// random tokens and the in-context-learning score on Recipe R's own sequences; then we knock out
// only the induction stripe of the layer-1 heads — the attention from each second-copy token to
// the token after its first copy — and compare with removing the heads entirely.

import Foundation
import TutorialSupport

Tutorial.run(number: 6, title: "Ablation and attention knockout") { t in
    let model = try t.trainedModel()
    let c = model.config
    let length = 32
    let tokens = RepeatedRandomTokens.batch(count: t.fast ? 8 : 32, length: length, vocabularySize: c.dVocab, seed: 6)
    var data = InductionData.recipeR(seed: 999)
    let text = data.nextBatch(t.fast ? 16 : 64)
    let icl = InContextLearningScore(contextLength: text.shape[1] - 1)

    t.step("Removing one head at a time")
    let repeated = try Sweep.headAblation(model, tokens: tokens, metric: .inductionLoss(tokens: tokens)).run()
    let mean = try Sweep.headAblation(model, tokens: tokens, metric: .inductionLoss(tokens: tokens), ablation: .mean()).run()
    func iclScore(_ hooks: [Hook]) throws -> Float {
        try icl.score(lossByPosition: model.perTokenLoss(text, hooks: hooks).mean(axis: 0).scalars)
    }
    let cleanICL = try iclScore([])
    print(String(format: "  clean: repeated-half loss %.3f, ICL score %+.2f (chance loss log %d = %.2f)", repeated.baseline, cleanICL,
                 c.dVocab, log(Float(c.dVocab))))
    print("  head    zero-ablated loss   mean-ablated loss   ICL score")
    var labels: [String] = [], losses: [Float] = [], iclScores: [Float] = []
    for (i, head) in Head.all(layers: c.nLayers, heads: c.nHeads).enumerated() {  // the sweep's order
        let score = try iclScore([.zeroAblateHead(head)])
        labels.append(head.description); losses.append(repeated.values[i]!); iclScores.append(score)
        print(String(format: "  %@        %6.3f             %6.3f           %+.2f", head.description as NSString, repeated.values[i]!,
                     mean.values[i]!, score))
    }
    let control = [0, 1, 2].map { losses[$0] }  // L0H0–L0H2: neither previous-token nor induction heads
    t.check(losses[3] > repeated.baseline + 2, "without the previous-token head L0H3, copying fails (loss \(String(format: "%.2f", losses[3])))")
    t.check(control.allSatisfy { abs($0 - repeated.baseline) < 0.3 }, "removing any other layer-0 head barely matters")
    t.check((4..<8).allSatisfy { losses[$0] > repeated.baseline && losses[$0] < repeated.baseline + 2 },
            "each induction head alone matters, but the other three cover for it")
    try t.figure(BarChart(title: "Loss on the repeated half with one head zero-ablated", labels: labels, values: losses,
                          valueLabel: "loss (nats)", referenceLine: repeated.baseline, referenceLabel: "clean"),
                 name: "ablation", caption: "Only the previous-token head is indispensable on its own.")

    t.step("Removing all induction heads at once")
    let inductionHeads = (0..<c.nHeads).map { Hook.zeroAblateHead(Head(layer: 1, head: $0)) }
    let without = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: inductionHeads)
    let withoutICL = try iclScore(inductionHeads)
    print(String(format: "  repeated-half loss %.3f → %.3f; ICL score %+.2f → %+.2f", repeated.baseline, without, cleanICL, withoutICL))
    t.check(without > log(Float(c.dVocab)) - 0.5, "without the induction heads the repeated half is predicted no better than chance")
    t.check(withoutICL > cleanICL + 1.5, "and in-context learning is gone (ICL score near zero)")

    t.step("Knocking out only the induction stripe")
    t.say("Attention knockout sets chosen scores to −∞ before the softmax, so each query renormalises over the other keys. "
          + "We remove only the pairs (i, i − L + 1) for i in the second copy — the stripe — from all four layer-1 heads.")
    let stripe = (length..<(2 * length)).map { (query: $0, key: $0 - length + 1) }
    let knocked = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: [.knockOutScores(layer: 1, pairs: stripe)])
    let offStripe = (length..<(2 * length)).map { (query: $0, key: $0 - length) }  // the duplicate token instead: a control
    let knockedControl = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: [.knockOutScores(layer: 1, pairs: offStripe)])
    print(String(format: "  clean %.3f · stripe knocked out %.3f · whole heads removed %.3f · control pairs (i, i − L) knocked out %.3f",
                 repeated.baseline, knocked, without, knockedControl))
    t.check(knocked - repeated.baseline > 0.8 * (without - repeated.baseline), "the stripe alone carries most of what the heads do")
    t.check(abs(knockedControl - repeated.baseline) < 0.3, "knocking out other pairs does little")
    try t.figure(BarChart(title: "Loss on the repeated half", labels: ["clean", "stripe knocked out", "heads removed", "control knockout"],
                          values: [repeated.baseline, knocked, without, knockedControl], valueLabel: "loss (nats)",
                          referenceLine: log(Float(c.dVocab)), referenceLabel: "chance"),
                 name: "knockout", caption: "Knocking out the stripe does nearly what removing the heads does.")
}
