import Foundation
import LensCommandLine
import LensTokenizers

/// `lens bench tokenizer`: byte-level BPE encoding throughput on ~1 MB of English prose and ~1 MB
/// of source code, one thread, beside tiktoken (GPT-2) and Hugging Face `tokenizers` (SmolLM2)
/// measured in the same run by `Scripts/bench_tokenizers.py`, which also chooses the corpora
/// (licence texts and package descriptions from site-packages; Python standard-library sources)
/// and writes the ids it produced, so every row also checks that SwiftLens's ids are identical.
///
/// Target: at least tiktoken's MB/s on the same corpus, with either vocabulary. "warm" is the best
/// of repeated encodes (the pre-token cache filled, as Hugging Face's is after its first call);
/// "cold" is the first encode of a freshly loaded tokenizer.
struct TokenizerBenchmark {
    var quick = false
    var python = true
    /// A `tiktoken` file; default the committed `Tests/Fixtures/tokenizers/gpt2.tiktoken`.
    var tiktokenPath: String?
    /// SmolLM2's `tokenizer.json`; default the one `Scripts/fetch_smollm2_vocab.sh` writes.
    var smolLM2Path: String?

    func run(jsonPath: String?) throws {
        guard let gpt2Path = tiktokenPath ?? packageFile("Tests/Fixtures/tokenizers/gpt2.tiktoken") else {
            throw UsageError(description: "no GPT-2 vocabulary: pass --tiktoken FILE (Scripts/fetch_gpt2_tiktoken.sh fetches gpt2.tiktoken)")
        }
        let smolPath = smolLM2Path ?? packageFile("Tests/Fixtures/tokenizers/local/smollm2-tokenizer.json")
        if smolPath == nil {
            note("SmolLM2 rows skipped: its vocabulary is not fetched (Scripts/fetch_smollm2_vocab.sh) and no --smollm2 was given")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lens-bench-tokenizer-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let reference = python ? Self.referenceFigures(directory: directory, tiktoken: gpt2Path, smolLM2: smolPath, quick: quick) : nil
        if python && reference == nil { note("tiktoken/tokenizers comparison unavailable (python3 with Scripts/bench_tokenizers.py failed)") }
        let corpora = try reference != nil ? ["prose", "code"].map { ($0, try Data(contentsOf: directory.appendingPathComponent("\($0).txt"))) }
            : Self.fallbackCorpora()
        let results = reference?["results"] as? [String: [String: Double]] ?? [:]

        var vocabularies: [(name: String, reference: String, load: () throws -> BPETokenizer)] = [
            ("GPT-2", "tiktoken gpt2", { try BPETokenizer(tiktokenFile: URL(fileURLWithPath: gpt2Path)) }),
        ]
        if let smolPath {
            vocabularies.append(("SmolLM2", "tokenizers smollm2", { try BPETokenizer(huggingFaceJSON: URL(fileURLWithPath: smolPath)) }))
        }

        var table = ResultTable(title: "lens bench tokenizer (one thread; MB/s = 10⁶ UTF-8 bytes per second; ratio = SwiftLens warm / tiktoken)",
                                columns: ["corpus", "vocabulary", "SwiftLens warm", "SwiftLens cold", "tiktoken (GPT-2)",
                                          "tokenizers (SmolLM2)", "ratio", "target", "met", "ids identical"])
        for vocabulary in vocabularies {
            let clock = ContinuousClock()
            let loadStart = clock.now
            let tokenizer = try vocabulary.load()
            let loadSeconds = (clock.now - loadStart).seconds
            for (corpus, data) in corpora {
                let text = String(decoding: data, as: UTF8.self)
                let megabytes = Double(data.count) / 1e6
                // Cold: the first encode of a fresh copy (an empty pre-token cache).
                let fresh = try vocabulary.load()
                let coldStart = clock.now
                let ids = fresh.encode(text)
                let cold = megabytes / (clock.now - coldStart).seconds
                let warm = megabytes / Benchmark.bestTime(minRuns: quick ? 2 : 3, minSeconds: quick ? 0.2 : 1.0) { _ = tokenizer.encode(text) }
                let tiktoken = results["tiktoken gpt2"]?[corpus]
                let huggingFace = results["tokenizers smollm2"]?[corpus]
                let ratio = tiktoken.map { warm / $0 }
                let same = Self.referenceIDs(directory, vocabulary.reference, corpus).map { Self.compare(ids, $0) }
                let roundTrip = tokenizer.decode(ids) == text
                table.add([corpus + " (\(data.count / 1024) KiB)", vocabulary.name, format(warm), format(cold),
                           tiktoken.map { format($0) } ?? "-", huggingFace.map { format($0) } ?? "-",
                           ratio.map { format($0, 2) } ?? "-", "≥ 1.0× tiktoken", ratio.map { $0 >= 1 ? "yes" : "NO" } ?? "-",
                           (same ?? "-") + (roundTrip ? "" : "; decode ≠ text")],
                          record: ["corpus": corpus, "bytes": data.count, "vocabulary": vocabulary.name, "tokens": ids.count,
                                   "swiftlens_mb_s": warm, "swiftlens_cold_mb_s": cold, "load_seconds": loadSeconds,
                                   "tiktoken_gpt2_mb_s": tiktoken as Any, "tokenizers_smollm2_mb_s": huggingFace as Any,
                                   "ratio_to_tiktoken": ratio as Any, "met": ratio.map { $0 >= 1 } as Any,
                                   "ids_identical": same.map { $0 == "yes" } as Any, "round_trip": roundTrip])
            }
        }
        print(table.render())
        if let corporaInfo = reference?["corpora"] as? [String: [String: Any]] {
            for (name, info) in corporaInfo.sorted(by: { $0.key > $1.key }) {
                print("\(name): \(info["bytes"] ?? "?") bytes from \(info["files"] ?? "?") files, sha256 \(info["sha256"] ?? "?")")
            }
        } else {
            print("corpora: this repository's Markdown (prose) and Swift sources (code)")
        }
        if let jsonPath {
            try writeJSON(["benchmark": "tokenizer", "machine": machineDescription(), "references": reference?["versions"] as Any,
                           "corpora": reference?["corpora"] as Any, "results": table.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    func note(_ text: String) { FileHandle.standardError.write(Data("note: \(text)\n".utf8)) }

    /// "yes", or where the first difference is.
    static func compare(_ ours: [Int], _ theirs: [Int]) -> String {
        if ours == theirs { return "yes" }
        let first = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, theirs.count)
        return "NO (\(ours.count) vs \(theirs.count) ids; first difference at \(first))"
    }

    /// The ids the Python reference wrote for this corpus, if it ran.
    static func referenceIDs(_ directory: URL, _ label: String, _ corpus: String) -> [Int]? {
        let url = directory.appendingPathComponent("\(label.replacingOccurrences(of: " ", with: "-"))-\(corpus).ids")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) } }
    }

    /// Without Python: up to 1 MiB each of this repository's Markdown and Swift sources.
    static func fallbackCorpora() throws -> [(String, Data)] {
        func gather(_ ext: String) -> Data {
            var data = Data()
            let enumerator = FileManager.default.enumerator(at: packageRoot, includingPropertiesForKeys: nil)
            var files: [URL] = []
            while let url = enumerator?.nextObject() as? URL {
                if url.path.contains("/.build") { enumerator?.skipDescendants(); continue }
                if url.pathExtension == ext { files.append(url) }
            }
            for url in files.sorted(by: { $0.path < $1.path }) where data.count < 1 << 20 {
                if let contents = try? Data(contentsOf: url) { data.append(contents) }
            }
            // Cut at a character boundary.
            var end = min(data.count, 1 << 20)
            while end > 0 && end < data.count && data[end] & 0xC0 == 0x80 { end -= 1 }
            return data.prefix(end)
        }
        return [("prose", gather("md")), ("code", gather("swift"))]
    }

    /// The reference figures from `Scripts/bench_tokenizers.py`, or nil without python3/the script.
    static func referenceFigures(directory: URL, tiktoken: String, smolLM2: String?, quick: Bool) -> [String: Any]? {
        pythonPeerFigures(script: "bench_tokenizers.py", ["--out", directory.path, "--tiktoken", tiktoken]
                          + (smolLM2.map { ["--smollm2", $0] } ?? []) + (quick ? ["--quick"] : []))
    }
}
