// Tutorial 03 — attention patterns of the trained model on repeated random tokens.
//
//     swift run -c release Tutorial03 [--out DIR]
//
// On a sequence of L random tokens followed by the same L tokens, an induction head at position
// i (in the second copy) attends to position i − L + 1: the token that followed the current
// token last time. That is a stripe parallel to the diagonal, L − 1 below it. A previous-token
// head attends to i − 1: the sub-diagonal. We draw both and measure them.

import Foundation
import TutorialSupport

Tutorial.run(number: 3, title: "Attention patterns: the induction stripe and the previous-token diagonal") { t in
    let model = try t.trainedModel()
    let c = model.config
    let length = 20
    let tokens = RepeatedRandomTokens.batch(count: 1, length: length, vocabularySize: c.dVocab, seed: 3)
    let labels = tokens.scalars.map { "\($0)" }
    let cache = try model.cache(tokens, names: .only((0..<c.nLayers).map { .pattern($0) }))
    t.say("The sequence (\(2 * length) tokens): " + labels.joined(separator: " "))

    t.step("Layer 0: who attends to the previous token?")
    let layer0 = try cache.tensor(.pattern(0))[0]  // [head, query, key]
    var previous: [Float] = []
    for h in 0..<c.nHeads {
        previous.append((1..<(2 * length)).map { layer0[h, $0, $0 - 1].scalar }.reduce(0, +) / Float(2 * length - 1))
    }
    t.row("attention to i − 1", previous, format: "%6.2f")
    let prevHead = previous.indices.max { previous[$0] < previous[$1] }!
    t.check(previous[prevHead] > 0.5, "L0H\(prevHead) puts most of its attention on the previous token (\(String(format: "%.2f", previous[prevHead])))")
    try t.figure(AttentionPattern(title: "Previous-token head L0H\(prevHead)", pattern: layer0[prevHead].rowScalars, tokens: labels),
                 name: "previous-token-head", caption: "The sub-diagonal: each position looks one token back.")
    try t.figure(AttentionGrid(title: "Layer 0, every head", patterns: (0..<c.nHeads).map { layer0[$0].rowScalars }, tokens: labels,
                               headLabels: (0..<c.nHeads).map { "L0H\($0)" }),
                 name: "layer0", caption: "Only one head of layer 0 has a sharp pattern.")

    t.step("Layer 1: the induction stripe")
    let layer1 = try cache.tensor(.pattern(1))[0]
    var stripe: [Float] = [], firstHalfDiffuse: [Float] = []
    for h in 0..<c.nHeads {
        stripe.append((length..<(2 * length)).map { layer1[h, $0, $0 - length + 1].scalar }.reduce(0, +) / Float(length))
        // In the first copy there is nothing to look up: the best any key gets, on average.
        firstHalfDiffuse.append((1..<length).map { layer1[h, $0, ...$0].max().scalar }.reduce(0, +) / Float(length - 1))
    }
    t.row("attention to i − L + 1", stripe, format: "%6.2f")
    t.row("max attention, 1st copy", firstHalfDiffuse, format: "%6.2f")
    let inductionHeads = stripe.indices.filter { stripe[$0] > 0.4 }
    t.check(!inductionHeads.isEmpty, "layer 1 has induction heads: " + inductionHeads.map { "L1H\($0)" }.joined(separator: ", "))
    let best = stripe.indices.max { stripe[$0] < stripe[$1] }!
    t.check(stripe[best] > firstHalfDiffuse[best], "the stripe appears only once there is an earlier copy to look up")
    try t.figure(AttentionPattern(title: "Induction head L1H\(best)", pattern: layer1[best].rowScalars, tokens: labels),
                 name: "induction-head", caption: "In the second copy, a stripe L − 1 below the diagonal: each token looks at what followed it last time.")
    try t.figure(AttentionGrid(title: "Layer 1, every head", patterns: (0..<c.nHeads).map { layer1[$0].rowScalars }, tokens: labels,
                               headLabels: (0..<c.nHeads).map { "L1H\($0)" }),
                 name: "layer1", caption: "All four heads of layer 1 became induction heads in this model.")
    t.say("Hover over a token in the interactive pages (the .html files) to see where it attends and what attends to it.")
}
