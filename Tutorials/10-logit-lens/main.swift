// Tutorial 10 — the logit lens and direct logit attribution on the trained model.
//
//     swift run -c release Tutorial10 [--out DIR]
//
// The logit lens reads the residual stream after each layer through the final norm and the
// unembedding, as if the model stopped there. Direct logit attribution splits the final logit
// of the correct next token into what each component (embeddings, each head) wrote. On repeated
// random tokens both should point at the induction heads of layer 1.

import Foundation
import TutorialSupport

Tutorial.run(number: 10, title: "Logit lens and direct logit attribution") { t in
    let model = try t.trainedModel()
    let c = model.config
    let length = 32
    let tokens = RepeatedRandomTokens.batch(count: t.fast ? 4 : 16, length: length, vocabularySize: c.dVocab, seed: 10)
    let (_, cache) = try model.runWithCache(tokens)

    t.step("The logit lens")
    let lens = try cache.logitLens()
    let perToken = try lens.perTokenLoss(tokens: tokens)  // [layer, batch, pos − 1]
    print("  stage        loss, first copy   loss, repeated copy")
    var repeatedLoss: [Float] = []
    for (i, label) in lens.labels.enumerated() {
        let first = perToken[i, .all, ..<(length - 1)].mean().scalar, second = perToken[i, .all, length...].mean().scalar
        repeatedLoss.append(second)
        print(String(format: "  %-12@     %.2f               %.2f", label as NSString, first, second))
    }
    t.check(repeatedLoss.count == c.nLayers + 1, "one reading per layer boundary: \(lens.labels.joined(separator: ", "))")
    t.check(repeatedLoss[c.nLayers - 1] > 3 && repeatedLoss[c.nLayers] < 1, "the repeated copy becomes predictable only after layer 1")

    t.step("Direct logit attribution")
    t.say("Each head's output at position p, through the final norm (its scale frozen), dotted with the unembedding "
          + "direction of the token at p + 1: what the head adds to the correct logit. Averaged over the repeated copy:")
    let positions = TensorIndex.stride(0, 2 * length - 1)  // TL's pos_slice=(0, 2L − 1): every position with a next token
    let heads = try cache.stackHeadResults(positions: positions)
    let attributions = try cache.logitAttrs(heads.tensor, tokens: tokens[.all, 1...], positions: positions)  // [component, batch, pos]
    let secondHalf = attributions[.all, .all, length...].mean(axes: [1, 2]).scalars
    for (label, value) in zip(heads.labels, secondHalf) { print(String(format: "  %@  %+6.2f", label, value)) }
    let induction = Array(secondHalf[c.nHeads...]), others = Array(secondHalf[..<c.nHeads])
    t.check(induction.min()! > others.max()! + 0.5, "the induction heads write the correct token's logit directly")
    try t.figure(BarChart(title: "Direct logit attribution to the correct token, repeated copy", labels: heads.labels, values: secondHalf,
                          valueLabel: "logit contribution"),
                 name: "dla", caption: "Layer-0 heads act only through layer 1, so their direct effect is near zero.")
    let firstSequence = (0..<(2 * length - 1)).map { attributions[c.nHeads, 0, $0].scalar }
    try t.figure(TokenStrip(title: "L1H0's direct contribution to the correct logit, position by position",
                            tokens: tokens[0, 1...].scalars.map(String.init), values: firstSequence, colorScale: .diverging(center: 0)),
                 name: "dla-tokens", caption: "Zero in the first copy; large in the repeated one.")
}
