import Foundation
import LensCommandLine
import SwiftLens

/// `lens demo --model FILE_OR_REPO`: Olsson et al.'s case for induction heads rebuilt on a
/// pretrained model — the head census on repeated random tokens (BOS first), every head zero- and
/// mean-ablated with the first-copy control, the induction heads together against random heads,
/// in-context learning on real text clean / without them / without random heads, per-token loss
/// over a real passage, attention over real text, and the 2-layer model through the same
/// measurements (Argument 6) — with progress and an ETA, a text report and an HTML report.
enum ModelDemo {
    /// A passage written for the demo (not from the corpus) with a repeated clause, so the
    /// induction heads' stripe shows on real words.
    static let repeatedPassage = """
        The lighthouse keeper wrote every storm into a green notebook, and the notebook sat on the shelf by the stairs. \
        Years later his granddaughter found it and read aloud: the lighthouse keeper wrote every storm into a green notebook.
        """

    /// Everything measured, for the text and HTML reports.
    struct Findings {
        var model: HookedTransformer
        var name: String
        var study: InductionStudy
        /// K-composition of each induction head with each previous-token head (earlier layers),
        /// through the key-value head the induction head reads, and the random baseline.
        var kComposition: [(induction: Head, previous: Head, score: Float)]
        var baseline: CompositionBaseline
        var corpusSource: String?
        /// A real passage's tokens and its per-token loss clean and without the induction heads.
        var passage: (tokens: [String], clean: [Float], ablated: [Float])?
        /// Attention of the best induction head and its layer over ``repeatedPassage``.
        var attention: (tokens: [String], layer: Int, patterns: [[[Float]]])
        /// Fuzzy induction (Argument 4) by variant kind, with the study's induction heads ablated.
        var fuzzy: [(kind: FuzzyVariantKind, result: FuzzyInduction)]
        /// Patching every head's output at the last position of a natural name prompt.
        var namePatching: FuzzyNamePatching?
        /// Copy suppression on real text (the corpus passage's first tokens) and the OV
        /// eigenvalue score of every head.
        var copySuppression: (text: CopySuppressionScores, eigenvalues: Tensor)?
        /// Function vectors: per task the accuracies, the heads' mean AIE and the vector's effect.
        var functionVectors: FunctionVectorFindings?
        /// The 2-layer model through the same study (nil when its fixture is not at hand).
        var small: InductionStudy?
        var comparison: InductionStudyComparison?
        var seconds: Double
    }

    static func run(_ args: ParsedArguments, modelArgument: String) throws -> Findings {
        let clock = ContinuousClock(), start = clock.now
        let fast = args.flag("--fast")
        print("1. loading \(modelArgument)")
        let model = try ModelArgument.load(modelArgument)
        let c = model.config
        guard let tokenizer = model.tokenizer else {
            throw UsageError(description: "\(modelArgument) has no tokenizer; `lens demo --model` reads real text and needs one")
        }
        print("   \(c.modelName): \(c.nLayers) layers × \(c.nHeads) heads (\(c.keyValueHeads) key-value heads), d_model \(c.dModel), "
              + "\(c.dVocab) tokens, \(String(format: "%.0f", (clock.now - start).seconds * 1000)) ms")

        // The corpus: windows of BOS + 600 tokens, one per document, the first --windows of them.
        var options = InductionStudy.Options()
        options.bos = tokenizer.bosTokenID
        options.sequences = fast ? 2 : 4
        options.length = fast ? 20 : 50
        options.meanAblation = !fast
        options.randomDraws = fast ? 2 : 3
        var corpusSource: String?
        var documentTokens: [[Int]] = []
        let windowLength = fast ? 120 : 600
        if !args.flag("--no-icl") {
            let directory = args.string(ifGiven: "--corpus").map { URL(fileURLWithPath: $0) } ?? TextCorpus.defaultDirectory
            let corpus = try TextCorpus(directory: directory)
            corpusSource = corpus.source?.split(separator: "\n").first.map(String.init) ?? directory.path
            let wanted = fast ? 3 : args.integer("--windows")
            for text in corpus.documents where documentTokens.count < wanted {
                let ids = try model.toTokens(text, prependBOS: false).scalars
                if ids.count >= windowLength { documentTokens.append(ids) }
            }
            options.documents = try InContextLearning.windows(documentTokens, length: windowLength, bos: options.bos)
            options.iclScore = fast ? InContextLearningScore(contextLength: windowLength) : .olsson
        }

        print("2. the induction-head study: census on \(options.sequences) × (BOS + 2 × \(options.length)) repeated random tokens, "
              + "every head \(options.meanAblation ? "zero- and mean-" : "zero-")ablated, \(options.randomDraws) random-head controls"
              + (options.documents.map { ", in-context learning on \($0.shape[0]) windows of \($0.shape[1]) tokens" } ?? ""))
        let terminal = isatty(STDOUT_FILENO) != 0
        var lastPrinted = -1.0
        let study = try InductionStudy.run(model, options: options) { p in
            guard terminal || p.fraction - lastPrinted >= 0.1 || p.fraction >= 1 else { return }
            lastPrinted = p.fraction
            let eta = p.etaSeconds.isFinite ? String(format: "ETA %4.0f s", p.etaSeconds) : "ETA    ? s"
            print((terminal ? "\r" : "") + "   " + p.stage.padding(toLength: 20, withPad: " ", startingAt: 0)
                  + String(format: " %5.1f %%  %5.0f s  %@", 100 * p.fraction, p.elapsedSeconds, eta), terminator: terminal ? "" : "\n")
            fflush(nil)  // the \r line has no newline to flush it
        }
        if terminal { print("") }

        // K-composition through the shared key-value head: the QK circuit of an induction head
        // already pairs its query head with the key-value head it reads.
        let qk = model.QK, ov = model.OV
        var pairs: [(induction: Head, previous: Head, score: Float)] = []
        for i in study.inductionHeads {
            for p in study.previousTokenHeads where p.layer < i.layer {
                let score = try FactoredMatrix.compositionScores(left: try ov[p.layer, p.head], right: try qk[i.layer, i.head].transposed)
                pairs.append((i, p, score.scalars[0]))
            }
        }
        let baseline = try model.randomCompositionBaseline(samples: 100)

        // A real passage: the corpus window where the induction heads help most, its first 200 tokens.
        var passage: (tokens: [String], clean: [Float], ablated: [Float])?
        let hooks = study.inductionHeads.map { Hook.zeroAblateHead($0) }
        if let documents = options.documents {
            var best: (gain: Float, row: Int, clean: [Float], ablated: [Float])?
            for row in 0..<min(documents.shape[0], fast ? 3 : 8) {
                let ids = Array(documents[row].scalars.prefix(201))
                // The report is self-contained and refers to nothing outside itself: no web addresses.
                if try model.toString(ids).contains("://") { continue }
                let loss = try InContextLearning.tokenLoss(model, passage: ids, hooks: hooks)
                let gain = loss.difference.reduce(0, +)
                if best == nil || gain > best!.gain { best = (gain, row, loss.clean, loss.ablated) }
            }
            if let best {
                let ids = Array(documents[best.row].scalars.prefix(201))
                passage = (try ids.dropFirst().map { try model.toString([$0]) }, best.clean, best.ablated)
            }
        }

        // Attention over real text.
        let passageIDs = try model.toTokens(repeatedPassage, prependBOS: false).scalars
        let ids = (options.bos.map { [$0] } ?? []) + passageIDs
        let layer = study.inductionHeads.first?.layer ?? c.nLayers / 2
        let cache = try model.cache(IntTensor([ids]), names: .only([.pattern(layer)]))
        let pattern = try cache.tensor(.pattern(layer))[0]
        let attention = (try ids.map { try model.toString([$0]) }, layer, (0..<c.nHeads).map { pattern[$0].rowScalars })

        // Fuzzy induction: repeats whose second copy carries variants of the first copy's words.
        print("3. fuzzy induction: word sequences repeated with variants (capitalised, leading space, plural, synonym), "
              + "and a made-up name mentioned twice, every head patched")
        var fuzzy: [(kind: FuzzyVariantKind, result: FuzzyInduction)] = []
        for kind in FuzzyVariantKind.allCases {
            fuzzy.append((kind, try FuzzyInduction.measure(model, kind: kind, length: fast ? 10 : 20, count: fast ? 2 : 6, seed: 1,
                                                           ablating: study.inductionHeads)))
        }
        let namePrompt = try FuzzyNamePrompt(
            text: "Dr. Elara{surname} studied the night sky for twenty years. When a new comet was found, the team named it after Dr. Elara",
            surname: " Voss", otherSurname: " Quill")
        let namePatching = try FuzzyNamePatching.measure(model, prompt: namePrompt)

        // Copy suppression on the corpus's real text, beside the OV eigenvalue scores.
        print("4. copy suppression and function vectors")
        var copySuppression: (text: CopySuppressionScores, eigenvalues: Tensor)?
        if let documents = options.documents {
            let rows = min(documents.shape[0], fast ? 2 : 6)
            let text = documents[0 ..< rows][.all, 0 ..< min(documents.shape[1], fast ? 64 : 160)]
            copySuppression = (try CopySuppressionScores.measure(model, tokens: text, firstKey: 1), try model.ovEigenvalueCopyingScores())
        }
        let functionVectors = try FunctionVectorFindings.measure(model, tasks: fast ? [.antonyms] : [.antonyms, .uppercase, .pastTense],
                                                                promptCount: fast ? 8 : 16, layers: fast ? [9, 12] : [6, 9, 12, 15])

        // Argument 6: the 2-layer model through the same study.
        var small: InductionStudy?
        if let directory = smallModelDirectory(args) {
            print("5. the 2-layer attention-only model (\(directory.path)) through the same measurements")
            let smallModel = try HookedTransformer.load(directory: directory)
            var smallOptions = InductionStudy.Options()
            smallOptions.sequences = 16
            smallOptions.length = min(32, smallModel.config.nCtx / 2)
            smallOptions.seed = 31337
            smallOptions.maxInductionHeads = 8
            smallOptions.meanAblation = options.meanAblation
            smallOptions.randomDraws = options.randomDraws
            var data = InductionData.recipeR(seed: InductionEvaluator.Options().evaluationSeed)
            let evaluation = data.nextBatch(64)
            smallOptions.documents = evaluation
            smallOptions.iclScore = InContextLearningScore(contextLength: evaluation.shape[1] - 1)
            small = try InductionStudy.run(smallModel, options: smallOptions)
        }
        let comparison = small.map {
            InductionStudyComparison(names: ["2-layer attn-only (Recipe R)", displayName(modelArgument)], studies: [$0, study])
        }
        return Findings(model: model, name: modelArgument, study: study, kComposition: pairs, baseline: baseline,
                        corpusSource: corpusSource, passage: passage, attention: attention, fuzzy: fuzzy,
                        namePatching: namePatching, copySuppression: copySuppression, functionVectors: functionVectors, small: small, comparison: comparison,
                        seconds: (clock.now - start).seconds)
    }

    /// A model argument as a column heading: a file's name without `.gguf`, a directory's or
    /// repo id's last component.
    static func displayName(_ argument: String) -> String {
        let last = URL(fileURLWithPath: argument).lastPathComponent
        return last.hasSuffix(".gguf") ? String(last.dropLast(5)) : last
    }

    /// The committed 2-layer model (`--small DIR`, else Tests/Fixtures/trained/recipeR-2L-s0/final
    /// under the current directory), or nil with `--small none` or when it is not there.
    static func smallModelDirectory(_ args: ParsedArguments) -> URL? {
        let given = args.string(ifGiven: "--small")
        if given == "none" { return nil }
        let path = given ?? "Tests/Fixtures/trained/recipeR-2L-s0/final"
        let url = URL(fileURLWithPath: path)
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) ? url : nil
    }

    // MARK: Text report

    static func report(_ f: Findings) {
        let s = f.study, c = f.model.config
        func name(_ heads: [Head]) -> String { DemoCommand.name(heads) }
        func score(_ t: Tensor, _ h: Head) -> String { String(format: "%.2f", t[h.layer, h.head].scalar) }
        print("\n   census (≥ \(s.options.threshold)):")
        print("   induction heads      " + s.inductionHeads.map { "\($0) \(score(s.scores.induction, $0))" }.joined(separator: ", "))
        print("   previous-token heads " + s.previousTokenHeads.prefix(8).map { "\($0) \(score(s.scores.previousToken, $0))" }.joined(separator: ", "))
        print(String(format: "   mean attention to the first token (the sink): %.2f; heads attending > 0.9 to it: %d of %d",
                     s.scores.firstToken.mean().scalar, s.scores.firstToken.scalars.filter { $0 > 0.9 }.count, s.scores.firstToken.count))
        if let top = f.kComposition.max(by: { $0.score < $1.score }) {
            let mean = f.kComposition.map(\.score).reduce(0, +) / Float(f.kComposition.count)
            print(String(format: "   K-composition, previous-token → induction head (through the shared key-value head): strongest %@ → %@ %.3f, "
                         + "mean over %d pairs %.3f; random baseline %.3f ± %.4f",
                         top.previous.description, top.induction.description, top.score, f.kComposition.count, mean,
                         f.baseline.mean, f.baseline.standardDeviation))
        }

        print("\n   ablation (loss on repeated tokens; clean: induction \(String(format: "%.2f", s.clean.induction)), "
              + "first copy \(String(format: "%.2f", s.clean.firstCopy)))")
        print("   the heads whose zero-ablation raises the induction loss most (Δ induction / Δ first copy):")
        for e in s.zeroAblation.largestEffects(8) {
            var kind = e.firstCopy > 0.5 * e.induction && e.firstCopy > 0.1 ? "breaks everything" : "breaks copying"
            var meanRise = ""
            if let mean = s.meanAblation {
                let rise = mean.induction[e.head.layer, e.head.head].scalar - mean.clean.induction
                meanRise = String(format: "  (mean-ablated %+.2f)", rise)
                // Zero is off-distribution for a head that always writes something large: when its
                // mean does not hurt, the zero-ablation effect is that artefact, not copying.
                if rise < 0.25 * e.induction { kind = "only when zeroed, not mean-ablated" }
            }
            print("     " + e.head.description.padding(toLength: 7, withPad: " ", startingAt: 0)
                  + String(format: " %+6.2f / %+6.2f  %@%@", e.induction, e.firstCopy, kind, meanRise))
        }
        print(String(format: "   the %d induction heads together: induction loss %.2f → %.2f, first copy %.2f → %.2f",
                     s.inductionHeads.count, s.clean.induction, s.withoutInductionHeads.induction, s.clean.firstCopy, s.withoutInductionHeads.firstCopy))
        for (k, control) in s.randomControls.enumerated() {
            print(String(format: "   random draw %d (%@): induction %.2f, first copy %.2f", k + 1, name(control.heads),
                         control.losses.induction, control.losses.firstCopy))
        }
        if let icl = s.icl {
            print("\n   in-context learning on real text (\(icl.clean.documentCount) windows; \(f.corpusSource ?? "")):")
            print(String(format: "   ICL score (loss at the late tokens − the early ones): clean %+.3f, without the induction heads %+.3f",
                         icl.clean.score, icl.withoutInductionHeads.score)
                  + ", without random heads " + s.randomControls.compactMap { $0.icl.map { String(format: "%+.3f", $0.score) } }.joined(separator: " / "))
        }
        if !f.fuzzy.isEmpty {
            print("\n   fuzzy induction (the \(s.inductionHeads.count) induction heads; prefix matching as a share of their exact-repeat score; "
                  + "the variant's log-prob gain over an unrepeated control, clean → induction heads ablated):")
            for (kind, r) in f.fuzzy {
                print("   " + kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
                      + String(format: "prefix matching kept %.2f   copying gain %+.2f → %+.2f nats", r.keptShare(heads: s.inductionHeads),
                               r.variantGain.clean, r.variantGain.ablated ?? .nan))
            }
        }
        if let p = f.namePatching {
            let top = Head.all(layers: c.nLayers, heads: c.nHeads).sorted { p.restored[$0.layer, $0.head].scalar > p.restored[$1.layer, $1.head].scalar }.prefix(5)
            print(String(format: "   \"…Dr. Elara\" → \"%@\": log p %.2f (rank %d); heads whose clean output restores the most of the name when patched alone: ",
                         p.prompt.surname, p.answerLogProb, p.answerRank)
                  + top.map { String(format: "%@ %.2f", $0.description, p.restored[$0.layer, $0.head].scalar) }.joined(separator: ", "))
        }
        if let (text, eigen) = f.copySuppression {
            let ranked = Head.all(layers: c.nLayers, heads: c.nHeads).sorted { text.score[$0.layer, $0.head].scalar < text.score[$1.layer, $1.head].scalar }
            print("\n   copy suppression (a head's direct effect on the logit of the token it attends to most, centred; real text):")
            print("   most negative: " + ranked.prefix(5).map { String(format: "%@ %+.2f (OV eigenvalue score %+.2f)", $0.description,
                                                                        text.score[$0.layer, $0.head].scalar, eigen[$0.layer, $0.head].scalar) }
                .joined(separator: ", "))
        }
        if let fv = f.functionVectors { fv.report() }
        if let comparison = f.comparison {
            print("\n   Argument 6 — the same measurements on both models:")
            print(comparison.text().split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
        }
    }
}
