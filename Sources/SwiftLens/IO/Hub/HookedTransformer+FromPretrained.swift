import Foundation

extension HookedTransformer {
    /// Downloads a Hugging Face model repository into the standard cache (or finds it there)
    /// and loads it with ``load(directory:process:)``.
    ///
    /// Fetched: `config.json`; `model.safetensors`, or when the repo has none (`404`) the
    /// `model.safetensors.index.json` and every shard it names; `tokenizer.json` when present.
    ///
    /// ```swift
    /// let model = try HookedTransformer.fromPretrained("HuggingFaceTB/SmolLM2-135M") { print($0) }
    /// ```
    ///
    /// The client reads `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_CACHE` / `HF_HOME` and
    /// `HF_HUB_OFFLINE` (see ``HubClient``).
    public static func fromPretrained(_ repo: String, revision: String = "main", process: Bool = false,
                                      client: HubClient = HubClient(),
                                      progress: (@Sendable (HubProgress) -> Void)? = nil) throws -> HookedTransformer {
        let directory = try client.downloadModel(repo: repo, revision: revision, progress: progress)
        return try load(directory: directory, process: process)
    }

    /// Downloads one GGUF `file` of a Hugging Face repository into the standard cache (or finds
    /// it there) and loads it with ``load(gguf:)``.
    public static func fromPretrained(_ repo: String, file: String, revision: String = "main", process: Bool = false,
                                      client: HubClient = HubClient(),
                                      progress: (@Sendable (HubProgress) -> Void)? = nil) throws -> HookedTransformer {
        let url = try client.download(repo: repo, file: file, revision: revision, progress: progress)
        let model = try load(gguf: url)
        return process ? try model.processed() : model
    }
}
