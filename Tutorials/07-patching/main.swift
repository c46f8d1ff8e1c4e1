// Tutorial 07 — activation and path patching: which heads and positions carry the induction
// signal, and the previous-token head feeding the induction heads' keys.
//
//     swift run -c release Tutorial07 [--out DIR]
//
// Clean input: L random tokens r, then r again up to its second-to-last token, so the last
// position holds r[L−2] and should predict r[L−1] by finding the earlier r[L−2] and copying
// what followed it. Corrupted input: the earlier r[L−2] (position L−2) is replaced by another
// token x, so there is nothing to find. Patching a clean activation into the corrupted run and
// seeing how much of the clean metric comes back tells us where the information flows.

import Foundation
import TutorialSupport

Tutorial.run(number: 7, title: "Activation and path patching") { t in
    let model = try t.trainedModel()
    let c = model.config
    let length = 24
    let r = RepeatedRandomTokens.batch(count: 1, length: length, vocabularySize: c.dVocab, seed: 7).scalars
    let answer = r[length - 1]
    let x = (0..<c.dVocab).first { !r[..<length].contains($0) }!
    let clean = IntTensor(shape: [1, 2 * length - 1], values: Array(r[..<(2 * length - 1)]))
    var corruptedValues = clean.scalars
    corruptedValues[length - 2] = x
    let corrupted = IntTensor(shape: [1, 2 * length - 1], values: corruptedValues)
    // A custom metric: the answer's logit above the mean logit, at the last position.
    let metric = SweepMetric(positions: .last) { logits in (logits[0, -1, answer] - logits[0, -1].mean()).scalar }
    let (cleanLogits, cleanCache) = try model.runWithCache(clean)
    let cleanDiff = try metric.evaluate(cleanLogits[.all, (-1)...])
    let corruptedDiff = try metric.evaluate(model(corrupted)[.all, (-1)...])
    t.say("clean:     " + clean.scalars.map(String.init).joined(separator: " "))
    t.say("corrupted: " + corrupted.scalars.map(String.init).joined(separator: " ") + "   (position \(length - 2): \(r[length - 2]) → \(x))")
    print(String(format: "  logit(%d) − mean logit at the last position: clean %+.2f, corrupted %+.2f", answer, cleanDiff, corruptedDiff))
    t.check(cleanDiff > 3 && corruptedDiff < cleanDiff - 3, "the model predicts \(answer) only when the earlier copy is there to find")
    func recovered(_ t: Tensor) -> Tensor { (t - corruptedDiff) / (cleanDiff - corruptedDiff) }

    t.step("Residual stream: which position, at which layer?")
    let resid = recovered(try ActivationPatching.residPre(model, corrupted: corrupted, clean: cleanCache, metric: metric))  // [layer, pos]
    for l in 0..<c.nLayers { t.row("resid_pre L\(l)", resid[l].scalars, format: "%5.2f", width: 14) }
    t.check(resid[0, length - 2].scalar > 0.9, "before layer 0 the information sits at the corrupted position \(length - 2) itself")
    t.check(resid[1, length - 1].scalar > 0.6, "before layer 1 it has moved one position on, to \(length - 1): the previous-token head moved it")
    try t.figure(Heatmap(title: "Patching resid_pre: fraction of the logit difference recovered", values: resid.rowScalars,
                         rowLabels: (0..<c.nLayers).map { "L\($0)" }, columnLabels: (0..<(2 * length - 1)).map { "\($0)" },
                         rowAxis: "layer", columnAxis: "position", colorScale: .diverging(center: 0), domain: -1...1),
                 name: "resid-patching", caption: "1 = the clean logit difference is fully restored.")

    t.step("Heads: whose output carries it?")
    let heads = recovered(try ActivationPatching.headOut(byPosition: false, model, corrupted: corrupted, clean: cleanCache, metric: metric))
    for l in 0..<c.nLayers { t.row("z of L\(l)", heads[l].scalars, format: "%6.2f", width: 14) }
    t.check(heads[0, 3].scalar > 0.5, "patching the previous-token head L0H3 restores most of it")
    t.check(heads[1].sum().scalar > 0.5, "and so do the induction heads of layer 1 together")
    try t.figure(Heatmap(title: "Patching each head's output (z): fraction recovered", values: heads.rowScalars,
                         rowLabels: (0..<c.nLayers).map { "L\($0)" }, columnLabels: (0..<c.nHeads).map { "H\($0)" },
                         rowAxis: "layer", columnAxis: "head", colorScale: .diverging(center: 0), domain: -1...1),
                 name: "head-patching")

    t.step("Path patching: L0H3 → the induction heads' keys, queries or values")
    t.say("Path patching lets the clean output of the sender L0H3 reach only one input — q, k or v — of each layer-1 head, "
          + "everything else staying corrupted.")
    var paths: [[Float]] = []
    for component in [PathPatching.Component.q, .k, .v] {
        let grid = recovered(try PathPatching.patch(model, corrupted: corrupted, clean: cleanCache, metric: metric,
                                                    senders: [Head(layer: 0, head: 3)], component: component))
        paths.append(grid[1].scalars)
        t.row("L0H3 → L1 \(component.rawValue)", grid[1].scalars, format: "%6.2f", width: 14)
    }
    let kTotal = paths[1].reduce(0, +), qTotal = paths[0].reduce(0, +), vTotal = paths[2].reduce(0, +)
    t.check(kTotal > 0.5 && kTotal > 3 * max(abs(qTotal), abs(vTotal)), "the previous-token head matters through the induction heads' keys")
    try t.figure(Heatmap(title: "Path patching from L0H3 into each layer-1 head's q, k, v", values: paths, rowLabels: ["q", "k", "v"],
                         columnLabels: (0..<c.nHeads).map { "L1H\($0)" }, rowAxis: "receiver input", columnAxis: "receiver",
                         colorScale: .diverging(center: 0), domain: -1...1),
                 name: "path-patching", caption: "K-composition, seen causally.")
}
