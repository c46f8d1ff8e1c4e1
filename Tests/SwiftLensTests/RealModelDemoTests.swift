import Foundation
import Testing

/// `lens demo --model` on SmolLM2 in its fast setting: the whole study runs from the command
/// line, names the heads the census tests name, prints each section and writes every figure of
/// the HTML report, well formed and offline.
@Suite(.enabled(if: ICLCorpus.isAvailable, "needs SmolLM2 and the ICL corpus: bash Scripts/fetch_smollm2.sh; bash Scripts/fetch_icl_corpus.sh"))
struct RealModelDemoTests {
    static let figures = [
        "induction-scores", "previous-token-scores", "duplicate-token-scores", "first-token-scores", "k-composition",
        "attention-real-text", "induction-head-real-text", "zero-ablation-induction", "zero-ablation-first-copy", "ablation-together",
        "icl-curve", "passage-loss-clean", "passage-loss-difference", "fuzzy-prefix-matching", "fuzzy-copying", "name-patching",
        "copy-suppression", "ov-eigenvalues", "function-vector-accuracy", "argument-6",
    ]

    @Test func demoOnSmolLM2WritesTheWholeReport() throws {
        let gguf = try RealModel.smolLM2()
        _ = try ICLCorpus.documents()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("demo-model-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let small = Fixtures.url("trained/recipeR-2L-s0/final").path
        let run = try BuiltExecutable.run("lens", ["demo", "--model", gguf.path, "--fast", "--small", small, "--out", out.path],
                                          environment: ["SWIFTLENS_ICL_CORPUS": ICLCorpus.url.path])
        let output = run.combined
        #expect(run.status == 0, "\(output)")
        let lines = output.split(separator: "\n").map(String.init)
        // The census names SmolLM2's induction and previous-token heads.
        let induction = try #require(lines.first { $0.contains("induction heads      ") })
        #expect(induction.contains("L18H6") && induction.contains("L17H4") && induction.contains("L17H3"), "\(induction)")
        #expect(lines.contains { $0.contains("previous-token heads L16H0") }, "\(output)")
        // Every section printed, with progress and an ETA.
        for text in ["ETA", "K-composition", "the 8 induction heads together", "random draw 1", "ICL score",
                     "fuzzy induction", "capitalised", "…Dr. Elara", "copy suppression", "function vectors", "antonyms", "Argument 6",
                     "share of the ICL score removed", "wrote the HTML report"] {
            #expect(output.contains(text), "the demo should print “\(text)”:\n\(output)")
        }
        let report = out.appendingPathComponent("report")
        for figure in Self.figures {
            for file in ["\(figure).svg", "\(figure).html"] {
                try TutorialsTests.expectWellFormedAndOffline(report.appendingPathComponent(file))
            }
        }
        let index = try String(contentsOf: report.appendingPathComponent("index.html"), encoding: .utf8)
        for figure in Self.figures { #expect(index.contains("\(figure).svg"), "index links \(figure)") }
    }

    @Test func demoRefusesAMissingCorpus() throws {
        let gguf = try RealModel.smolLM2()
        let run = try BuiltExecutable.run("lens", ["demo", "--model", gguf.path, "--fast", "--corpus", "/nonexistent/corpus", "--out",
                                                   FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path])
        #expect(run.status != 0 && run.combined.contains("/nonexistent/corpus") && run.combined.contains("fetch_icl_corpus.sh"), "\(run.combined)")
    }
}
