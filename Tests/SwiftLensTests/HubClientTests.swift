import Foundation
import Testing
@testable import SwiftLens

/// `HubClient` and `HookedTransformer.fromPretrained` against `HubTestServer` (127.0.0.1): the
/// download, the cache layout, offline reuse, resume, checksum and HTTP errors. Each test has
/// its own server and cache directory and passes its environment explicitly.
@Suite struct HubClientTests {
    static let repo = "test-org/gpt2tiny"

    /// A fresh cache directory, removed by the caller.
    static func temporaryCache() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hub-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func client(_ server: HubTestServer?, cache: URL, extra: [String: String] = [:]) -> HubClient {
        var environment = ["HF_HUB_CACHE": cache.path, "HOME": cache.path]
        if let server { environment["HF_ENDPOINT"] = server.endpoint.absoluteString }
        environment.merge(extra) { $1 }
        return HubClient(environment: environment)
    }

    static func logits(_ model: HookedTransformer) throws -> [Float] {
        try model(IntTensor([[1, 5, 9, 2, 7, 3]])).scalars
    }

    static let fixtureWeights = Fixtures.url("hf/gpt2tiny/model.safetensors")

    @Test func environmentIsRead() throws {
        let client = HubClient(environment: ["HF_ENDPOINT": "http://example.test:81/", "HF_TOKEN": "abc",
                                             "HF_HOME": "/tmp/hfhome", "HF_HUB_OFFLINE": "1"])
        #expect(client.endpoint.absoluteString == "http://example.test:81")
        #expect(client.token == "abc")
        #expect(client.cache.root.path == "/tmp/hfhome/hub")
        #expect(client.offline)
        let defaults = HubClient(environment: ["HOME": "/home/someone"])
        #expect(defaults.endpoint.absoluteString == "https://huggingface.co")
        #expect(defaults.cache.root.path == "/home/someone/.cache/huggingface/hub")
        #expect(!defaults.offline)
        #expect(HubClient(environment: ["HF_HUB_CACHE": "/x/y", "HF_HOME": "/z"]).cache.root.path == "/x/y")
        #expect(defaults.resolveURL(repo: "a/b", revision: "refs/pr/1", file: "dir/m x.json").absoluteString
            == "https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/dir/m%20x.json")
        #expect(HubCache.folderName(repo: "HuggingFaceTB/SmolLM2-135M") == "models--HuggingFaceTB--SmolLM2-135M")
    }

    @Test func downloadLoadsLikeTheFixtureAndLaysOutTheCache() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try HubTestServer.gpt2tiny()
        defer { server.stop() }
        let seen = ProgressLog()
        let model = try HookedTransformer.fromPretrained(Self.repo, client: Self.client(server, cache: cache), progress: seen.add)
        let reference = try HookedTransformer.load(directory: Fixtures.url("hf/gpt2tiny"))
        #expect(try Self.logits(model) == Self.logits(reference))

        // Layout.
        let folder = cache.appendingPathComponent("models--test-org--gpt2tiny")
        let sha = try SHA256.hexDigest(ofFileAt: Self.fixtureWeights)
        #expect(try String(contentsOf: folder.appendingPathComponent("refs/main"), encoding: .utf8) == server.commit)
        let blobs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("blobs").path).sorted()
        #expect(blobs.count == 2)
        #expect(blobs.contains(sha))
        #expect(!blobs.contains { $0.hasSuffix(".incomplete") })
        let snapshot = folder.appendingPathComponent("snapshots/\(server.commit)")
        let weights = snapshot.appendingPathComponent("model.safetensors")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: weights.path) == "../../blobs/\(sha)")
        #expect(try Data(contentsOf: weights) == Data(contentsOf: Self.fixtureWeights))
        #expect(try Data(contentsOf: snapshot.appendingPathComponent("config.json"))
            == Data(contentsOf: Fixtures.url("hf/gpt2tiny/config.json")))
        #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("tokenizer.json").path))

        // HTTP: HEAD reads the 302's metadata without following it; the weights GET follows it
        // to the CDN path without the token; tokenizer.json and the index were not needed/found.
        let requests = server.requests
        #expect(requests.contains { $0.method == "HEAD" && $0.path.hasSuffix("/resolve/\(server.commit)/model.safetensors") })
        #expect(!requests.contains { $0.method == "HEAD" && $0.path.hasPrefix("/cdn/") })
        #expect(requests.contains { $0.method == "GET" && $0.path == "/cdn/\(sha)" })
        #expect(requests.contains { $0.path.hasSuffix("/tokenizer.json") })
        #expect(!requests.contains { $0.path.hasSuffix("model.safetensors.index.json") })

        // Progress reached the full size of the weights.
        let size = Int64(try Data(contentsOf: Self.fixtureWeights).count)
        #expect(seen.entries.contains { $0.file == "model.safetensors" && $0.completedBytes == size && $0.totalBytes == size })
    }

    @Test func offlineUsesTheCacheWithoutTheServer() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try HubTestServer.gpt2tiny()
        let online = try HookedTransformer.fromPretrained(Self.repo, client: Self.client(server, cache: cache))
        let endpoint = server.endpoint.absoluteString
        server.stop()
        let offlineClient = Self.client(nil, cache: cache, extra: ["HF_HUB_OFFLINE": "1", "HF_ENDPOINT": endpoint])
        let offline = try HookedTransformer.fromPretrained(Self.repo, client: offlineClient)
        #expect(try Self.logits(offline) == Self.logits(online))
        // Not cached: a clear error naming the repo, the file and the missing ref.
        #expect {
            try HookedTransformer.fromPretrained("test-org/other", client: offlineClient)
        } throws: { error in
            let text = "\(error)"
            return text.contains("'config.json' of 'test-org/other'") && text.contains("HF_HUB_OFFLINE")
                && text.contains("models--test-org--other/refs/main")
        }
        // The server gone but not offline: the cached file is still found after the HEAD fails.
        let unreachable = Self.client(nil, cache: cache, extra: ["HF_ENDPOINT": endpoint, "HF_HUB_DOWNLOAD_TIMEOUT": "2"])
        let url = try unreachable.download(repo: Self.repo, file: "config.json")
        #expect(url.path.contains("/snapshots/"))
    }

    @Test func partialBlobResumesWithRange() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try HubTestServer.gpt2tiny()
        defer { server.stop() }
        let bytes = try Data(contentsOf: Self.fixtureWeights)
        let sha = try SHA256.hexDigest(ofFileAt: Self.fixtureWeights)
        let blobs = cache.appendingPathComponent("models--test-org--gpt2tiny/blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let half = bytes.count / 2
        try bytes.prefix(half).write(to: blobs.appendingPathComponent("\(sha).incomplete"))
        let client = Self.client(server, cache: cache)
        let url = try client.download(repo: Self.repo, file: "model.safetensors")
        #expect(try Data(contentsOf: url) == bytes)
        #expect(server.requests.contains { $0.path == "/cdn/\(sha)" && $0.headers["range"] == "bytes=\(half)-" })
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent("\(sha).incomplete").path))
        #expect(FileManager.default.fileExists(atPath: blobs.appendingPathComponent(sha).path))
    }

    @Test func corruptedLFSDownloadFailsWithSHA256AndLeavesNoBlob() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try HubTestServer.gpt2tiny(corruptLFS: true)
        defer { server.stop() }
        let sha = try SHA256.hexDigest(ofFileAt: Self.fixtureWeights)
        let client = Self.client(server, cache: cache)
        #expect {
            try client.download(repo: Self.repo, file: "model.safetensors")
        } throws: { error in
            guard case HubError.checksumMismatch(_, _, let expected, let found) = error else { return false }
            return expected == sha && found != sha && "\(error)".contains("SHA-256 mismatch")
        }
        let blobs = cache.appendingPathComponent("models--test-org--gpt2tiny/blobs")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: blobs.path))?.isEmpty ?? true)
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("models--test-org--gpt2tiny/snapshots/\(server.commit)/model.safetensors").path))
    }

    @Test func missingFilesAndRefusedTokensAreClearErrors() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try HubTestServer.gpt2tiny(token: "secret")
        defer { server.stop() }
        let good = Self.client(server, cache: cache, extra: ["HF_TOKEN": "secret"])
        #expect {
            try good.download(repo: Self.repo, file: "missing.bin")
        } throws: { error in
            guard case HubError.notFound(let url, _, _, let file) = error else { return false }
            return file == "missing.bin" && url.path.hasSuffix("/resolve/main/missing.bin") && "\(error)".contains("404")
        }
        #expect(try good.downloadIfPresent(repo: Self.repo, file: "tokenizer.json") == nil)
        #expect(throws: HubError.self) { try good.download(repo: "test-org/absent", file: "config.json") }

        for (extra, sent) in [([String: String](), false), (["HF_TOKEN": "wrong"], true)] {
            let client = Self.client(server, cache: cache, extra: extra)
            #expect {
                try client.download(repo: Self.repo, file: "config.json")
            } throws: { error in
                guard case HubError.unauthorized(_, 401, let tokenSent, _) = error else { return false }
                return tokenSent == sent && "\(error)".contains("HF_TOKEN")
            }
        }
        #expect(server.requests.contains { $0.headers["authorization"] == "Bearer secret" })
        // The token was not sent to the CDN host... which here is the same host; it is sent
        // only to resolve paths in this test server's log.
        let model = try HookedTransformer.fromPretrained(Self.repo, client: good)
        #expect(model.config.nLayers == 2)
        #expect(throws: HubError.invalidRepoID("../x")) { try good.download(repo: "../x", file: "config.json") }
    }

    @Test func shardedRepo() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let weights = try Data(contentsOf: Self.fixtureWeights)
        let header = try SafetensorsFile(contentsOf: Self.fixtureWeights)
        let index: [String: Any] = ["metadata": ["total_size": weights.count],
                                    "weight_map": Dictionary(uniqueKeysWithValues: header.entries.keys.map { ($0, "model-00001-of-00001.safetensors") })]
        let config = try Data(contentsOf: Fixtures.url("hf/gpt2tiny/config.json"))
        let server = try HubTestServer(repo: "test-org/sharded", files: [
            "config.json": (config, false),
            "model.safetensors.index.json": (try JSONSerialization.data(withJSONObject: index), false),
            "model-00001-of-00001.safetensors": (weights, true),
        ])
        defer { server.stop() }
        let model = try HookedTransformer.fromPretrained("test-org/sharded", client: Self.client(server, cache: cache))
        #expect(try Self.logits(model) == Self.logits(HookedTransformer.load(directory: Fixtures.url("hf/gpt2tiny"))))
        #expect(server.requests.contains { $0.method == "HEAD" && $0.path.hasSuffix("/resolve/\(server.commit)/model.safetensors") })
    }

    // MARK: One GGUF file of a repo

    static let ggufRepo = "test-org/llamatiny-gguf"
    static let ggufFixture = Fixtures.url("gguf/llamatiny.gguf")

    /// A repo holding the GGUF fixture (LFS) at its root and again in a folder, and a README (git).
    static func ggufServer() throws -> HubTestServer {
        let bytes = try Data(contentsOf: ggufFixture)
        return try HubTestServer(repo: ggufRepo, files: ["llamatiny.gguf": (bytes, true), "Q8/llamatiny-q8.gguf": (bytes, true),
                                                         "README.md": (Data("# llamatiny\n".utf8), false)])
    }

    @Test func ggufFileDownloadsIntoTheCacheAndLoadsLikeTheLocalFile() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try Self.ggufServer()
        defer { server.stop() }
        let client = Self.client(server, cache: cache)
        let seen = ProgressLog()
        let model = try HookedTransformer.fromPretrained(Self.ggufRepo, file: "llamatiny.gguf", client: client, progress: seen.add)
        let reference = try HookedTransformer.load(gguf: Self.ggufFixture)
        #expect(model.config == reference.config && model.config.nLayers == 2 && model.config.gatedMLP)
        #expect(model.stateDict == reference.stateDict)
        #expect(try Self.logits(model) == Self.logits(reference))

        // Layout: refs/main, the blob under its SHA-256 (an LFS file), the snapshot linking it.
        let folder = cache.appendingPathComponent("models--test-org--llamatiny-gguf")
        let sha = try SHA256.hexDigest(ofFileAt: Self.ggufFixture)
        #expect(try String(contentsOf: folder.appendingPathComponent("refs/main"), encoding: .utf8) == server.commit)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("blobs").path) == [sha])
        let snapshot = folder.appendingPathComponent("snapshots/\(server.commit)")
        let file = snapshot.appendingPathComponent("llamatiny.gguf")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: file.path) == "../../blobs/\(sha)")
        #expect(try Data(contentsOf: file) == Data(contentsOf: Self.ggufFixture))
        // Only that file was asked for: no config.json, tokenizer.json or weights of a model directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: snapshot.path) == ["llamatiny.gguf"])
        let requests = server.requests
        #expect(requests.allSatisfy { $0.path.hasSuffix("/llamatiny.gguf") || $0.path == "/cdn/\(sha)" }, "\(requests.map(\.path))")
        #expect(requests.filter { $0.method == "GET" && $0.path == "/cdn/\(sha)" }.count == 1)
        let size = Int64(try Data(contentsOf: Self.ggufFixture).count)
        #expect(seen.entries.contains { $0.file == "llamatiny.gguf" && $0.completedBytes == size && $0.totalBytes == size })

        // Again, processed: the cached blob is used (a HEAD, no second transfer); the result is
        // the local file's processed model.
        let processed = try HookedTransformer.fromPretrained(Self.ggufRepo, file: "llamatiny.gguf", process: true, client: client)
        #expect(try Self.logits(processed) == Self.logits(reference.processed()))
        // The same bytes under another path in a folder: linked to the same blob, not fetched again.
        let nested = try HookedTransformer.fromPretrained(Self.ggufRepo, file: "Q8/llamatiny-q8.gguf", client: client)
        #expect(try Self.logits(nested) == Self.logits(reference))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.appendingPathComponent("Q8/llamatiny-q8.gguf").path)
            == "../../../blobs/\(sha)")
        #expect(server.requests.filter { $0.method == "GET" && $0.path.hasPrefix("/cdn/") }.count == 1)
        // A commit hash as the revision, already cached: no request at all.
        let before = server.requests.count
        let pinned = try HookedTransformer.fromPretrained(Self.ggufRepo, file: "llamatiny.gguf", revision: server.commit, client: client)
        #expect(try Self.logits(pinned) == Self.logits(reference))
        #expect(server.requests.count == before)
    }

    @Test func ggufOfflineReusesTheCache() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try Self.ggufServer()
        let online = try HookedTransformer.fromPretrained(Self.ggufRepo, file: "llamatiny.gguf", client: Self.client(server, cache: cache))
        let endpoint = server.endpoint.absoluteString
        server.stop()
        let offlineClient = Self.client(nil, cache: cache, extra: ["HF_HUB_OFFLINE": "1", "HF_ENDPOINT": endpoint])
        let seen = ProgressLog()
        let offline = try HookedTransformer.fromPretrained(Self.ggufRepo, file: "llamatiny.gguf", client: offlineClient, progress: seen.add)
        #expect(try Self.logits(offline) == Self.logits(online))
        #expect(try Self.logits(offline) == Self.logits(HookedTransformer.load(gguf: Self.ggufFixture)))
        #expect(seen.entries.contains { $0.file == "llamatiny.gguf" })
        // A file of the repo that was never downloaded: not in the cache, said so.
        #expect {
            try HookedTransformer.fromPretrained(Self.ggufRepo, file: "Q8/llamatiny-q8.gguf", client: offlineClient)
        } throws: { error in
            guard case HubError.notCached(let repo, _, let file, _, _) = error else { return false }
            let text = "\(error)"
            return repo == Self.ggufRepo && file == "Q8/llamatiny-q8.gguf" && text.contains("HF_HUB_OFFLINE")
                && text.contains("snapshots/\(server.commit)/Q8/llamatiny-q8.gguf does not exist")
        }
    }

    @Test func missingOrInvalidGGUFFilesAreClearErrors() throws {
        let cache = try Self.temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let server = try Self.ggufServer()
        defer { server.stop() }
        let client = Self.client(server, cache: cache)
        // Not in the repo: a 404 naming the file, the repo and the revision.
        #expect {
            try HookedTransformer.fromPretrained(Self.ggufRepo, file: "llamatiny-Q4_K_M.gguf", client: client)
        } throws: { error in
            guard case HubError.notFound(let url, let repo, let revision, let file) = error else { return false }
            return file == "llamatiny-Q4_K_M.gguf" && repo == Self.ggufRepo && revision == "main"
                && url.path.hasSuffix("/resolve/main/llamatiny-Q4_K_M.gguf")
                && "\(error)".contains("not found (404): no file 'llamatiny-Q4_K_M.gguf' in repo '\(Self.ggufRepo)'")
        }
        // No such repo or revision.
        #expect(throws: HubError.self) { try HookedTransformer.fromPretrained("test-org/absent", file: "llamatiny.gguf", client: client) }
        #expect {
            try HookedTransformer.fromPretrained(Self.ggufRepo, file: "llamatiny.gguf", revision: "v9", client: client)
        } throws: { error in
            guard case HubError.notFound(_, _, let revision, _) = error else { return false }
            return revision == "v9"
        }
        // Downloaded, but not a GGUF file: the reader's error names the cached file.
        #expect {
            try HookedTransformer.fromPretrained(Self.ggufRepo, file: "README.md", client: client)
        } throws: { error in
            guard case GGUFError.badMagic(let path, _) = error else { return false }
            return path.hasSuffix("snapshots/\(server.commit)/README.md")
        }
        // Nothing was left half-written.
        let blobs = cache.appendingPathComponent("models--test-org--llamatiny-gguf/blobs")
        #expect(try FileManager.default.contentsOfDirectory(atPath: blobs.path).allSatisfy { !$0.hasSuffix(".incomplete") })
    }

    /// `lens` takes a Hugging Face repo id where it takes a model: `lens cache` on the local hub
    /// (HF_ENDPOINT and HF_HUB_CACHE set in the child process only).
    @Test func lensCommandsTakeARepoID() throws {
        let server = try HubTestServer.gpt2tiny(token: nil)
        defer { server.stop() }
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("lens-hub-\(UUID().uuidString)")
        let out = cache.appendingPathComponent("acts.safetensors")
        defer { try? FileManager.default.removeItem(at: cache) }
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        let run = try BuiltExecutable.run("lens", ["cache", server.repo, "--tokens", "[[1, 2, 3]]", "--out", out.path,
                                                   "--names", "blocks.0.hook_resid_post"],
                                          environment: ["HF_ENDPOINT": server.endpoint.absoluteString,
                                                        "HF_HUB_CACHE": cache.appendingPathComponent("hub").path])
        #expect(run.status == 0, "\(run.combined)")
        #expect(try SafetensorsFile(contentsOf: out).entries["blocks.0.hook_resid_post"] != nil)
    }
}

/// Progress reports collected from any thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [HubProgress] = []
    var entries: [HubProgress] { lock.lock(); defer { lock.unlock() }; return list }
    func add(_ progress: HubProgress) { lock.lock(); list.append(progress); lock.unlock() }
}
