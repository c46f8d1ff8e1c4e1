// Tutorial 05 — reading the circuits from the weights: full OV copying, full QK prefix
// matching through the previous-token head, and K-composition against a random baseline.
//
//     swift run -c release Tutorial05 [--out DIR]
//
// Elhage et al. (2021) read an induction head off its weights. Its OV circuit W_E W_V W_O W_U
// (token attended to → logits) copies: a matrix with a strong diagonal, whose eigenvalues are
// mostly positive. Its QK circuit, read through the previous-token head that writes into its
// keys, matches the current token against the previous token of each key: prefix matching.
// Circuits are kept factored (`FactoredMatrix`), so nothing d_vocab × d_vocab is formed unless
// we ask; here d_vocab is 64, so we also look at them whole.

import Foundation
import TutorialSupport

Tutorial.run(number: 5, title: "QK and OV circuits, and K-composition") { t in
    let model = try t.trainedModel()
    let c = model.config
    let tokenLabels = (0..<c.dVocab).map { "\($0)" }

    t.step("OV circuits: do the heads copy?")
    let copying = try model.ovCopyingScores()
    for l in 0..<c.nLayers {
        t.row("eigenvalue score L\(l)", copying.eigenvalueScore[l].scalars)
        t.row("top-1 diagonal L\(l)", copying.topOneAccuracy![l].scalars)
    }
    t.say("The eigenvalue score Re Σλ / Σ|λ| is +1 for a pure copier; top-1 is the fraction of tokens whose own logit is the "
          + "largest in their row of the full OV circuit (chance: 1/\(c.dVocab)).")
    t.check(copying.eigenvalueScore[1].min().scalar > 0.9, "every layer-1 head's OV circuit copies (eigenvalue score > 0.9)")
    t.check(copying.topOneAccuracy![1].max().scalar > 0.3, "and its diagonal beats chance by an order of magnitude")
    // Each head's diagonal is strong for part of the vocabulary: which tokens does some head copy?
    let circuits = try model.fullOVCircuit()
    var copiedBySome = Set<Int>()
    for h in 0..<c.nHeads {
        let best = try circuits[1, h].AB.argmax(axis: -1).scalars
        for (token, top) in best.enumerated() where token == top { copiedBySome.insert(token) }
    }
    let union = Float(copiedBySome.count) / Float(c.dVocab)
    print(String(format: "  tokens whose own logit is the top one in at least one layer-1 head's OV circuit: %.0f%%", 100 * union))
    t.check(union > 0.8, "the four induction heads share out the vocabulary: together they copy most tokens")
    let ov = try circuits[1, 0].AB  // [d_vocab, d_vocab]
    try t.figure(Heatmap(title: "Full OV circuit of L1H0: token attended to → logit", values: ov.rowScalars, rowLabels: tokenLabels,
                         columnLabels: tokenLabels, rowAxis: "token attended to", columnAxis: "logit of token", colorScale: .diverging(center: 0),
                         showValues: false),
                 name: "ov-circuit-L1H0", caption: "Red on the diagonal: attending to token t raises the logit of t. Each head copies part of the vocabulary strongly; the four heads together cover most of it.")

    t.step("K-composition: which layer-0 head writes into the induction heads' keys?")
    let k = try model.allCompositionScores(.k), q = try model.allCompositionScores(.q), v = try model.allCompositionScores(.v)
    let baseline = try model.randomCompositionBaseline(samples: 200, seed: 0)
    print(String(format: "  random baseline (d_model %d, d_head %d): %.3f ± %.3f", c.dModel, c.dHead, baseline.mean, baseline.standardDeviation))
    var kGrid: [[Float]] = []
    for h0 in 0..<c.nHeads {
        let row = (0..<c.nHeads).map { k[0, h0, 1, $0].scalar }
        kGrid.append(row)
        t.row("K: L0H\(h0) → L1H*", row)
    }
    let previous = 3
    let kPrev = (0..<c.nHeads).map { k[0, previous, 1, $0].scalar }
    let qPrev = (0..<c.nHeads).map { q[0, previous, 1, $0].scalar }, vPrev = (0..<c.nHeads).map { v[0, previous, 1, $0].scalar }
    t.row("Q: L0H3 → L1H*", qPrev)
    t.row("V: L0H3 → L1H*", vPrev)
    t.check(kPrev.min()! > baseline.mean + 5 * baseline.standardDeviation,
            "the previous-token head L0H3 K-composes with every induction head, far above the random baseline")
    t.check(kPrev.min()! > qPrev.max()! && kPrev.min()! > vPrev.max()!, "and it is K-composition, not Q or V")
    try t.figure(Heatmap(title: "K-composition scores, layer 0 head → layer 1 head", values: kGrid, rowLabels: (0..<c.nHeads).map { "L0H\($0)" },
                         columnLabels: (0..<c.nHeads).map { "L1H\($0)" }, rowAxis: "writer (layer 0)", columnAxis: "reader's keys (layer 1)"),
                 name: "k-composition", caption: String(format: "Random baseline %.3f ± %.3f.", baseline.mean, baseline.standardDeviation))

    t.step("The full QK circuit through the previous-token head: prefix matching")
    t.say("If L0H3 moves each token's embedding one position forward, a key at position j carries token t_{j−1}. The induction head's "
          + "score between a query with token a and such a key is then about W_E[a] · W_Q W_Kᵀ · (W_E[b] W_V W_O)ᵀ with b = t_{j−1}: "
          + "a d_vocab × d_vocab matrix that should peak where a = b.")
    let attn0 = model.blocks[0].attn, attn1 = model.blocks[1].attn, wE = model.embed.wE
    var diagonalHits: [Float] = []
    var firstMatrix: Tensor?
    for h in 0..<c.nHeads {
        let qk = attn1.wQ[h].matmul(attn1.wK[h], transposeOther: true)                  // [d_model, d_model]
        let ovPrev = attn0.wV[previous].matmul(attn0.wO[previous])                        // [d_model, d_model]
        let m = wE.matmul(qk).matmul(wE.matmul(ovPrev), transposeOther: true)             // [query token, previous token of the key]
        if firstMatrix == nil { firstMatrix = m }
        let best = m.argmax(axis: -1).scalars
        diagonalHits.append(Float(best.enumerated().filter { $0.offset == $0.element }.count) / Float(c.dVocab))
    }
    t.row("top-1 on the diagonal", diagonalHits)
    t.check(diagonalHits.min()! > 0.3, "each induction head's QK circuit, through L0H3, matches the query token with the key's previous token")
    try t.figure(Heatmap(title: "L1H0's QK circuit through L0H3: query token × previous token of the key", values: firstMatrix!.rowScalars,
                         rowLabels: tokenLabels, columnLabels: tokenLabels, rowAxis: "query token", columnAxis: "previous token of the key",
                         colorScale: .diverging(center: 0), showValues: false),
                 name: "qk-prefix-matching", caption: "Layer norms are left out (as in the paper's reading); the diagonal is prefix matching.")
}
