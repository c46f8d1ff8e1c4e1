import Foundation
import SwiftLens
import Testing

/// In-context learning on real text in SmolLM2-135M-Instruct (see ``RealModel`` and
/// ``ICLCorpus``): on documents of Django's prose documentation the loss falls with the position
/// in the document (Olsson's ICL score, loss around token 500 − loss around token 50, is −0.44
/// nats on 180 windows of 600 tokens); zero-ablating the eight induction heads found on repeated
/// random tokens (RealModelInductionTests) takes away about 30% of that fall (−0.31), hurting late
/// positions more than early ones, and eight random other heads take away much less (−0.44,
/// −0.42, −0.39).
@Suite(.enabled(if: ICLCorpus.isAvailable, "needs SmolLM2-135M-Instruct and the ICL corpus: bash Scripts/fetch_smollm2.sh; bash Scripts/fetch_icl_corpus.sh"))
struct RealModelInContextLearningTests {
    /// The induction heads of SmolLM2-135M-Instruct, strongest first (RealModelInductionTests).
    static let inductionHeads = [(18, 6), (17, 3), (17, 4), (17, 5), (18, 7), (23, 2), (23, 7), (20, 6)].map { Head(layer: $0.0, head: $0.1) }
    static let length = 600

    /// `count` random heads that are not induction heads, one draw per `draw`.
    static func randomHeads(_ model: HookedTransformer, count: Int, draws: Int, seed: UInt64) -> [[Head]] {
        let heads = model.config.nHeads
        let others = Head.all(layers: model.config.nLayers, heads: heads).filter { !inductionHeads.contains($0) }
        var random = RandomGenerator(seed: seed)
        return (0..<draws).map { _ in random.sampleWithoutReplacement(count, from: others.count).map { others[$0] } }
    }

    /// BOS + the first 600 tokens of every `stride`-th document long enough.
    static func windows(_ model: HookedTransformer, stride: Int, maxPerDocument: Int? = 1) throws -> IntTensor {
        let texts = try ICLCorpus.documents()
        let picked = texts.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        return try InContextLearning.windows(picked.map { try model.toTokens($0).scalars }, length: length,
                                             bos: model.tokenizer?.bosTokenID, maxPerDocument: maxPerDocument)
    }

    static func ablating(_ heads: [Head]) -> [Hook] { heads.map { .zeroAblateHead($0) } }

    static func describe(_ name: String, _ c: InContextLearningCurve) -> String {
        let points = [1, 10, 50, 100, 200, 300, 400, 500, 598].map { String(format: "%d:%.2f", $0, c.meanLoss($0...$0)) }.joined(separator: " ")
        return String(format: "%@: ICL score %.3f (loss %.3f at 45–54 → %.3f at 495–504; mean %.3f) | ", name, c.score,
                      c.meanLoss(45...54), c.meanLoss(495...504), c.meanLoss(0...(c.lossByPosition.count - 1))) + points
    }

    /// The corpus is what the issue asks for: ≥ 200,000 tokens in all, documents of ≥ 600 tokens.
    @Test func corpusSize() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2(), keepQuantized: true)
        let counts = try ICLCorpus.documents().map { try model.toTokens($0).count }
        let total = counts.reduce(0, +)
        print("ICL corpus: \(counts.count) documents, \(total) SmolLM2 tokens, the shortest \(counts.min() ?? 0)")
        #expect(total >= 200_000 && counts.count >= 100)
        #expect(counts.filter { $0 >= Self.length }.count >= counts.count * 9 / 10)
    }

    /// A subset (BOS + the first 600 tokens of every 10th document: 11 documents) small enough
    /// for a debug test run.
    @Test func smolLM2InContextLearningOnRealText() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2(), keepQuantized: true)
        let docs = try Self.windows(model, stride: 10)
        #expect(docs.shape[0] >= 8 && docs.shape[1] == 1 + Self.length)
        let clean = try InContextLearning.measure(model, documents: docs)
        let ablated = try InContextLearning.measure(model, documents: docs, hooks: Self.ablating(Self.inductionHeads))
        let controls = try Self.randomHeads(model, count: Self.inductionHeads.count, draws: 2, seed: 7).map {
            try InContextLearning.measure(model, documents: docs, hooks: Self.ablating($0))
        }
        print("SmolLM2 ICL on \(docs.shape[0]) documents × \(Self.length) tokens:")
        print(Self.describe("clean", clean))
        print(Self.describe("without the 8 induction heads", ablated))
        for (i, c) in controls.enumerated() { print(Self.describe("without 8 random heads (\(i))", c)) }
        // Eleven documents make Olsson's 10-token windows noisy (±0.4 nats), so the claims use wide
        // windows (tokens 10–99 vs 400–598) and paired differences (the same documents in every run).
        let wide = InContextLearningScore(early: 10...99, late: 400...598)
        func score(_ c: InContextLearningCurve) -> Float { wide.score(lossByPosition: c.lossByPosition) }
        func increase(_ c: InContextLearningCurve, _ r: ClosedRange<Int>) -> Float { c.meanLoss(r) - clean.meanLoss(r) }
        print(String(format: "wide-window scores: clean %.3f, without induction heads %.3f, without random heads %@; "
                     + "induction ablation raises the loss by %.3f early (10–99), %.3f late (400–598)",
                     score(clean), score(ablated), controls.map { String(format: "%.3f", score($0)) }.joined(separator: ", "),
                     increase(ablated, wide.early), increase(ablated, wide.late)))
        // The loss falls steeply over the first tokens of a document. (Beyond token 100 these 11
        // documents happen to be flat, wide score ≈ 0: that the loss keeps falling to token 500 —
        // Olsson's score −0.44 — shows on 180 windows, in the whole-corpus test below.)
        #expect(clean.meanLoss(0...9) - clean.meanLoss(100...598) > 1, "\(clean.meanLoss(0...9)) → \(clean.meanLoss(100...598))")
        // Without the induction heads it falls less: they hurt late positions more than early ones.
        #expect(score(ablated) - score(clean) > 0.05, "ablating the induction heads: \(score(clean)) → \(score(ablated))")
        #expect(increase(ablated, wide.late) > 2 * increase(ablated, wide.early))
        // As many random heads change the score much less.
        #expect(controls.allSatisfy { abs(score($0) - score(clean)) < 0.5 * (score(ablated) - score(clean)) },
                "random heads: \(controls.map(score)) vs clean \(score(clean)), induction-ablated \(score(ablated))")
    }

    /// The whole corpus (every 600-token window of every document, or the first
    /// SWIFTLENS_ICL_WINDOWS of each; the numbers in the comments are SWIFTLENS_ICL_WINDOWS=2,
    /// 16 minutes in a debug build), three random draws, and
    /// the per-token loss over one passage coloured by how much the induction heads help — only
    /// with SWIFTLENS_ICL_FULL=1 (minutes); writes `icl-passage.html` to SWIFTLENS_ICL_OUT (or
    /// the temporary directory).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SWIFTLENS_ICL_FULL"] == "1"))
    func smolLM2InContextLearningWholeCorpus() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2(), keepQuantized: true)
        let perDocument = ProcessInfo.processInfo.environment["SWIFTLENS_ICL_WINDOWS"].flatMap { Int($0) }
        let docs = try Self.windows(model, stride: 1, maxPerDocument: perDocument)
        let start = Date()
        let clean = try InContextLearning.measure(model, documents: docs)
        let ablated = try InContextLearning.measure(model, documents: docs, hooks: Self.ablating(Self.inductionHeads))
        print("SmolLM2 ICL on \(docs.shape[0]) windows × \(Self.length) tokens = \(docs.shape[0] * Self.length) tokens")
        print(Self.describe("clean", clean))
        print(Self.describe("without the 8 induction heads", ablated))
        var controls: [InContextLearningCurve] = []
        for (i, heads) in Self.randomHeads(model, count: Self.inductionHeads.count, draws: 3, seed: 7).enumerated() {
            let c = try InContextLearning.measure(model, documents: docs, hooks: Self.ablating(heads))
            controls.append(c)
            print(Self.describe("without 8 random heads (\(i): \(heads.map(\.description).joined(separator: ",")))", c))
        }
        print(String(format: "(%.0f s)", Date().timeIntervalSince(start)))
        // 180 windows (2 per document): clean −0.44, without the induction heads −0.31, without
        // random heads −0.44, −0.42, −0.39.
        #expect(clean.score < -0.3, "clean ICL score \(clean.score)")
        #expect(ablated.score - clean.score > 0.08, "ablating the induction heads: \(clean.score) → \(ablated.score)")
        #expect(controls.allSatisfy { abs($0.score - clean.score) < 0.6 * (ablated.score - clean.score) },
                "random heads: \(controls.map(\.score)) vs clean \(clean.score), induction-ablated \(ablated.score)")
        // Loss curves, every 10th position.
        print("position\tclean\tablated")
        for p in Swift.stride(from: 0, to: clean.lossByPosition.count, by: 25) {
            print(String(format: "%d\t%.3f\t%.3f", p, clean.meanLoss(p...min(p + 24, 598)), ablated.meanLoss(p...min(p + 24, 598))))
        }

        // One passage: where do the induction heads help?
        let passage = docs[0].scalars
        let loss = try InContextLearning.tokenLoss(model, passage: passage, hooks: Self.ablating(Self.inductionHeads))
        let strings = try model.toStrTokens(passage)
        let ranked = loss.difference.indices.sorted { loss.difference[$0] > loss.difference[$1] }
        print("largest increases without the induction heads (predicting the token in [ ]):")
        for p in ranked.prefix(15) {
            let context = strings[max(0, p - 7)...p].joined()
            print(String(format: "  %+.2f (%.2f → %.2f)  …%@[%@]", loss.difference[p], loss.clean[p], loss.ablated[p],
                         context.replacingOccurrences(of: "\n", with: "↵"), strings[p + 1].replacingOccurrences(of: "\n", with: "↵")))
        }
        let outDirectory = ProcessInfo.processInfo.environment["SWIFTLENS_ICL_OUT"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        let url = outDirectory.appendingPathComponent("icl-passage.html")
        try Self.html(tokens: Array(strings.dropFirst()), clean: loss.clean, difference: loss.difference).write(to: url, atomically: true, encoding: .utf8)
        print("wrote \(url.path)")
    }

    /// Each token on a background coloured by the loss difference (ablated − clean): red where
    /// the induction heads helped, blue where they hurt; the tooltip gives both losses.
    static func html(tokens: [String], clean: [Float], difference: [Float]) -> String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var body = ""
        for (i, token) in tokens.enumerated() {
            let d = max(-3, min(3, difference[i])) / 3
            let colour = d >= 0 ? String(format: "rgba(220,40,40,%.2f)", d) : String(format: "rgba(40,80,220,%.2f)", -d)
            let text = escape(token).replacingOccurrences(of: "\n", with: "↵<br>")
            body += String(format: "<span style=\"background:%@\" title=\"token %d: clean %.2f, ablated %.2f nats\">%@</span>",
                           colour, i + 1, clean[i], clean[i] + difference[i], text)
        }
        return """
        <!doctype html><meta charset="utf-8"><title>Where SmolLM2's induction heads help</title>
        <body style="font: 15px/1.7 Georgia, serif; max-width: 60em; margin: 2em auto">
        <h1>Per-token loss without − with SmolLM2's 8 induction heads</h1>
        <p>Red: the token is harder to predict without the heads (they help); blue: easier. Full red = 3 nats or more. Hover for the losses.</p>
        <p style="white-space: pre-wrap">\(body)</p>
        """
    }
}
