// VizGallery: writes one example of every LensViz figure, built from synthetic but realistic
// interpretability data, into a folder (first argument, default `viz-gallery`) with an index page.
//
//     swift run VizGallery [FOLDER]
//
// The data imitates a small two-layer attention-only model on a sequence of 12 random tokens
// repeated twice: a previous-token head in layer 0 and an induction head in layer 1, the per-token
// loss dropping on the repeat, and a training run with the induction-head phase change.
// Scripts/render_figures.sh runs this and screenshots each page with headless Chromium.

import Foundation
import LensViz

/// A small deterministic generator (SplitMix64), so the gallery is the same on every run.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Standard normal (Box–Muller).
    mutating func normal() -> Float {
        let u = max(uniform(), 1e-7), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Float.pi * v)
    }
}

var rng = SplitMix64(state: 2024)

func softmax(_ scores: [Float]) -> [Float] {
    let m = scores.max() ?? 0
    let e = scores.map { $0 == -.infinity ? 0 : exp($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}

// MARK: - Tokens: BOS + 12 words + the same 12 words again.

let words = [" The", " quiet", " river", " carried", " seven", " paper", " boats", " past", " the", " old", " mill", "."]
let tokens = ["<|endoftext|>"] + words + words
let n = tokens.count          // 25
let half = words.count        // 12

/// A causal attention pattern from per-(query, key) scores.
@MainActor func causalPattern(_ score: (Int, Int) -> Float) -> [[Float]] {
    (0..<n).map { q in
        softmax((0..<n).map { k in k > q ? -.infinity : score(q, k) + 0.35 * rng.normal() })
    }
}

/// The key an induction head looks for: the token after the previous occurrence of the query.
@MainActor func inductionTarget(_ q: Int) -> Int? { q > half ? q - half + 1 : nil }

let previousToken = causalPattern { q, k in k == q - 1 ? 6 : (k == 0 ? 2 : 0) }
let induction = causalPattern { q, k in
    if let t = inductionTarget(q) { return k == t ? 6.5 : (k == 0 ? 2.5 : 0) }
    return k == 0 ? 5 : 0
}
let bos = causalPattern { _, k in k == 0 ? 5 : 0 }
let duplicate = causalPattern { q, k in (q > half && k == q - half) ? 5.5 : (k == 0 ? 3 : 0) }
let local = causalPattern { q, k in -0.9 * Float(q - k) }
let diffuse = causalPattern { _, _ in 0 }
let current = causalPattern { q, k in k == q ? 4 : 0 }
let mixed = causalPattern { q, k in (k == q - 1 ? 2.5 : 0) + (inductionTarget(q) == k ? 2.5 : 0) + (k == 0 ? 1.5 : 0) }
let layer1Heads = [bos, induction, diffuse, duplicate, local, mixed, current, previousToken]
let headNames = (0..<8).map { "L1H\($0)" }

// MARK: - Training run with a phase change.

let steps = stride(from: 0, through: 3000, by: 20).map(Float.init)
func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
let phaseCenter: Float = 1150
let trainLoss = steps.map { s -> Float in
    let early = 7.2 * exp(-s / 90) + 3.05                     // fast drop to a unigram/bigram plateau
    let phase = 1.05 * sigmoid((s - phaseCenter) / 70)         // induction heads form
    return early - phase - 0.00012 * s + 0.05 * rng.normal()
}
let testLoss = zip(steps, trainLoss).map { s, l in l + 0.06 + 0.00004 * s + 0.03 * rng.normal() }
let inductionScore = steps.map { s in min(1, max(0, 0.04 + 0.86 * sigmoid((s - phaseCenter) / 60) + 0.015 * rng.normal())) }

// MARK: - Per-token loss on the repeated sequence (high on the first copy, low on the second).

let perTokenLoss: [Float] = (0..<n).map { i in
    if i == 0 { return .nan }                                   // nothing predicts BOS
    if i <= half + 1 { return 6.5 + 1.6 * rng.normal() }
    return max(0.05, 0.35 + 0.25 * rng.normal())
}

// MARK: - Figures.

let directory = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "viz-gallery")
var folder = try FigureFolder(directory: directory, title: "LensViz gallery")

try folder.add(AttentionPattern(title: "Layer 1 head 1: induction head on a repeated sequence", pattern: induction, tokens: tokens),
               name: "attention-induction",
               caption: "On the second copy each query attends to the token after its previous occurrence (the off-diagonal stripe); on the first copy it rests on <|endoftext|>.")

try folder.add(AttentionGrid(title: "Layer 1: all heads", patterns: layer1Heads, tokens: tokens, headLabels: headNames),
               name: "attention-grid",
               caption: "Eight heads side by side on one colour scale: BOS, induction, diffuse, duplicate-token, local, mixed, current-token and previous-token heads.")

let headScores: [[Float]] = [
    [0.02, 0.01, 0.05, 0.03, 0.01, 0.04, 0.02, 0.01],
    [0.03, 0.91, 0.04, 0.12, 0.02, 0.47, 0.01, 0.06],
]
try folder.add(Heatmap(title: "Induction score per head", values: headScores, rowLabels: ["layer 0", "layer 1"],
                       columnLabels: (0..<8).map { "H\($0)" }, rowAxis: "layer", columnAxis: "head"),
               name: "heatmap-scores",
               caption: "Mean attention from each repeated token to the token after its first occurrence; L1H1 is the induction head.")

let layers = 4
let patching: [[Float]] = (0..<layers).map { layer in
    (0..<n).map { pos -> Float in
        // Restoring the residual stream at the corrupted token helps early; later the effect moves
        // to the final position (information has been moved by attention).
        let corrupted = 8, last = n - 1
        let early = pos == corrupted ? 1.0 - 0.3 * Float(layer) : 0
        let late = pos == last ? 0.25 * Float(layer) : 0
        return early + late + 0.04 * rng.normal() - (pos == corrupted + 1 && layer == 1 ? 0.35 : 0)
    }
}
try folder.add(Heatmap(title: "Activation patching: residual stream (logit difference recovered)", values: patching,
                       rowLabels: (0..<layers).map { "resid_pre \($0)" }, columnLabels: tokens,
                       rowAxis: "layer", columnAxis: "position", colorScale: .diverging(center: 0)),
               name: "heatmap-patching",
               caption: "Diverging scale centred on zero: red helps the clean answer, blue hurts it.")

try folder.add(LineChart(title: "Training a two-layer attention-only model", xLabel: "training step", yLabel: "loss (nats)",
                         series: [.init(name: "train loss", x: steps, y: trainLoss),
                                  .init(name: "test loss", x: steps, y: testLoss),
                                  .init(name: "induction score (L1H1)", x: steps, y: inductionScore)],
                         markedRegion: 1000...1300, markLabel: "phase change",
                         secondaryYLabel: "induction score", secondarySeries: ["induction score (L1H1)"]),
               name: "training-curve",
               caption: "The loss drops a second time just as the induction score rises: the induction-head phase change.")

try folder.add(TokenStrip(title: "Per-token loss on the repeated sequence", tokens: tokens, values: perTokenLoss,
                          valueLabel: "loss (nats)"),
               name: "token-loss",
               caption: "High loss on the first copy (unpredictable tokens), near zero on the second (copied by the induction head). BOS has no prediction (NaN, grey).")

let dla: [Float] = (0..<n).map { i in i > half ? 0.8 + 0.6 * rng.normal() : 0.3 * rng.normal() }
var tricky = tokens
tricky[5] = "<b>&\""
tricky[6] = "\n"
try folder.add(TokenStrip(title: "Direct logit attribution of L1H1 (with awkward tokens)", tokens: tricky, values: dla,
                          colorScale: .diverging(center: 0), valueLabel: "contribution to the correct logit"),
               name: "token-dla",
               caption: "Diverging colours around zero; the tokens <b>&\" and a newline show how markup and whitespace are displayed.")

let partsOfSpeech: [(String, String)] = [
    (" river", "noun"), (" boat", "noun"), (" mill", "noun"), (" paper", "noun"), (" water", "noun"), (" stone", "noun"),
    (" carried", "verb"), (" floated", "verb"), (" turned", "verb"), (" sank", "verb"), (" drifted", "verb"),
    (" quiet", "adjective"), (" old", "adjective"), (" small", "adjective"), (" seven", "number"), (" three", "number"),
    (" twelve", "number"), (" the", "function"), (" a", "function"), (" of", "function"), (".", "function"),
]
let centres: [String: (Float, Float)] = ["noun": (2, 1.2), "verb": (-1.5, 2), "adjective": (0.5, -1.5),
                                         "number": (-2.2, -1.2), "function": (3, -2.5)]
let embeddingPoints = partsOfSpeech.map { word, pos in
    ScatterPlot.Point(x: centres[pos]!.0 + 0.6 * rng.normal(), y: centres[pos]!.1 + 0.5 * rng.normal(), label: word, group: pos)
}
try folder.add(ScatterPlot(title: "Token embeddings: first two principal components", xLabel: "PC 1", yLabel: "PC 2",
                           points: embeddingPoints),
               name: "scatter-embeddings", caption: "Embeddings cluster by part of speech.")

let trajectory = steps.enumerated().compactMap { i, s -> ScatterPlot.Point? in
    guard i % 5 == 0 else { return nil }
    let t = s / 3000
    let turn = sigmoid((s - phaseCenter) / 120)
    let x = 4 * t + 2.5 * turn + 0.08 * rng.normal()
    let y = 1.5 * sin(3 * t) - 2.2 * turn + 0.08 * rng.normal()
    return ScatterPlot.Point(x: x, y: y, label: Int(s) % 600 == 0 ? "step \(Int(s))" : nil,
                             group: s < 1000 ? "before" : s <= 1300 ? "phase change" : "after")
}
try folder.add(ScatterPlot(title: "Weight trajectory during training (PCA of checkpoints)", xLabel: "PC 1", yLabel: "PC 2",
                           points: trajectory, connect: true),
               name: "scatter-trajectory",
               caption: "Checkpoints joined in order; the trajectory turns sharply during the phase change.")

let cleanLoss: Float = 1.92
let ablated: [Float] = (0..<16).map { i in
    switch i {
    case 9: return 3.85      // L1H1, the induction head
    case 13: return 2.41     // L1H5, the mixed head
    case 7: return 3.10      // L0H7, previous-token head feeding the induction head
    default: return cleanLoss + abs(0.06 * rng.normal()) - 0.02
    }
}
try folder.add(BarChart(title: "Loss with each head zero-ablated", labels: (0..<16).map { "L\($0 / 8)H\($0 % 8)" },
                        values: ablated, valueLabel: "loss on repeated tokens (nats)",
                        referenceLine: cleanLoss, referenceLabel: "clean loss 1.92"),
               name: "bar-ablation",
               caption: "Ablating the previous-token head (L0H7) or the induction head (L1H1) breaks in-context copying.")

// Long inputs: label thinning and font shrinking on a 96-token pattern, and 144 bars.
let longWords = (0..<48).map { i in [" alpha", " beta", " gamma", " delta", " epsilon", " zeta", " eta", " theta"][i % 8] + "\(i / 8)" }
let longTokens = longWords + longWords
let longPattern: [[Float]] = (0..<longTokens.count).map { q in
    softmax((0..<longTokens.count).map { k -> Float in
        if k > q { return -.infinity }
        if q >= 48 && k == q - 47 { return 7 }
        return (k == q ? 2 : 0) + 0.3 * rng.normal()
    })
}
try folder.add(AttentionPattern(title: "Induction head on 2 × 48 repeated tokens", pattern: longPattern, tokens: longTokens),
               name: "attention-long",
               caption: "A long sequence: at most 40 token labels per axis, in a smaller font; every cell still has a tooltip.")
let gpt2Labels = (0..<144).map { "L\($0 / 12)H\($0 % 12)" }
let gpt2Ablation: [Float] = (0..<144).map { i in
    [5 * 12 + 1, 5 * 12 + 5, 6 * 12 + 9, 7 * 12 + 10].contains(i) ? 3.6 + 0.4 * rng.normal() : 3.1 + abs(0.05 * rng.normal())
}
try folder.add(BarChart(title: "GPT-2 small shape: loss with each of 144 heads ablated", labels: gpt2Labels, values: gpt2Ablation,
                        valueLabel: "loss (nats)", referenceLine: 3.1, referenceLabel: "clean"),
               name: "bar-many", caption: "Many bars: labels rotated and thinned; hover a bar for its value.")

let index = try folder.writeIndex(intro: "Synthetic data imitating a two-layer attention-only model on 12 random tokens repeated twice. Each figure links to its standalone SVG and to its own page (attention pages are interactive: hover a token or a cell).")
print("wrote \(folder.names.count) figures to \(directory.path)")
for name in folder.names { print("  \(name).html  \(name).svg") }
print("index: \(index.path)")
