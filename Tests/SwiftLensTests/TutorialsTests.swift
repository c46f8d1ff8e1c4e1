import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SwiftLens
import Testing

/// Every numbered tutorial runs (in its fast mode), stops on no failed claim, prints its key
/// claims, and writes its figures — so the tutorials cannot rot. The executables are built
/// with the tests.
@Suite(.serialized) struct TutorialsTests {
    /// Each tutorial, the claims (printed after ✓) it must make, and the figures it must write.
    static let tutorials: [(number: String, claims: [String], figures: [String])] = [
        ("01", ["the residual stream decomposes into its components", "no hook stays attached after the call"], ["layer0-patterns"]),
        ("02", ["the induction score jumps within 200 steps", "the loss falls at the same time",
                "and in-context learning appears at the same time"], ["phase-change"]),
        ("03", ["L0H3 puts most of its attention on the previous token", "layer 1 has induction heads"], ["previous-token-head", "induction-head", "layer1"]),
        ("04", ["L0H3 is a previous-token head", "every head of layer 1 matches prefixes", "the induction heads copy"],
         ["induction-scores", "copying-scores"]),
        ("05", ["every layer-1 head's OV circuit copies", "the four induction heads share out the vocabulary", "K-composes with every induction head",
                "matches the query token with the key's previous token"], ["ov-circuit-L1H0", "k-composition", "qk-prefix-matching"]),
        ("06", ["without the previous-token head L0H3, copying fails", "in-context learning is gone",
                "the stripe alone carries most of what the heads do"], ["ablation", "knockout"]),
        ("07", ["the previous-token head matters through the induction heads' keys"], ["resid-patching", "head-patching", "path-patching"]),
        ("08", ["the plain 1-layer model forms no induction head", "with smeared keys, one layer is enough"], ["induction", "icl"]),
        ("09", ["the tokens in-context copying predicts improve most"], ["trajectory", "loss-drop"]),
        ("10", ["the repeated copy becomes predictable only after layer 1", "the induction heads write the correct token's logit directly"],
         ["dla", "dla-tokens"]),
    ]

    @Test(arguments: tutorials.map(\.number))
    func tutorialRunsAndMakesItsClaims(number: String) throws {
        let entry = Self.tutorials.first { $0.number == number }!
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tutorial-\(number)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try BuiltExecutable.run("Tutorial\(number)", ["--fast", "--out", out.path])
        let output = run.combined
        #expect(run.status == 0 && output.contains("Tutorial \(number) done."), "\(output)")
        #expect(!output.contains("✗"), "\(output)")
        let claims = output.split(separator: "\n").filter { $0.hasPrefix("✓ ") }
        for claim in entry.claims {
            #expect(claims.contains { $0.contains(claim) }, "tutorial \(number) should claim “\(claim)”:\n\(output)")
        }
        for figure in entry.figures {
            for file in ["\(figure).svg", "\(figure).html"] {
                try Self.expectWellFormedAndOffline(out.appendingPathComponent(file))
            }
        }
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        for figure in entry.figures { #expect(index.contains("\(figure).svg"), "index links \(figure)") }
    }

    /// Without the model the tutorial stops at once and says how to fetch it.
    @Test func tutorial11SaysHowToFetchAMissingModel() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tutorial-11-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try BuiltExecutable.run("Tutorial11", ["--fast", "--out", out.path],
                                          environment: ["SWIFTLENS_SMOLLM2_GGUF": "/nonexistent/SmolLM2.gguf"])
        #expect(run.status == 1 && run.combined.contains("/nonexistent/SmolLM2.gguf") && run.combined.contains("Scripts/fetch_smollm2.sh"),
                "\(run.combined)")
    }

    /// A written figure parses as XML (the SVGs and the XHTML-compatible pages) with an `svg`
    /// element, and refers to nothing outside itself: no URL but the SVG namespace.
    static func expectWellFormedAndOffline(_ url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let document = try XMLDocument(xmlString: text, options: [])
        var names: [String] = []
        func walk(_ element: XMLElement) {
            names.append(element.localName ?? "")
            for child in element.children ?? [] { if let e = child as? XMLElement { walk(e) } }
        }
        if let root = document.rootElement() { walk(root) }
        #expect(names.contains("svg"), "\(url.lastPathComponent) has an svg element")
        let urls = text.components(separatedBy: "http").dropFirst().map { "http" + $0.prefix(40) }
        #expect(urls.allSatisfy { $0.hasPrefix("http://www.w3.org/") }, "\(url.lastPathComponent) refers outside: \(urls)")
    }
}

/// Tutorial 11 runs on the real SmolLM2-135M-Instruct GGUF (see ``RealModel``): skipped locally
/// when the file has not been fetched, failing in CI. Same checks as ``TutorialsTests``.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelTutorialsTests {
    static let claims = [
        "generation with the key-value cache picks the same", "step 0 sees the 6 prompt positions",
        "the pairs share a direction", "each pair's difference alone steers towards the love words",
        "the love − hate log-probability rises with every step of the scale", "tips the balance to the hate words",
        "steered with +0.5 the continuation changes and turns positive", "steered with −0.5 it changes and stays negative",
        "at ±0.5 the text stays fluent", "steered generation with the cache equals steered recomputation",
        "the vector round-trips",
    ]
    static let figures = ["sentiment-vs-scale", "steered-tokens", "steered-tokens-minus"]

    @Test func tutorial11SteersSmolLM2AndMakesItsClaims() throws {
        let gguf = try RealModel.smolLM2()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tutorial-11-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try BuiltExecutable.run("Tutorial11", ["--fast", "--out", out.path], environment: ["SWIFTLENS_SMOLLM2_GGUF": gguf.path])
        let output = run.combined
        #expect(run.status == 0 && output.contains("Tutorial 11 done."), "\(output)")
        #expect(!output.contains("✗"), "\(output)")
        let claims = output.split(separator: "\n").filter { $0.hasPrefix("✓ ") }
        for claim in Self.claims {
            #expect(claims.contains { $0.contains(claim) }, "tutorial 11 should claim “\(claim)”:\n\(output)")
        }
        // The before and after texts are printed, one per scale, each starting with the prompt.
        let texts = output.split(separator: "\n").filter { $0.contains("I think that my neighbour is") && $0.hasPrefix("  ") }
        #expect(texts.contains { $0.hasPrefix("   -0.5") } && texts.contains { $0.hasPrefix("   +0.0") } && texts.contains { $0.hasPrefix("   +0.5") },
                "\(output)")
        for figure in Self.figures {
            for file in ["\(figure).svg", "\(figure).html"] {
                try TutorialsTests.expectWellFormedAndOffline(out.appendingPathComponent(file))
            }
        }
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        for figure in Self.figures { #expect(index.contains("\(figure).svg"), "index links \(figure)") }
        // The vector file the tutorial writes for `lens generate --steer` holds one [d_model] tensor.
        let vector = try SafetensorsFile(contentsOf: out.appendingPathComponent("love-hate-L15.safetensors")).tensor("vector")
        #expect(vector.shape == [576])
    }

    static let tutorial14Claims = [
        "every kind keeps at least 40 single-token pairs", "the top three induction heads are those of repeated random tokens",
        "with nothing to match the induction heads pay under 0.05", "capitals and a missing leading space leave most of the prefix matching",
        "plurals mostly break it", "synonyms too, though not for every head", "on exact repeats of the words the model copies",
        "predicts the next word *as a variant*", "that is the induction heads' doing", "after plurals or synonyms it barely does",
        "the model's top token is « V»", "for all 6 names the surname's first token is among the top 3",
        "written differently", "zero-ablating the 8 induction heads lowers log p(surname)", "L18H6 attends from «ara» to « V»",
        "L23H2, an induction head, is among the three heads that restore most", "are no induction heads at all",
        "looking at the name is not the same as carrying it", "L29H1 hardly looks at « V»", "even together the layer 17–18 induction heads restore only",
        "the 6 heads that restore most alone restore",
    ]
    static let tutorial14Figures = ["fuzzy-scores-top-heads", "fuzzy-scores-capitalised", "fuzzy-scores-leading-space", "fuzzy-scores-plural",
                                    "fuzzy-scores-synonym", "attention-L18H6", "name-patching"]

    @Test func tutorial14FindsFuzzyInductionInSmolLM2AndMakesItsClaims() throws {
        let gguf = try RealModel.smolLM2()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tutorial-14-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try BuiltExecutable.run("Tutorial14", ["--fast", "--out", out.path], environment: ["SWIFTLENS_SMOLLM2_GGUF": gguf.path])
        let output = run.combined
        #expect(run.status == 0 && output.contains("Tutorial 14 done."), "\(output)")
        #expect(!output.contains("✗"), "\(output)")
        let claims = output.split(separator: "\n").filter { $0.hasPrefix("✓ ") }
        for claim in Self.tutorial14Claims {
            #expect(claims.contains { $0.contains(claim) }, "tutorial 14 should claim “\(claim)”:\n\(output)")
        }
        #expect(output.contains("(fast mode) not checked: the same heads restore most"), "\(output)")
        for figure in Self.tutorial14Figures {
            for file in ["\(figure).svg", "\(figure).html"] {
                try TutorialsTests.expectWellFormedAndOffline(out.appendingPathComponent(file))
            }
        }
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        for figure in Self.tutorial14Figures { #expect(index.contains("\(figure).svg"), "index links \(figure)") }
    }

    static let tutorial15Claims = [
        "lowers the logit of the token it attends to", "the weights agree with the behaviour on balance",
        "is also an almost pure suppressor by its weights", "the suppressed token was not among the model's top 20",
        "antonyms are learnt from the context",
        "English → French number words are not", "one head stands out", "the top 5 heads sit in the middle-to-late layers",
        "on shuffled-label prompts the antonym function vector raises P(answer)", "zero-shot it raises P(answer)",
    ]
    static let tutorial15Figures = ["copy-suppression", "ov-eigenvalues", "aie", "accuracy", "fv-by-layer"]

    /// Tutorial 15 (copy suppression and function vectors) in its fast mode: one task's 270
    /// indirect effects on 8 prompts.
    @Test func tutorial15FindsCopySuppressionAndFunctionVectorHeads() throws {
        let gguf = try RealModel.smolLM2()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tutorial-15-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try BuiltExecutable.run("Tutorial15", ["--fast", "--out", out.path], environment: ["SWIFTLENS_SMOLLM2_GGUF": gguf.path])
        let output = run.combined
        #expect(run.status == 0 && output.contains("Tutorial 15 done."), "\(output)")
        #expect(!output.contains("✗"), "\(output)")
        let claims = output.split(separator: "\n").filter { $0.hasPrefix("✓ ") }
        for claim in Self.tutorial15Claims {
            #expect(claims.contains { $0.contains(claim) }, "tutorial 15 should claim “\(claim)”:\n\(output)")
        }
        // The concrete copy-suppression cases are printed: a head, the token it attends to, the logit change.
        #expect(output.split(separator: "\n").contains { $0.contains(": attends to «") && $0.contains("its logit -") }, "\(output)")
        for figure in Self.tutorial15Figures {
            for file in ["\(figure).svg", "\(figure).html"] {
                try TutorialsTests.expectWellFormedAndOffline(out.appendingPathComponent(file))
            }
        }
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        for figure in Self.tutorial15Figures { #expect(index.contains("\(figure).svg"), "index links \(figure)") }
    }

    /// Runs real-model tutorial `number` in its fast mode and checks that it finishes, makes
    /// `claims` (after ✓) and writes `figures` (SVG and HTML, well formed, offline, on the index).
    static func expectTutorialRuns(_ number: String, claims: [String], figures: [String], environment: [String: String]) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tutorial-\(number)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try BuiltExecutable.run("Tutorial\(number)", ["--fast", "--out", out.path], environment: environment)
        let output = run.combined
        #expect(run.status == 0 && output.contains("Tutorial \(number) done."), "\(output)")
        #expect(!output.contains("✗"), "\(output)")
        let made = output.split(separator: "\n").filter { $0.hasPrefix("✓ ") }
        for claim in claims {
            #expect(made.contains { $0.contains(claim) }, "tutorial \(number) should claim “\(claim)”:\n\(output)")
        }
        for figure in figures {
            for file in ["\(figure).svg", "\(figure).html"] {
                try TutorialsTests.expectWellFormedAndOffline(out.appendingPathComponent(file))
            }
        }
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        for figure in figures { #expect(index.contains("\(figure).svg"), "index links \(figure)") }
    }

    /// Tutorial 12: SmolLM2's head census with a BOS — induction, previous-token, duplicate-token
    /// and sink scores, detect_head, copying, K-composition, an induction head on real text.
    @Test func tutorial12CensusOfSmolLM2MakesItsClaims() throws {
        let gguf = try RealModel.smolLM2()
        try Self.expectTutorialRuns("12", claims: [
            "the strongest induction heads are L18H6, L17H3 and L17H4", "sit in layers 17–23", "the strongest previous-token head, L16H0",
            "are the 3 query heads of one key-value head", "of its attention to the first token, averaged over all heads",
            "detect_head's induction and duplicate scores are ours × 50/101", "every induction head of layers 18–23 raises the logit",
            "the weights-only OV score misleads this deep", "each induction head K-composes most with a previous-token head",
            "far above the random baseline", "attends from the repeated phrase to the token after its earlier copy",
        ], figures: ["induction-scores", "previous-token-scores", "first-token-scores", "copying-scores", "k-composition", "induction-head-text"],
        environment: ["SWIFTLENS_SMOLLM2_GGUF": gguf.path])
    }

    /// Tutorial 13: SmolLM2's heads ablated one at a time (layers 16–18 in fast mode), the
    /// induction heads together against random heads, and in-context learning on real text.
    @Test(.enabled(if: ICLCorpus.isAvailable, "needs the ICL corpus: bash Scripts/fetch_icl_corpus.sh"))
    func tutorial13AblationAndInContextLearningMakesItsClaims() throws {
        let gguf = try RealModel.smolLM2()
        _ = try ICLCorpus.documents()
        try Self.expectTutorialRuns("13", claims: [
            "less than the first copy: the model copies", "ablating the previous-token head L16H0 alone hurts copying most",
            "without the induction heads the repeated half costs", "while the first copy barely changes",
            "draws of 8 random heads raise the induction loss by at most", "mean ablation of the induction heads breaks copying too",
            "the loss falls with the position in a document", "without the induction heads the late tokens lose more",
            "repeat an earlier bigram",
        ],
                                    figures: ["ablation-induction-zero", "ablation-induction-mean", "ablation-control-zero",
                                              "induction-heads-vs-random", "icl-loss-by-position", "icl-token-loss-increase"],
                                    environment: ["SWIFTLENS_SMOLLM2_GGUF": gguf.path, "SWIFTLENS_ICL_CORPUS": ICLCorpus.url.path])
    }

    /// Tutorial 16: the 2-layer model and SmolLM2 through the same `InductionStudy` (Argument 6).
    @Test(.enabled(if: ICLCorpus.isAvailable, "needs the ICL corpus: bash Scripts/fetch_icl_corpus.sh"))
    func tutorial16PutsBothModelsSideBySide() throws {
        let gguf = try RealModel.smolLM2()
        _ = try ICLCorpus.documents()
        try Self.expectTutorialRuns("16", claims: [
            "both models have induction heads scoring above 0.6", "in SmolLM2 they are a few specialists",
            "both pair them with previous-token heads in earlier layers",
            "in the 2-layer model ablating the induction heads raises the loss on the repeated half",
            "in SmolLM2 ablating the induction heads raises the loss on the repeated half", "both learn in context",
            "the 2-layer model loses its in-context learning without its induction heads",
        ], figures: ["argument-6", "icl-scores"],
        environment: ["SWIFTLENS_SMOLLM2_GGUF": gguf.path, "SWIFTLENS_ICL_CORPUS": ICLCorpus.url.path])
    }
}
