import Foundation

extension HubClient {
    /// Downloads what a model directory needs — `config.json`, `model.safetensors` (or the
    /// index and its shards), `tokenizer.json` if present — and returns the snapshot directory.
    public func downloadModel(repo: String, revision: String = "main",
                              progress: (@Sendable (HubProgress) -> Void)? = nil) throws -> URL {
        let config = try download(repo: repo, file: "config.json", revision: revision, progress: progress)
        // Later files at the commit the first one resolved to, so a branch moving meanwhile
        // cannot mix two commits in one snapshot.
        let commit = config.deletingLastPathComponent().lastPathComponent
        let pinned = HubCache.isCommitHash(commit) ? commit : revision
        if try downloadIfPresent(repo: repo, file: "model.safetensors", revision: pinned, progress: progress) == nil {
            guard let index = try downloadIfPresent(repo: repo, file: "model.safetensors.index.json", revision: pinned, progress: progress) else {
                let file = "model.safetensors"
                if offline {
                    throw HubError.notCached(repo: repo, revision: revision, file: "\(file) or model.safetensors.index.json",
                                             cache: cache.root.path, reason: "HF_HUB_OFFLINE is set")
                }
                throw HubError.notFound(url: resolveURL(repo: repo, revision: pinned, file: file), repo: repo, revision: revision,
                                        file: "\(file) (nor model.safetensors.index.json)")
            }
            for shard in try Self.shardFiles(index: index) {
                try download(repo: repo, file: shard, revision: pinned, progress: progress)
            }
        }
        _ = try downloadIfPresent(repo: repo, file: "tokenizer.json", revision: pinned, progress: progress)
        return config.deletingLastPathComponent()
    }

    /// The distinct shard files of a `model.safetensors.index.json`, sorted.
    static func shardFiles(index: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: index) } catch {
            throw HubError.io(path: index.path, reason: "cannot read the shard index: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw HubError.io(path: index.path, reason: "expected a JSON object with a \"weight_map\" object")
        }
        var files = Set<String>()
        for (name, value) in map {
            guard let file = value as? String, !file.isEmpty else {
                throw HubError.io(path: index.path, reason: "weight_map[\"\(name)\"]: expected a file name, found \(value)")
            }
            files.insert(file)
        }
        return files.sorted()
    }
}
