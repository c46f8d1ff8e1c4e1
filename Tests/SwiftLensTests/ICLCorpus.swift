import Foundation

/// The real-text corpus the in-context-learning tests read: the prose documentation of Django
/// 5.2.8 (BSD licence), reduced to one plain-text document per file by
/// `Scripts/fetch_icl_corpus.sh` into a cache outside the repository (1.26 M characters, never
/// committed).
///
/// Where it is looked for: `$SWIFTLENS_ICL_CORPUS` if set (`.ci/run` exports it), else the fetch
/// script's default `${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/corpus/django-5.2.8-docs`.
/// Missing, it behaves like ``RealModel``: in CI (or with the variable set) the tests run and
/// fail; locally they are skipped with one line saying how to fetch it.
enum ICLCorpus {
    static let fetchCommand = "bash Scripts/fetch_icl_corpus.sh"

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    static var url: URL {
        if let explicit = environment["SWIFTLENS_ICL_CORPUS"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let cache = environment["SWIFTLENS_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftlens")
        return cache.appendingPathComponent("corpus/django-5.2.8-docs")
    }

    /// `.enabled(if:)` of the ICL tests: the model is available and the corpus is there, or
    /// must be (CI, or its path given explicitly).
    static let isAvailable: Bool = {
        guard RealModel.isAvailable else { return false }
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("SOURCE").path) || RealModel.isCI
            || environment["SWIFTLENS_ICL_CORPUS"] != nil {
            return true
        }
        print("note: skipping the in-context-learning tests on real text (RealModelInContextLearningTests): \(url.path) not found. "
              + "Fetch the corpus (Django's documentation, 11 MB from PyPI) with `\(fetchCommand)`, or set SWIFTLENS_ICL_CORPUS to its directory.")
        return false
    }()

    /// The documents' texts in file-name order, or a failure saying why the corpus is missing.
    static func documents() throws -> [String] {
        let directory = url
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("SOURCE").path) else {
            let why = RealModel.isCI
                ? "CI is set, so the ICL tests must run: `\(fetchCommand)` did not run or failed (.ci/run runs it and exports SWIFTLENS_ICL_CORPUS)"
                : "SWIFTLENS_ICL_CORPUS names a directory without the corpus; run `\(fetchCommand)` and export its output"
            throw RealModel.RealModelMissing(description: "ICL corpus not found at \(directory.path): \(why)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".txt") }.sorted()
        return try names.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }
    }
}
