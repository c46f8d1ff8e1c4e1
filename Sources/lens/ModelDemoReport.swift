import Foundation
import LensViz
import SwiftLens

/// The figures of `lens demo --model`, written with LensViz into one folder with an index page.
enum ModelDemoReport {
    /// Writes every figure of `f` and the index into `directory`; returns the index's URL.
    static func write(_ f: ModelDemo.Findings, to directory: URL) throws -> URL {
        let s = f.study, c = f.model.config
        var folder = try FigureFolder(directory: directory, title: "SwiftLens: the induction heads of \(c.modelName)")
        let headLabels = (0..<c.nHeads).map { "H\($0)" }, layerLabels = (0..<c.nLayers).map { "L\($0)" }
        func heatmap(_ t: Tensor, _ title: String, name: String, caption: String, diverging: Bool = false,
                     domain: ClosedRange<Float>? = 0...1) throws {
            try folder.add(Heatmap(title: title, values: t.rowScalars, rowLabels: layerLabels, columnLabels: headLabels,
                                   rowAxis: "layer", columnAxis: "head", colorScale: diverging ? .diverging() : .sequential,
                                   domain: domain, showValues: false),
                           name: name, caption: caption)
        }
        let tokensText = "\(s.options.sequences) sequences of \(s.options.bos == nil ? "" : "BOS + ")2 × \(s.options.length) random tokens"

        // 1. The census.
        try heatmap(s.scores.induction, "Induction score (attention to the token after the earlier copy)", name: "induction-scores",
                    caption: "Mean attention from the second copy to the token after the current token's first occurrence, on \(tokensText). "
                        + "Induction heads: \(DemoCommand.name(s.inductionHeads)).")
        try heatmap(s.scores.previousToken, "Previous-token score", name: "previous-token-scores",
                    caption: "Mean attention to the position before. Previous-token heads: \(DemoCommand.name(s.previousTokenHeads)).")
        try heatmap(s.scores.duplicateToken, "Duplicate-token score (attention to the earlier copy of the same token)", name: "duplicate-token-scores",
                    caption: "Mean attention from the second copy to the same token's first occurrence.")
        try heatmap(s.scores.firstToken, "First-token score (attention to the BOS: the sink)", name: "first-token-scores",
                    caption: String(format: "Mean attention to position 0. Averaged over all heads: %.2f — most heads park most of their attention there when they have nothing to do.",
                                    s.scores.firstToken.mean().scalar))
        if !f.kComposition.isEmpty {
            let pairs = f.kComposition.sorted { $0.score > $1.score }.prefix(24)
            try folder.add(BarChart(title: "K-composition: previous-token head → induction head", labels: pairs.map { "\($0.previous)→\($0.induction)" },
                                    values: pairs.map(\.score), valueLabel: "composition score",
                                    referenceLine: f.baseline.mean, referenceLabel: String(format: "random %.3f", f.baseline.mean)),
                           name: "k-composition",
                           caption: "‖W_OV(prev)·W_QKᵀ(induction)‖ / (‖W_OV‖‖W_QK‖), through the key-value head each induction head shares; "
                               + "the dashed line is the mean over random matrices of the same shapes.")
        }

        // 2. Attention over real text.
        let tokens = f.attention.tokens
        try folder.add(AttentionGrid(title: "Layer \(f.attention.layer): every head over a passage that repeats a clause",
                                     patterns: f.attention.patterns, tokens: tokens, headLabels: headLabels),
                       name: "attention-real-text",
                       caption: "The second telling of the clause attends, in the induction heads, to the token after each word's first telling: an off-diagonal stripe.")
        if let best = s.inductionHeads.first(where: { $0.layer == f.attention.layer }) {
            try folder.add(AttentionPattern(title: "Induction head \(best) over real text", pattern: f.attention.patterns[best.head], tokens: tokens),
                           name: "induction-head-real-text", caption: "Open the page and hover a token to see where it attends and what attends to it.")
        }

        // 3. Ablation.
        func rise(_ t: Tensor, _ clean: Float) -> Tensor { t - clean }
        let zero = s.zeroAblation
        let span = max(1, (rise(zero.induction, zero.clean.induction)).abs().max().scalar)
        try heatmap(rise(zero.induction, zero.clean.induction), "Zero ablation: rise of the induction loss", name: "zero-ablation-induction",
                    caption: String(format: "Each head's output zeroed in turn; loss on the second copy minus the clean %.2f nats.", zero.clean.induction),
                    diverging: true, domain: -span...span)
        try heatmap(rise(zero.firstCopy, zero.clean.firstCopy), "Zero ablation: rise of the first-copy loss (the control)", name: "zero-ablation-first-copy",
                    caption: String(format: "The same ablations measured on the first copy (clean %.2f): heads that raise this too break the model generally, not copying.", zero.clean.firstCopy),
                    diverging: true, domain: -span...span)
        if let mean = s.meanAblation {
            try heatmap(rise(mean.induction, mean.clean.induction), "Mean ablation: rise of the induction loss", name: "mean-ablation-induction",
                        caption: "Each head's output replaced by its mean over the repeated tokens instead of zero.", diverging: true, domain: -span...span)
            try heatmap(rise(mean.firstCopy, mean.clean.firstCopy), "Mean ablation: rise of the first-copy loss", name: "mean-ablation-first-copy",
                        caption: "Mean ablation on the first copy.", diverging: true, domain: -span...span)
        }
        var labels = ["clean", "induction heads"], values = [s.clean.induction, s.withoutInductionHeads.induction]
        for (k, control) in s.randomControls.enumerated() { labels.append("random \(k + 1)"); values.append(control.losses.induction) }
        try folder.add(BarChart(title: "Induction loss with \(s.inductionHeads.count) heads zero-ablated together", labels: labels, values: values,
                                valueLabel: "loss (nats)", referenceLine: s.clean.firstCopy,
                                referenceLabel: String(format: "first copy, clean %.2f", s.clean.firstCopy)),
                       name: "ablation-together",
                       caption: "The induction heads (\(DemoCommand.name(s.inductionHeads))) against as many random other heads: "
                           + s.randomControls.map { DemoCommand.name($0.heads) }.joined(separator: "; ") + ".")

        // 4. In-context learning.
        if let icl = s.icl {
            func smoothed(_ xs: [Float], _ k: Int = 10) -> [Float] {
                xs.indices.map { i in
                    let window = xs[max(0, i - k + 1)...i]
                    return window.reduce(0, +) / Float(window.count)
                }
            }
            var series = [LineChart.Series(name: "clean", y: smoothed(icl.clean.lossByPosition)),
                          .init(name: "without the induction heads", y: smoothed(icl.withoutInductionHeads.lossByPosition))]
            for (k, control) in s.randomControls.enumerated() {
                if let curve = control.icl { series.append(.init(name: "without random heads \(k + 1)", y: smoothed(curve.lossByPosition))) }
            }
            try folder.add(LineChart(title: "Loss by token position on real text", xLabel: "token position", yLabel: "loss (nats, mean of 10)",
                                     series: series),
                           name: "icl-curve",
                           caption: String(format: "%d documents of %@. ICL score (late − early): clean %+.3f, without the induction heads %+.3f, without random heads %@.",
                                           icl.clean.documentCount, f.corpusSource ?? "real text", icl.clean.score, icl.withoutInductionHeads.score,
                                           s.randomControls.compactMap { $0.icl.map { String(format: "%+.3f", $0.score) } }.joined(separator: " / ")))
        }
        if let passage = f.passage {
            let top = max(passage.clean.max() ?? 1, passage.ablated.max() ?? 1)
            try folder.add(TokenStrip(title: "Per-token loss over a real passage, clean", tokens: passage.tokens, values: passage.clean,
                                      domain: 0...top, valueLabel: "loss (nats)"),
                           name: "passage-loss-clean", caption: "The loss of predicting each token from the ones before it.")
            let difference = zip(passage.ablated, passage.clean).map { $0 - $1 }
            let span = max(1, difference.map(abs).max() ?? 1)
            try folder.add(TokenStrip(title: "Where the induction heads help: loss without them − clean", tokens: passage.tokens, values: difference,
                                      colorScale: .diverging(), domain: -span...span, valueLabel: "Δ loss (nats)"),
                           name: "passage-loss-difference", caption: "Red: tokens the model predicts worse without its induction heads — mostly repeats of earlier words and names.")
        }

        // 5. Fuzzy induction.
        if !f.fuzzy.isEmpty {
            try folder.add(Heatmap(title: "Prefix matching of the induction heads: exact repeat vs each fuzzy repeat",
                                   values: s.inductionHeads.map { h in
                                       [f.fuzzy[0].result.exactScores.induction[h.layer, h.head].scalar]
                                           + f.fuzzy.map { $0.result.fuzzyScores.induction[h.layer, h.head].scalar }
                                   },
                                   rowLabels: s.inductionHeads.map(\.description), columnLabels: ["exact (\(f.fuzzy[0].kind.rawValue) words)"] + f.fuzzy.map(\.kind.rawValue),
                                   rowAxis: "head", columnAxis: "second copy", domain: 0...1),
                           name: "fuzzy-prefix-matching",
                           caption: "Attention from a second-copy word to the token after the earlier copy of its original (a capitalised word, the word without its leading space, its plural, a synonym).")
            var labels: [String] = [], values: [Float] = []
            for (kind, r) in f.fuzzy {
                labels.append("\(kind.rawValue)"); values.append(r.variantGain.clean)
                labels.append("\(kind.rawValue), ablated"); values.append(r.variantGain.ablated ?? .nan)
            }
            try folder.add(BarChart(title: "Does the model still copy? Log-probability gain of the next variant from the fuzzy first copy",
                                    labels: labels, values: values, valueLabel: "nats over an unrepeated control"),
                           name: "fuzzy-copying", caption: "Bars in pairs per kind of variant: clean, then with the induction heads zero-ablated (hover a bar for its label).")
        }
        if let p = f.namePatching {
            try folder.add(Heatmap(title: "Patching each head's output into “… Dr. Elara” with the other surname: share of “\(p.prompt.surname.trimmingCharacters(in: .whitespaces))” restored",
                                   values: p.restored.rowScalars, rowLabels: layerLabels, columnLabels: headLabels, rowAxis: "layer", columnAxis: "head",
                                   colorScale: .diverging(), domain: -1...1, showValues: false),
                           name: "name-patching",
                           caption: String(format: "Clean: “%@”; corrupted: the first mention says “%@”. Each head's clean output at the last position patched into the corrupted run; 1 = the clean logit difference. Log p of the surname's first token, clean: %.2f (rank %d).",
                                           p.prompt.clean, p.prompt.otherSurname, p.answerLogProb, p.answerRank))
        }

        // 6. Copy suppression and function vectors.
        if let (text, eigen) = f.copySuppression {
            let span = max(0.1, text.score.abs().max().scalar)
            try heatmap(text.score, "Copy suppression on real text: effect on the logit of the token each head attends to", name: "copy-suppression",
                        caption: "The head's output through the final norm (linearised) on the attended token's unembedding, centred over the vocabulary, averaged over positions. Blue: the head lowers what it reads (negative copying).",
                        diverging: true, domain: -span...span)
            try heatmap(eigen, "OV-circuit eigenvalue score (+1 copies, −1 suppresses)", name: "ov-eigenvalues",
                        caption: "Re Σλ / Σ|λ| of each head's full OV circuit, norm weights folded in, from its d_head × d_head product.",
                        diverging: true, domain: -1...1)
        }
        if let fv = f.functionVectors {
            var labels: [String] = [], values: [Float] = []
            for t in fv.tasks {
                labels += ["\(t.name) zero-shot", "\(t.name) \(FunctionVectorFindings.shots)-shot", "\(t.name) shuffled"]
                values += [t.zeroShot, t.fewShot, t.shuffled]
                if let best = t.shuffledWithVector.max() { labels.append("\(t.name) shuffled + FV"); values.append(best) }
                if let best = t.zeroShotWithVector.max() { labels.append("\(t.name) zero-shot + FV"); values.append(best) }
            }
            try folder.add(BarChart(title: "In-context tasks: accuracy without and with the function vector", labels: labels, values: values,
                                    valueLabel: "accuracy (first answer token)"),
                           name: "function-vector-accuracy",
                           caption: "+ FV: the top \(FunctionVectorFindings.topCount) heads' mean outputs added at the last position, best of layers "
                               + fv.layers.map(String.init).joined(separator: ", ") + ".")
            if let aie = fv.meanAIE {
                let span = max(0.01, aie.abs().max().scalar)
                try heatmap(aie, "Average indirect effect of each head on P(answer)", name: "function-vector-aie",
                            caption: "Each head's last-position output replaced by its mean over clean prompts, on shuffled-label prompts; mean over "
                                + fv.kept.joined(separator: ", ") + ".", diverging: true, domain: -span...span)
            }
        }

        // 7. Argument 6.
        if let comparison = f.comparison {
            try folder.add(TableFigure(title: "The same measurements on a 2-layer model and \(c.modelName)",
                                       header: ["measurement"] + comparison.models,
                                       rows: comparison.rows.map { [$0.measurement] + $0.values }),
                           name: "argument-6", caption: "Olsson et al.'s Argument 6: the small-model mechanism, measured the same way on a pretrained model.")
        }
        return try folder.writeIndex(intro: String(
            format: "Induction heads %@; previous-token heads %@. Zero-ablating the induction heads together raises the induction loss from %.2f to %.2f nats (random heads: %@).",
            DemoCommand.name(s.inductionHeads), DemoCommand.name(Array(s.previousTokenHeads.prefix(6))), s.clean.induction, s.withoutInductionHeads.induction,
            s.randomControls.map { String(format: "%.2f", $0.losses.induction) }.joined(separator: ", ")))
    }
}
