import Foundation

/// A folder of plain-text documents (`*.txt`, one document per file, read in file-name order):
/// the real text in-context learning is measured on. `Scripts/fetch_icl_corpus.sh` makes one —
/// the prose documentation of Django 5.2.8 (BSD licence, 103 documents, 283,855 SmolLM2
/// tokens) — with a `SOURCE` file naming where it came from.
///
/// ```swift
/// let corpus = try TextCorpus(directory: TextCorpus.defaultDirectory)
/// let windows = try InContextLearning.windows(corpus.documents.map { try model.toTokens($0).scalars }, length: 600)
/// ```
public struct TextCorpus: Sendable {
    /// How to make the default corpus.
    public static let fetchCommand = "bash Scripts/fetch_icl_corpus.sh"

    public let directory: URL
    /// The documents' texts, in file-name order.
    public let documents: [String]
    /// The `SOURCE` file's text (where the documents came from and under which licence), if any.
    public let source: String?

    /// Where the fetch script puts the default corpus: `$SWIFTLENS_ICL_CORPUS` when set, else
    /// `${SWIFTLENS_CACHE:-~/.cache/swiftlens}/corpus/django-5.2.8-docs`.
    public static var defaultDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["SWIFTLENS_ICL_CORPUS"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        let cache = environment["SWIFTLENS_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftlens")
        return cache.appendingPathComponent("corpus/django-5.2.8-docs")
    }

    /// Reads every `*.txt` in `directory`.
    /// - Throws: ``AnalysisError/invalidArgument(_:)`` when the folder is missing or holds no
    ///   documents (saying how to fetch the default corpus), or a reading error.
    public init(directory: URL) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AnalysisError.invalidArgument("no text corpus at \(directory.path): expected a folder of .txt documents "
                                                + "(`\(Self.fetchCommand)` fetches the default one and prints its path)")
        }
        let names = try fm.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".txt") }.sorted()
        guard !names.isEmpty else {
            throw AnalysisError.invalidArgument("the folder \(directory.path) holds no .txt documents (expected a text corpus; "
                                                + "`\(Self.fetchCommand)` fetches the default one)")
        }
        self.directory = directory
        documents = try names.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }
        source = try? String(contentsOf: directory.appendingPathComponent("SOURCE"), encoding: .utf8)
    }
}
