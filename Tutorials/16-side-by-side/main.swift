// Tutorial 16 — the 2-layer model and SmolLM2 side by side (Olsson et al.'s Argument 6).
//
//     bash Scripts/fetch_smollm2.sh && bash Scripts/fetch_icl_corpus.sh   # once
//     swift run -c release Tutorial16 [--out DIR]
//
// Olsson et al. (2022) argue that the induction heads found in small attention-only models are
// the same mechanism as in large pretrained ones, because the same measurements find the same
// story in both (Argument 6). This tutorial puts the 2-layer model Tutorial 02 trains and
// SmolLM2-135M-Instruct through one measurement, `InductionStudy`: the head census on repeated
// random tokens, every head ablated, the induction heads ablated together against random heads,
// and in-context learning — each model on its own text.

import Foundation
import TutorialSupport

Tutorial.run(number: 16, title: "The 2-layer model and SmolLM2 side by side (Argument 6)") { t in
    let small = try t.trainedModel()
    let smol = try t.smolLM2()
    let documents = try t.iclCorpus()
    let clock = ContinuousClock(), start = clock.now
    func elapsed() -> String { String(format: "%.0f s so far", Double((clock.now - start).components.seconds)) }

    t.step("One study, two models")
    t.say("InductionStudy.run(model, options:) measures, on repeated random tokens: every head's induction, previous-token, "
          + "duplicate-token and first-token attention; every head zero-ablated in turn (and mean-ablated), each time the loss on "
          + "the second copy (only copying helps there) and on the first (the control); the induction heads (score ≥ 0.4, at most 8) "
          + "ablated together beside draws of as many random heads that are neither induction nor previous-token heads; and, "
          + "given documents, the in-context-learning score clean, without the induction heads and without each random draw.")

    var smallOptions = InductionStudy.Options()
    smallOptions.sequences = 16
    smallOptions.length = 32
    smallOptions.seed = 31337
    smallOptions.meanAblation = !t.fast
    smallOptions.randomDraws = 3
    var data = InductionData.recipeR(seed: InductionEvaluator.Options().evaluationSeed)
    let evaluation = data.nextBatch(64)
    smallOptions.documents = evaluation
    smallOptions.iclScore = InContextLearningScore(contextLength: evaluation.shape[1] - 1)
    let smallStudy = try InductionStudy.run(small, options: smallOptions)
    t.say("The 2-layer model (Recipe R): 16 × 2 × 32 repeated tokens; its in-context learning on 64 of Recipe R's own "
          + "evaluation sequences (its vocabulary is 64 symbols, not English).")

    var options = InductionStudy.Options()
    options.bos = smol.tokenizer?.bosTokenID
    options.sequences = t.fast ? 2 : 4
    options.length = t.fast ? 20 : 50
    options.meanAblation = !t.fast
    options.randomDraws = 3
    let windowLength = t.fast ? 200 : 600
    let windowCount = t.fast ? 6 : 24
    var tokenized: [[Int]] = []
    for text in documents where tokenized.count < windowCount {
        let ids = try smol.toTokens(text, prependBOS: false).scalars
        if ids.count >= windowLength { tokenized.append(ids) }
    }
    options.documents = try InContextLearning.windows(tokenized, length: windowLength, bos: options.bos)
    options.iclScore = t.fast ? InContextLearningScore(early: 10...19, late: 180...189) : .olsson
    let smolStudy = try InductionStudy.run(smol, options: options)
    t.say("SmolLM2: \(options.sequences) × (BOS + 2 × \(options.length)) repeated tokens; its in-context learning on "
          + "\(windowCount) windows of BOS + \(windowLength) tokens of Django's documentation ("
          + (t.fast ? "ICL score: tokens 180–189 minus 10–19" : "Olsson's ICL score: tokens 495–504 minus 45–54") + "). (\(elapsed()))")

    t.step("The table")
    let table = InductionStudyComparison(names: ["2-layer attn-only", "SmolLM2-135M"], studies: [smallStudy, smolStudy])
    print(table.text().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    try t.figure(TableFigure(title: "The same measurements on a 2-layer attention-only model and SmolLM2-135M-Instruct",
                             header: ["measurement"] + table.models, rows: table.rows.map { [$0.measurement] + $0.values }),
                 name: "argument-6", caption: "Olsson et al.'s Argument 6: one study, two models of very different size.")

    t.step("What carries over")
    func fraction(_ s: InductionStudy) -> Float {
        Float(s.scores.induction.scalars.filter { $0 >= s.options.threshold }.count) / Float(s.scores.induction.count)
    }
    t.check(!smallStudy.inductionHeads.isEmpty && !smolStudy.inductionHeads.isEmpty
            && smallStudy.scores.induction.max().scalar > 0.6 && smolStudy.scores.induction.max().scalar > 0.6,
            "both models have induction heads scoring above 0.6 (best \(String(format: "%.2f", smallStudy.scores.induction.max().scalar)) "
            + "and \(String(format: "%.2f", smolStudy.scores.induction.max().scalar)))")
    t.check(fraction(smolStudy) < 0.1 && fraction(smallStudy) >= 0.25,
            "in SmolLM2 they are a few specialists (\(String(format: "%.0f", 100 * fraction(smolStudy))) % of heads), in the 2-layer model "
            + "half its heads (\(String(format: "%.0f", 100 * fraction(smallStudy))) %)")
    t.check(!smallStudy.previousTokenHeads.isEmpty && !smolStudy.previousTokenHeads.isEmpty
            && smallStudy.previousTokenHeads.allSatisfy { p in smallStudy.inductionHeads.allSatisfy { p.layer < $0.layer } }
            && smolStudy.previousTokenHeads.contains { p in smolStudy.inductionHeads.contains { p.layer < $0.layer } },
            "both pair them with previous-token heads in earlier layers (\(smallStudy.previousTokenHeads[0]) and \(smolStudy.previousTokenHeads[0]))")
    for (name, s) in [("the 2-layer model", smallStudy), ("SmolLM2", smolStudy)] {
        let rise = s.withoutInductionHeads.induction - s.clean.induction
        let controlRise = s.randomControls.map { $0.losses.induction - s.clean.induction }.max() ?? 0
        t.check(rise > 3 && rise > 3 * max(controlRise, 0.1) && abs(s.withoutInductionHeads.firstCopy - s.clean.firstCopy) < 0.5,
                "in \(name) ablating the induction heads raises the loss on the repeated half by \(String(format: "%.2f", rise)) nats, "
                + "as many random heads by at most \(String(format: "%.2f", controlRise)), and the first copy barely moves")
    }
    let smallICL = smallStudy.icl!, smolICL = smolStudy.icl!
    t.check(smallICL.clean.score < 0 && smolICL.clean.score < 0,
            "both learn in context: ICL score \(String(format: "%+.2f", smallICL.clean.score)) and \(String(format: "%+.2f", smolICL.clean.score))")
    let smallLost = smallICL.withoutInductionHeads.score - smallICL.clean.score
    let smolLost = smolICL.withoutInductionHeads.score - smolICL.clean.score
    t.check(smallLost > 1.5, "the 2-layer model loses its in-context learning without its induction heads (ICL score up by "
            + String(format: "%.2f", smallLost) + ")")
    let smolControl = smolStudy.randomControls.compactMap { $0.icl.map { $0.score - smolICL.clean.score } }
    if t.fast {
        t.skipped("SmolLM2 loses part of its in-context learning without its induction heads, more than without any random draw "
                  + "(needs the 24 windows of 600 tokens; in this short run the ICL score moved by " + String(format: "%+.2f", smolLost) + ")")
    } else {
        t.check(smolLost > 0 && smolControl.allSatisfy { $0 < smolLost },
                "SmolLM2 loses part of its in-context learning without its induction heads, more than without any random draw ("
                + String(format: "%.2f vs ", smolLost) + smolControl.map { String(format: "%.2f", $0) }.joined(separator: ", ") + ")")
    }
    t.say("What differs is the share: the 2-layer model's in-context learning is all copying, and without its induction heads "
          + "its ICL score goes to about zero. SmolLM2 learns in context in many ways (topic, style, syntax), and its eight "
          + "induction heads carry a part of it — "
          + String(format: "%.0f %%", 100 * smolLost / max(-smolICL.clean.score, 1e-6)) + " of its ICL score in this run.")

    var labels: [String] = [], values: [Float] = []
    for (name, s) in [("2-layer", smallStudy), ("SmolLM2", smolStudy)] {
        guard let icl = s.icl else { continue }
        labels.append("\(name) clean"); values.append(icl.clean.score)
        labels.append("\(name) no induction heads"); values.append(icl.withoutInductionHeads.score)
        for (k, control) in s.randomControls.enumerated() {
            if let curve = control.icl { labels.append("\(name) random \(k + 1)"); values.append(curve.score) }
        }
    }
    try t.figure(BarChart(title: "ICL score (late − early loss) clean, without the induction heads, without random heads",
                          labels: labels, values: values, valueLabel: "ICL score (nats)"),
                 name: "icl-scores", caption: "More negative: more in-context learning. Each model on its own text.")
    print("  (\(elapsed()))")
}
