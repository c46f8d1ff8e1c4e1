import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dependency-free client for Hugging Face Hub downloads into the standard cache
/// (``HubCache``), the way `huggingface_hub.hf_hub_download` does it.
///
/// ```swift
/// let hub = HubClient()                                  // HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE
/// let config = try hub.download(repo: "gpt2", file: "config.json")
/// ```
///
/// One file's download: `HEAD {endpoint}/{repo}/resolve/{revision}/{file}` (relative redirects
/// followed, absolute ones — the CDN — not, so the `302`'s headers are read) gives the commit
/// (`X-Repo-Commit`), the etag (`X-Linked-Etag`, else `ETag`) and the size (`X-Linked-Size`,
/// else `Content-Length`); `refs/<revision>` is written; a blob already in the cache is only
/// linked; otherwise the file is fetched (redirects followed, the token dropped off the
/// endpoint's host) into `blobs/<etag>.incomplete` — resuming from its length with `Range` —,
/// its size checked, its SHA-256 checked when the etag is one (an LFS file), renamed into
/// `blobs/<etag>` and linked from `snapshots/<commit>/<file>`.
///
/// Offline (`HF_HUB_OFFLINE=1`) no request is made: files come from `refs` and `snapshots`
/// only. When the Hub cannot be reached, a cached file is used as well.
public struct HubClient: Sendable {
    /// The Hub's address, without a trailing `/` (`HF_ENDPOINT`, default `https://huggingface.co`).
    public var endpoint: URL
    /// The token sent as `Authorization: Bearer …` (`HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, or
    /// the file `HF_TOKEN_PATH` / `$HF_HOME/token`).
    public var token: String?
    /// Where files are stored.
    public var cache: HubCache
    /// No network at all (`HF_HUB_OFFLINE` or `TRANSFORMERS_OFFLINE` true).
    public var offline: Bool
    /// Seconds to wait for an answer (`HF_HUB_DOWNLOAD_TIMEOUT`, default 10).
    public var timeout: TimeInterval

    /// Redirects followed before giving up.
    public static let maximumRedirects = 10

    /// A client configured explicitly.
    public init(endpoint: URL, token: String? = nil, cache: HubCache, offline: Bool = false, timeout: TimeInterval = 10) {
        var text = endpoint.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.endpoint = URL(string: text) ?? endpoint
        self.token = token
        self.cache = cache
        self.offline = offline
        self.timeout = timeout
    }

    /// A client configured from `environment` (the process's by default; tests pass their own).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let endpoint = HubCache.nonEmpty(environment["HF_ENDPOINT"]).flatMap(URL.init(string:))
            ?? URL(string: "https://huggingface.co")!
        var token = HubCache.nonEmpty(environment["HF_TOKEN"]) ?? HubCache.nonEmpty(environment["HUGGING_FACE_HUB_TOKEN"])
        if token == nil {
            let path = HubCache.nonEmpty(environment["HF_TOKEN_PATH"]).map { HubCache.expand($0, environment) }
                ?? (HubCache.home(environment) as NSString).appendingPathComponent("token")
            if let data = FileManager.default.contents(atPath: path) {
                token = HubCache.nonEmpty(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let timeout = HubCache.nonEmpty(environment["HF_HUB_DOWNLOAD_TIMEOUT"]).flatMap(Double.init) ?? 10
        self.init(endpoint: endpoint, token: token, cache: HubCache(environment: environment),
                  offline: Self.isTrue(environment["HF_HUB_OFFLINE"]) || Self.isTrue(environment["TRANSFORMERS_OFFLINE"]),
                  timeout: timeout)
    }

    /// `1`, `ON`, `YES`, `TRUE` (any case), as huggingface_hub reads boolean variables.
    static func isTrue(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["1", "on", "yes", "true"].contains(value.trimmingCharacters(in: .whitespaces).lowercased())
    }

    // MARK: URLs

    /// `{endpoint}/{repo}/resolve/{revision}/{file}`: the revision percent-encoded with no
    /// safe characters (`refs/pr/1` → `refs%2Fpr%2F1`), the file path keeping its `/`.
    public func resolveURL(repo: String, revision: String, file: String) -> URL {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let encodedRevision = revision.addingPercentEncoding(withAllowedCharacters: unreserved) ?? revision
        let encodedFile = file.split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).addingPercentEncoding(withAllowedCharacters: unreserved) ?? String($0) }
            .joined(separator: "/")
        return URL(string: "\(endpoint.absoluteString)/\(repo)/resolve/\(encodedRevision)/\(encodedFile)")!
    }

    /// Checks that `repo` is `name` or `org/name` with no empty or dot-dot parts.
    static func validate(repo: String, file: String) throws {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0 != ".." && $0 != "." && !$0.contains("--") }) else {
            throw HubError.invalidRepoID(repo)
        }
        let fileParts = file.split(separator: "/", omittingEmptySubsequences: false)
        guard !file.isEmpty, fileParts.allSatisfy({ !$0.isEmpty && $0 != ".." && $0 != "." }) else {
            throw HubError.io(path: file, reason: "not a relative file path inside a repository")
        }
    }

    // MARK: Download

    /// The metadata a `HEAD` on a resolve URL gives.
    struct FileMetadata {
        var commit: String
        var etag: String
        var size: Int64?
        /// Where the bytes are (the redirect target, or the resolve URL itself).
        var location: URL
    }

    /// Downloads `file` of `repo` at `revision` into the cache (or finds it there) and returns
    /// its path under `snapshots/<commit>/`.
    ///
    /// - Throws: ``HubError`` — `.notFound` for a `404`, `.unauthorized` for `401`/`403`,
    ///   `.sizeMismatch` / `.checksumMismatch` for a bad download (an LFS file with a wrong
    ///   hash is deleted; a short one is kept as `.incomplete` for the next call to resume),
    ///   `.notCached` offline.
    @discardableResult
    public func download(repo: String, file: String, revision: String = "main",
                         progress: (@Sendable (HubProgress) -> Void)? = nil) throws -> URL {
        try Self.validate(repo: repo, file: file)
        if offline {
            guard let url = cache.cachedFile(repo: repo, revision: revision, file: file) else {
                throw notCached(repo: repo, revision: revision, file: file, reason: "HF_HUB_OFFLINE is set")
            }
            report(progress, file: file, url: url)
            return url
        }
        if HubCache.isCommitHash(revision), let url = cache.cachedFile(repo: repo, revision: revision, file: file) {
            report(progress, file: file, url: url)
            return url
        }
        let resolve = resolveURL(repo: repo, revision: revision, file: file)
        let metadata: FileMetadata
        do {
            metadata = try head(resolve, repo: repo, revision: revision, file: file)
        } catch HubError.network(let url, let reason) {
            // As huggingface_hub does: an unreachable Hub falls back to the cache.
            if let cached = cache.cachedFile(repo: repo, revision: revision, file: file) {
                report(progress, file: file, url: cached)
                return cached
            }
            throw HubError.network(url: url, reason: reason)
        }
        try cache.writeRef(repo: repo, revision: revision, commit: metadata.commit)
        let snapshot = cache.snapshotFile(repo: repo, commit: metadata.commit, file: file)
        if FileManager.default.fileExists(atPath: snapshot.path) {
            report(progress, file: file, url: snapshot)
            return snapshot
        }
        let blob = cache.blob(repo: repo, etag: metadata.etag)
        if !FileManager.default.fileExists(atPath: blob.path) {
            try fetch(metadata, to: blob, file: file, resolve: resolve, repo: repo, revision: revision, progress: progress)
        }
        let linked = try cache.linkSnapshot(repo: repo, commit: metadata.commit, file: file, etag: metadata.etag)
        report(progress, file: file, url: linked)
        return linked
    }

    /// Downloads `file` like ``download(repo:file:revision:progress:)`` but returns nil when the
    /// Hub says it does not exist (or, offline, when it is not cached).
    public func downloadIfPresent(repo: String, file: String, revision: String = "main",
                                  progress: (@Sendable (HubProgress) -> Void)? = nil) throws -> URL? {
        do {
            return try download(repo: repo, file: file, revision: revision, progress: progress)
        } catch HubError.notFound {
            return nil
        } catch HubError.notCached where offline {
            return nil
        }
    }

    private func notCached(repo: String, revision: String, file: String, reason: String) -> HubError {
        let detail: String
        if let commit = cache.commit(repo: repo, revision: revision) {
            detail = "\(reason); \(cache.snapshotFile(repo: repo, commit: commit, file: file).path) does not exist"
        } else {
            detail = "\(reason); no \(cache.ref(repo: repo, revision: revision).path)"
        }
        return .notCached(repo: repo, revision: revision, file: file, cache: cache.root.path, reason: detail)
    }

    private func report(_ progress: (@Sendable (HubProgress) -> Void)?, file: String, url: URL) {
        guard let progress else { return }
        let size = Self.fileSize(url.path) ?? 0
        progress(HubProgress(file: file, completedBytes: size, totalBytes: size))
    }

    static func fileSize(_ path: String) -> Int64? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value
    }

    private func request(_ url: URL, method: String, authorized: Bool) -> URLRequest {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("swiftlens", forHTTPHeaderField: "User-Agent")
        if authorized, let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    /// Whether `url` is on the endpoint's scheme, host and port (where the token may go).
    private func isOnHub(_ url: URL) -> Bool {
        url.scheme == endpoint.scheme && url.host == endpoint.host && url.port == endpoint.port
    }

    /// Throws the ``HubError`` for a failed status.
    private func check(_ response: HubHTTPResponse, repo: String, revision: String, file: String, expected: String) throws {
        switch response.status {
        case 200..<300: return
        case 404: throw HubError.notFound(url: response.url, repo: repo, revision: revision, file: file)
        case 401, 403:
            throw HubError.unauthorized(url: response.url, status: response.status, tokenSent: token != nil && isOnHub(response.url),
                                        message: response.header("X-Error-Message") ?? response.bodyText)
        default:
            throw HubError.httpStatus(url: response.url, expected: expected, found: response.status,
                                      message: response.header("X-Error-Message") ?? response.bodyText)
        }
    }

    /// `HEAD` on the resolve URL, following only relative redirects.
    func head(_ url: URL, repo: String, revision: String, file: String) throws -> FileMetadata {
        var current = url
        for _ in 0...Self.maximumRedirects {
            let response = try HubHTTPTransport.send(request(current, method: "HEAD", authorized: isOnHub(current)))
            if response.isRedirect, let location = response.header("Location"), !Self.isAbsolute(location),
               let next = URL(string: location, relativeTo: current)?.absoluteURL {
                current = next
                continue
            }
            if !response.isRedirect {
                try check(response, repo: repo, revision: revision, file: file, expected: "200 or a redirect")
            }
            let commit = response.header("X-Repo-Commit").map { $0.trimmingCharacters(in: .whitespaces) }
                ?? (HubCache.isCommitHash(revision) ? revision : nil)
            guard let commit, HubCache.isCommitHash(commit) else { throw HubError.missingHeader(url: current, header: "X-Repo-Commit") }
            guard let etag = (response.header("X-Linked-Etag") ?? response.header("ETag")).map(Self.normalizeEtag),
                  !etag.isEmpty, !etag.contains("/"), etag != ".", etag != ".." else {
                throw HubError.missingHeader(url: current, header: "ETag")
            }
            var size = response.header("X-Linked-Size").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            if size == nil, !response.isRedirect {
                size = response.header("Content-Length").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            }
            let location = response.header("Location").flatMap { URL(string: $0, relativeTo: current)?.absoluteURL } ?? current
            return FileMetadata(commit: commit, etag: etag, size: size, location: location)
        }
        throw HubError.tooManyRedirects(url: url)
    }

    static func isAbsolute(_ location: String) -> Bool {
        location.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) != nil
    }

    /// `W/"abc"` → `abc`.
    static func normalizeEtag(_ etag: String) -> String {
        var text = etag.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("W/") { text.removeFirst(2) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Whether `etag` is a SHA-256 (64 lowercase hex digits): the Hub's etag of an LFS file.
    static func isSHA256(_ etag: String) -> Bool {
        etag.utf8.count == 64 && etag.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// GETs the file into `blobs/<etag>.incomplete` (resuming), checks it, renames it to `blob`.
    private func fetch(_ metadata: FileMetadata, to blob: URL, file: String, resolve: URL, repo: String, revision: String,
                       progress: (@Sendable (HubProgress) -> Void)?) throws {
        let manager = FileManager.default
        let partial = blob.deletingLastPathComponent().appendingPathComponent(blob.lastPathComponent + ".incomplete")
        do {
            try manager.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw HubError.io(path: blob.deletingLastPathComponent().path, reason: "cannot create the blobs directory: \(error.localizedDescription)")
        }
        var offset = Self.fileSize(partial.path) ?? 0
        if let size = metadata.size, offset > size {
            try? manager.removeItem(at: partial)
            offset = 0
        }
        if !manager.fileExists(atPath: partial.path) {
            guard manager.createFile(atPath: partial.path, contents: nil) else {
                throw HubError.io(path: partial.path, reason: "cannot create the partial download")
            }
        }
        let total = metadata.size
        if let size = total, offset == size, offset > 0 {
            // Fully downloaded earlier but not yet checked and renamed.
        } else {
            try get(metadata.location, into: partial, offset: offset, file: file, total: total,
                    repo: repo, revision: revision, progress: progress)
        }
        let found = Self.fileSize(partial.path) ?? 0
        if let expected = total, found != expected {
            if found > expected { try? manager.removeItem(at: partial) }
            throw HubError.sizeMismatch(url: resolve, file: partial.path, expected: expected, found: found)
        }
        if Self.isSHA256(metadata.etag) {
            let digest: String
            do { digest = try SHA256.hexDigest(ofFileAt: partial) } catch {
                throw HubError.io(path: partial.path, reason: "cannot hash the download: \(error)")
            }
            guard digest == metadata.etag else {
                try? manager.removeItem(at: partial)
                throw HubError.checksumMismatch(url: resolve, file: blob.path, expected: metadata.etag, found: digest)
            }
        }
        guard rename(partial.path, blob.path) == 0 else {
            throw HubError.io(path: blob.path, reason: "cannot rename \(partial.lastPathComponent) into place: \(String(cString: strerror(errno)))")
        }
    }

    /// One GET (following redirects, the token only on the Hub's host) appending to `partial`.
    private func get(_ url: URL, into partial: URL, offset start: Int64, file: String, total: Int64?,
                     repo: String, revision: String, progress: (@Sendable (HubProgress) -> Void)?) throws {
        var current = url
        var offset = start
        for _ in 0...Self.maximumRedirects {
            var request = request(current, method: "GET", authorized: isOnHub(current))
            if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
            let handle: FileHandle
            do {
                handle = try FileHandle(forWritingTo: partial)
                try handle.seekToEnd()
            } catch {
                throw HubError.io(path: partial.path, reason: "cannot open the partial download: \(error.localizedDescription)")
            }
            // A `200` to a ranged request is the whole file: the transport truncates the
            // partial file before writing and the counter starts again from zero.
            let counter = Counter(file: file, start: offset, total: total, progress: progress)
            progress?(HubProgress(file: file, completedBytes: offset, totalBytes: total))
            let response: HubHTTPResponse
            do {
                response = try HubHTTPTransport.send(request, sink: handle, restartOn200: offset > 0,
                                                     onRestart: counter.restart, onBytes: counter.add)
                try? handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            if response.isRedirect, let location = response.header("Location"),
               let next = URL(string: location, relativeTo: current)?.absoluteURL {
                current = next
                continue
            }
            try check(response, repo: repo, revision: revision, file: file, expected: offset > 0 ? "206 Partial Content" : "200")
            if offset > 0, response.status == 206 {
                let range = response.header("Content-Range") ?? ""
                guard range.hasPrefix("bytes \(offset)-") else {
                    try? FileManager.default.removeItem(at: partial)
                    throw HubError.httpStatus(url: current, expected: "Content-Range: bytes \(offset)-…", found: response.status,
                                              message: "Content-Range: \(range)")
                }
            }
            offset = 0
            return
        }
        throw HubError.tooManyRedirects(url: url)
    }
}

/// Reports the bytes of one GET as progress.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var done: Int64
    let file: String
    let total: Int64?
    let progress: (@Sendable (HubProgress) -> Void)?

    init(file: String, start: Int64, total: Int64?, progress: (@Sendable (HubProgress) -> Void)?) {
        self.done = start
        self.file = file
        self.total = total
        self.progress = progress
    }

    func restart() {
        lock.lock()
        done = 0
        lock.unlock()
    }

    func add(_ count: Int) {
        lock.lock()
        done += Int64(count)
        let value = done
        lock.unlock()
        progress?(HubProgress(file: file, completedBytes: value, totalBytes: total))
    }
}
