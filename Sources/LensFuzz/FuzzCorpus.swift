import Foundation

/// The unmutated inputs every case starts from: the small fixture models in `Tests/Fixtures`
/// (TransformerLens-layout directories, Hugging Face GPT-2 and LLaMA, GGUF files), read once and kept in
/// memory so that a case costs a mutation and a load, not a fixture read.
///
/// They are tiny (two layers, d_model 64, a 50-token vocabulary: under 0.5 MB each), so a case
/// loads and runs in milliseconds and a few thousand fit in a CI test.
public final class FuzzCorpus: Sendable {
    /// The layout of a base directory, which decides the loader's path through SwiftLens.
    enum Layout: Sendable { case transformerLens, huggingFaceGPT2, huggingFaceLlama }

    /// One fixture model directory.
    struct Base: Sendable {
        let name: String
        let layout: Layout
        /// `config.json` and the weights file, by name.
        let files: [String: Data]
        /// `weights.safetensors` or `model.safetensors`.
        let weightsName: String
        var config: Data { files["config.json"]! }
        var weights: Data { files[weightsName]! }
    }

    /// The fixture directories used, relative to the fixtures root.
    static let transformerLensBases = ["classic/attn2l", "classic/gpt2tiny", "classic/llamatiny", "classic/shortformer",
                                       "classic/gpt2tiny/processed", "trained/recipeR-2L-s0/final"]
    static let gpt2Base = "hf/gpt2tiny"
    static let llamaBase = "hf/llamatiny/hf"

    /// One GGUF fixture file.
    struct GGUFBase: Sendable {
        let name: String
        let data: Data
    }

    /// The GGUF fixtures, relative to the fixtures root; the first (`tiny.gguf`, 1.4 KB) is the
    /// main base, the others add nested arrays, booleans, version 2 and `general.alignment`.
    static let ggufBaseNames = ["gguf/tiny.gguf", "gguf/metadata-v3.gguf", "gguf/tensors-v2-align64.gguf"]

    let bases: [String: Base]
    let ggufBases: [String: GGUFBase]
    /// Where the fixtures were read from.
    public let root: URL

    /// Reads the fixtures under `root` (the repository's `Tests/Fixtures`).
    public init(fixtures root: URL) throws {
        self.root = root
        var bases: [String: Base] = [:]
        func add(_ name: String, _ layout: Layout, weights: String) throws {
            let dir = root.appendingPathComponent(name)
            var files: [String: Data] = [:]
            for file in ["config.json", weights] { files[file] = try Data(contentsOf: dir.appendingPathComponent(file)) }
            bases[name] = Base(name: name, layout: layout, files: files, weightsName: weights)
        }
        for name in Self.transformerLensBases { try add(name, .transformerLens, weights: "weights.safetensors") }
        try add(Self.gpt2Base, .huggingFaceGPT2, weights: "model.safetensors")
        try add(Self.llamaBase, .huggingFaceLlama, weights: "model.safetensors")
        self.bases = bases
        ggufBases = try Dictionary(uniqueKeysWithValues: Self.ggufBaseNames.map { name in
            (name, GGUFBase(name: name, data: try Data(contentsOf: root.appendingPathComponent(name))))
        })
    }

    /// Every base directory's name, sorted (a stable order for seeded choices).
    var baseNames: [String] { bases.keys.sorted() }

    /// The repository's `Tests/Fixtures`: `$SWIFTLENS_FIXTURES` if set, else found from this
    /// source file's location (a development tool runs from its checkout), else from the current
    /// directory upwards.
    public static func locateFixtures() -> URL? {
        let fm = FileManager.default
        func valid(_ url: URL) -> Bool { fm.fileExists(atPath: url.appendingPathComponent("hf/gpt2tiny/config.json").path) }
        if let env = ProcessInfo.processInfo.environment["SWIFTLENS_FIXTURES"] {
            let url = URL(fileURLWithPath: env)
            return valid(url) ? url : nil
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures")
        if valid(source) { return source }
        var dir = URL(fileURLWithPath: fm.currentDirectoryPath)
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("Tests/Fixtures")
            if valid(candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }
}
