// Tutorial 04 — detecting heads: previous-token, duplicate-token, induction (prefix matching)
// and copying scores.
//
//     swift run -c release Tutorial04 [--out DIR]
//
// Tutorial 03 looked at one sequence. Scores average the same measurements over many
// sequences, for every head at once: the attention-based scores of Olsson et al. (prefix
// matching, previous-token, duplicate-token), TransformerLens's `detect_head`, and a copying
// score — does the head's output raise the logit of the token it attends to?

import Foundation
import TutorialSupport

Tutorial.run(number: 4, title: "Head detection: prefix matching, previous-token and copying scores") { t in
    let model = try t.trainedModel()
    let c = model.config
    let tokens = RepeatedRandomTokens.batch(count: t.fast ? 8 : 32, length: 32, vocabularySize: c.dVocab, seed: 4)
    let heads = (0..<c.nHeads).map { "H\($0)" }, layers = (0..<c.nLayers).map { "L\($0)" }

    t.step("Attention scores on \(tokens.shape[0]) repeated random sequences")
    let scores = try HeadScores.measure(model, repeatedTokens: tokens)
    print("  " + "".padding(toLength: 24, withPad: " ", startingAt: 0) + heads.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined())
    for l in 0..<c.nLayers {
        t.row("previous-token L\(l)", scores.previousToken[l].scalars)
        t.row("duplicate-token L\(l)", scores.duplicateToken[l].scalars)
        t.row("induction (prefix) L\(l)", scores.induction[l].scalars)
    }
    t.check(scores.previousToken[0, 3].scalar > 0.5, "L0H3 is a previous-token head")
    t.check((0..<c.nHeads).allSatisfy { scores.induction[1, $0].scalar > 0.5 }, "every head of layer 1 matches prefixes")
    t.check(scores.duplicateToken.max().scalar < 0.3, "no head is a duplicate-token head (a 2-layer model does not need one)")
    for (name, title, values) in [("previous-token", "Previous-token score", scores.previousToken),
                                  ("induction", "Induction (prefix-matching) score", scores.induction)] {
        try t.figure(Heatmap(title: title, values: values.rowScalars, rowLabels: layers, columnLabels: heads,
                             rowAxis: "layer", columnAxis: "head", domain: 0...1),
                     name: "\(name)-scores", caption: "Mean attention on \(tokens.shape[0]) repeated random sequences.")
    }

    t.step("TransformerLens's head detector")
    t.say("detect_head compares each head's pattern with a detection pattern built from the tokens (\"mul\": the fraction of "
          + "attention that lands where the detection pattern says). Its induction score tops out near 0.5 on [r, r] "
          + "sequences, because the first copy has nowhere to attend.")
    let detected = try HeadDetector.measure(model, tokens: tokens, pattern: .induction)
    let detectedPrevious = try HeadDetector.measure(model, tokens: tokens, pattern: .previousToken)
    for l in 0..<c.nLayers { t.row("detect induction L\(l)", detected[l].scalars) }
    for l in 0..<c.nLayers { t.row("detect previous L\(l)", detectedPrevious[l].scalars) }
    t.check(detected[1].min().scalar > 0.3 && detected[0].max().scalar < 0.1, "the detector agrees: layer 1 heads are induction heads")

    t.step("Copying")
    t.say("An induction head must also copy: its output, read through the unembedding, should raise the logit of the token it attends to. "
          + "The copying score is that direct effect, in logits above an average token, averaged over the repeated half.")
    let copying = try LogitCopyingScore.measure(model, repeatedTokens: tokens)
    for l in 0..<c.nLayers { t.row("copying (logits) L\(l)", copying[l].scalars) }
    t.check(copying[1].min().scalar > 0.5, "the induction heads copy (each adds > 0.5 logits to the attended-to token)")
    t.check(copying[0].abs().max().scalar < 0.2, "layer 0 heads do not (they write for layer 1 to read)")
    try t.figure(Heatmap(title: "Copying score (logits)", values: copying.rowScalars, rowLabels: layers, columnLabels: heads,
                         rowAxis: "layer", columnAxis: "head", colorScale: .diverging(center: 0)),
                 name: "copying-scores", caption: "Direct effect of each head on the logit of the token it attends to.")
}
