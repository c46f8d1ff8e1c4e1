import Foundation
import LensViz
import SwiftLens

/// The figures of `lens demo`, written with LensViz into one folder with an index page.
enum DemoReport {
    /// Writes every figure of `f` and the index into `directory`; returns the index's URL.
    static func write(_ f: DemoCommand.Findings, to directory: URL) throws -> URL {
        let c = f.model.config
        var folder = try FigureFolder(directory: directory, title: "SwiftLens demo: the induction heads of a 2-layer attention-only model")
        let headLabels = (0..<c.nHeads).map { "H\($0)" }, layerLabels = (0..<c.nLayers).map { "L\($0)" }

        if let summary = f.summary, summary.evaluations.count > 1 {
            let steps = summary.evaluations.map { Float($0.step) }
            let region = summary.phaseChangeStep.flatMap { step -> ClosedRange<Float>? in
                guard let before = summary.evaluations.last(where: { $0.step < step }) else { return nil }
                return Float(before.step)...Float(step)
            }
            let chart = LineChart(
                title: "Training: loss and in-context learning fall as the induction score jumps",
                xLabel: "training step", yLabel: "loss / ICL score",
                series: [
                    .init(name: "eval loss", x: steps, y: summary.evaluations.map(\.evalLoss)),
                    .init(name: "ICL score", x: steps, y: summary.evaluations.map(\.icl)),
                    .init(name: "best induction score", x: steps, y: summary.evaluations.map(\.bestInduction)),
                    .init(name: "best previous-token score", x: steps, y: summary.evaluations.map(\.bestPreviousToken)),
                ],
                markedRegion: region, markLabel: region == nil ? nil : "phase change",
                secondaryYLabel: "attention score", secondarySeries: ["best induction score", "best previous-token score"])
            try folder.add(chart, name: "training", caption: "Evaluated every \(summary.evaluations.count > 1 ? summary.evaluations[1].step - summary.evaluations[0].step : 0) steps. The shaded interval is the phase change: the first evaluation whose best induction score reaches \(summary.inductionThreshold).")
        }
        try folder.add(Heatmap(title: "Previous-token score (attention to the token before)", values: f.scores.previousToken.rowScalars,
                               rowLabels: layerLabels, columnLabels: headLabels, rowAxis: "layer", columnAxis: "head", domain: 0...1),
                       name: "previous-token-scores", caption: "Mean attention from each position to the one before, on repeated random tokens.")
        try folder.add(Heatmap(title: "Induction score (attention to the token after the earlier copy)", values: f.scores.induction.rowScalars,
                               rowLabels: layerLabels, columnLabels: headLabels, rowAxis: "layer", columnAxis: "head", domain: 0...1),
                       name: "induction-scores", caption: "Mean attention, in the repeated half, to the token that followed the current token's first occurrence.")

        // Attention patterns of the first sequence: the induction stripe and the previous-token diagonal.
        let first = f.tokens[0 ..< 1]
        let labels = first.scalars.map { "\($0)" }
        let cache = try f.model.cache(first, names: .only((0..<c.nLayers).map { .pattern($0) }))
        for layer in 0..<c.nLayers {
            let pattern = try cache.tensor(.pattern(layer))[0]  // [head, query, key]
            let patterns = (0..<c.nHeads).map { pattern[$0].rowScalars }
            try folder.add(AttentionGrid(title: "Layer \(layer): attention patterns of every head on a repeated random sequence",
                                         patterns: patterns, tokens: labels, headLabels: headLabels),
                           name: "attention-layer-\(layer)",
                           caption: layer == 0 ? "The previous-token head shows a diagonal just below the main one."
                               : "Induction heads show a stripe offset by the sequence length minus one in the repeated half.")
        }
        if let best = f.inductionHeads.max(by: { f.scores.induction[$0.layer, $0.head].scalar < f.scores.induction[$1.layer, $1.head].scalar }) {
            let pattern = try cache.tensor(.pattern(best.layer))[0, best.head]
            try folder.add(AttentionPattern(title: "Induction head \(best)",
                                            pattern: pattern.rowScalars, tokens: labels),
                           name: "induction-head", caption: "Hover a token to see where it attends and what attends to it.")
        }

        // Ablation.
        var names: [String] = [], losses: [Float] = []
        for head in Head.all(layers: c.nLayers, heads: c.nHeads) {
            names.append(head.description)
            losses.append(f.singleAblation[head.layer, head.head].scalar)
        }
        names.append("all induction"); losses.append(f.withoutInduction)
        try folder.add(BarChart(title: "Loss on the repeated half with heads zero-ablated", labels: names, values: losses,
                                valueLabel: "loss (nats)", referenceLine: f.cleanLoss, referenceLabel: String(format: "clean %.2f", f.cleanLoss)),
                       name: "ablation", caption: String(format: "Chance is log %d = %.2f nats.", c.dVocab, log(Float(c.dVocab))))
        let strip = labels.dropLast().map { $0 }  // loss at position p predicts token p + 1
        let domain = Float(0)...max(f.tokenLoss.clean.max() ?? 1, f.tokenLoss.ablated.max() ?? 1)
        try folder.add(TokenStrip(title: "Per-token loss, clean", tokens: strip, values: f.tokenLoss.clean, domain: domain),
                       name: "loss-clean", caption: "Loss of predicting the next token at each position: low in the repeated half.")
        try folder.add(TokenStrip(title: "Per-token loss without the induction heads", tokens: strip, values: f.tokenLoss.ablated, domain: domain),
                       name: "loss-ablated", caption: "Without the induction heads the repeated half is as hard as the first.")
        return try folder.writeIndex(intro: String(
            format: "Induction heads %@; previous-token heads %@. Ablating the induction heads raises the repeated-half loss from %.2f to %.2f.",
            DemoCommand.name(f.inductionHeads), DemoCommand.name(f.previousTokenHeads), f.cleanLoss, f.withoutInduction))
    }
}
