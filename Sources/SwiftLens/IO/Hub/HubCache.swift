import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard Hugging Face cache (the one `huggingface_hub` and `transformers` share), so a
/// model downloaded by Python is found here and the other way round.
///
/// Layout, under ``root``:
///
/// ```text
/// models--org--name/
///   blobs/<etag>                         file contents, named by the Hub's etag
///   blobs/<etag>.incomplete              a download in progress (resumed with Range)
///   snapshots/<commit>/<path>            relative symlink ../../blobs/<etag> (a copy without symlinks)
///   refs/<revision>                      the commit a branch or tag resolved to (no newline)
/// ```
///
/// The root is `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, where `HF_HOME`
/// defaults to `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`.
public struct HubCache: Sendable, Equatable {
    /// The cache directory (`…/huggingface/hub`).
    public var root: URL
    /// Copy blobs into snapshots instead of symlinking them (`HF_HUB_DISABLE_SYMLINKS`).
    public var disableSymlinks: Bool

    /// A cache at `root`.
    public init(root: URL, disableSymlinks: Bool = false) {
        self.root = root.standardizedFileURL
        self.disableSymlinks = disableSymlinks
    }

    /// The cache the environment names (see the type's documentation).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let root: String
        if let value = Self.nonEmpty(environment["HF_HUB_CACHE"]) ?? Self.nonEmpty(environment["HUGGINGFACE_HUB_CACHE"]) {
            root = Self.expand(value, environment)
        } else {
            root = (Self.home(environment) as NSString).appendingPathComponent("hub")
        }
        self.init(root: URL(fileURLWithPath: root, isDirectory: true),
                  disableSymlinks: HubClient.isTrue(environment["HF_HUB_DISABLE_SYMLINKS"]))
    }

    /// `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`, expanded.
    static func home(_ environment: [String: String]) -> String {
        if let value = nonEmpty(environment["HF_HOME"]) { return expand(value, environment) }
        let xdg = nonEmpty(environment["XDG_CACHE_HOME"]).map { expand($0, environment) }
            ?? (userHome(environment) as NSString).appendingPathComponent(".cache")
        return (xdg as NSString).appendingPathComponent("huggingface")
    }

    private static func userHome(_ environment: [String: String]) -> String {
        nonEmpty(environment["HOME"]) ?? FileManager.default.homeDirectoryForCurrentUser.path
    }

    static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// `~` and `$NAME` / `${NAME}` expanded from `environment`.
    static func expand(_ path: String, _ environment: [String: String]) -> String {
        var path = path
        if path == "~" || path.hasPrefix("~/") { path = userHome(environment) + path.dropFirst() }
        guard path.contains("$") else { return path }
        var result = ""
        var index = path.startIndex
        while index < path.endIndex {
            let character = path[index]
            guard character == "$" else { result.append(character); index = path.index(after: index); continue }
            var nameStart = path.index(after: index)
            let braced = nameStart < path.endIndex && path[nameStart] == "{"
            if braced { nameStart = path.index(after: nameStart) }
            var nameEnd = nameStart
            while nameEnd < path.endIndex, path[nameEnd].isLetter || path[nameEnd].isNumber || path[nameEnd] == "_" {
                nameEnd = path.index(after: nameEnd)
            }
            let name = String(path[nameStart..<nameEnd])
            if name.isEmpty || (braced && (nameEnd == path.endIndex || path[nameEnd] != "}")) {
                result.append(character); index = path.index(after: index); continue
            }
            result += environment[name] ?? ""
            index = braced ? path.index(after: nameEnd) : nameEnd
        }
        return result
    }

    // MARK: Paths

    /// `models--org--name` for `org/name`.
    public static func folderName(repo: String) -> String {
        (["models"] + repo.split(separator: "/").map(String.init)).joined(separator: "--")
    }

    /// The repository's folder in the cache.
    public func repoDirectory(repo: String) -> URL {
        root.appendingPathComponent(Self.folderName(repo: repo), isDirectory: true)
    }

    /// `blobs/<etag>`.
    public func blob(repo: String, etag: String) -> URL {
        repoDirectory(repo: repo).appendingPathComponent("blobs").appendingPathComponent(etag)
    }

    /// `snapshots/<commit>`.
    public func snapshotDirectory(repo: String, commit: String) -> URL {
        repoDirectory(repo: repo).appendingPathComponent("snapshots").appendingPathComponent(commit, isDirectory: true)
    }

    /// `snapshots/<commit>/<file>`.
    public func snapshotFile(repo: String, commit: String, file: String) -> URL {
        snapshotDirectory(repo: repo, commit: commit).appendingPathComponent(file)
    }

    /// `refs/<revision>` (a revision with `/`, like `refs/pr/1`, is a nested path).
    public func ref(repo: String, revision: String) -> URL {
        repoDirectory(repo: repo).appendingPathComponent("refs").appendingPathComponent(revision)
    }

    /// Whether `revision` is a full 40-hex commit hash.
    public static func isCommitHash(_ revision: String) -> Bool {
        revision.utf8.count == 40 && revision.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    // MARK: Lookup

    /// The commit `revision` stands for in the cache: itself when it is a commit hash, else the
    /// contents of `refs/<revision>`, or nil when there is no such ref.
    public func commit(repo: String, revision: String) -> String? {
        if Self.isCommitHash(revision) { return revision }
        guard let data = try? Data(contentsOf: ref(repo: repo, revision: revision)) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Self.isCommitHash(text) ? text : nil
    }

    /// The cached `file` of `repo` at `revision`, or nil when the ref or the snapshot file is
    /// missing (a dangling symlink counts as missing).
    public func cachedFile(repo: String, revision: String, file: String) -> URL? {
        guard let commit = commit(repo: repo, revision: revision) else { return nil }
        let url = snapshotFile(repo: repo, commit: commit, file: file)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    // MARK: Writing

    /// Writes `refs/<revision>` = `commit` atomically (no trailing newline); nothing for a
    /// revision that is the commit itself.
    public func writeRef(repo: String, revision: String, commit: String) throws {
        guard revision != commit else { return }
        let url = ref(repo: repo, revision: revision)
        if let existing = try? Data(contentsOf: url), existing == Data(commit.utf8) { return }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(commit.utf8).write(to: url, options: .atomic)
        } catch {
            throw HubError.io(path: url.path, reason: "cannot write the ref: \(error.localizedDescription)")
        }
    }

    /// Points `snapshots/<commit>/<file>` at `blobs/<etag>`: a relative symlink
    /// (`../../blobs/<etag>`, one more `../` per directory in `file`) put in place with an
    /// atomic rename, or a copy when symlinks are disabled or unsupported.
    @discardableResult
    public func linkSnapshot(repo: String, commit: String, file: String, etag: String) throws -> URL {
        let target = snapshotFile(repo: repo, commit: commit, file: file)
        let blobURL = blob(repo: repo, etag: etag)
        let manager = FileManager.default
        let directory = target.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            let depth = file.split(separator: "/").count - 1
            let relative = String(repeating: "../", count: depth + 2) + "blobs/" + etag
            var linked = false
            if !disableSymlinks {
                linked = (try? manager.createSymbolicLink(atPath: temporary.path, withDestinationPath: relative)) != nil
            }
            if !linked { try manager.copyItem(at: blobURL, to: temporary) }
            guard rename(temporary.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? manager.removeItem(at: temporary)
                throw HubError.io(path: target.path, reason: "cannot put the snapshot file in place: \(reason)")
            }
        } catch let error as HubError {
            throw error
        } catch {
            try? manager.removeItem(at: temporary)
            throw HubError.io(path: target.path, reason: "cannot create the snapshot file: \(error.localizedDescription)")
        }
        return target
    }
}
