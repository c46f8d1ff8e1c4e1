import Foundation

/// Why a Hugging Face Hub download or cache lookup failed. Every case names the URL or file
/// involved and, where there is one, what was expected and what was found.
public enum HubError: Error, CustomStringConvertible, Equatable {
    /// The repo id is not `name` or `org/name` (no empty parts, no `..`).
    case invalidRepoID(String)
    /// `404`: the repository, revision or file does not exist (or is not visible with this token).
    case notFound(url: URL, repo: String, revision: String, file: String)
    /// `401`/`403`: the Hub refused the request; `tokenSent` says whether a token was sent.
    case unauthorized(url: URL, status: Int, tokenSent: Bool, message: String)
    /// Any other unexpected status.
    case httpStatus(url: URL, expected: String, found: Int, message: String)
    /// No answer (connection refused, timeout, interrupted transfer).
    case network(url: URL, reason: String)
    /// A header the download needs (`X-Repo-Commit`, `ETag`, a size) is missing or malformed.
    case missingHeader(url: URL, header: String)
    /// A redirect chain longer than ``HubClient/maximumRedirects``.
    case tooManyRedirects(url: URL)
    /// The downloaded file does not have the announced size.
    case sizeMismatch(url: URL, file: String, expected: Int64, found: Int64)
    /// The downloaded file's SHA-256 is not the LFS etag the Hub announced.
    case checksumMismatch(url: URL, file: String, expected: String, found: String)
    /// Offline (`HF_HUB_OFFLINE=1`, or the Hub unreachable) and the file is not in the cache.
    case notCached(repo: String, revision: String, file: String, cache: String, reason: String)
    /// Reading or writing the cache failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidRepoID(let id):
            return "invalid Hugging Face repo id '\(id)': expected 'org/name' or 'name' (no empty parts, no '..')"
        case .notFound(let url, let repo, let revision, let file):
            return "\(url.absoluteString): not found (404): no file '\(file)' in repo '\(repo)' at revision '\(revision)' (or the repo is private and needs HF_TOKEN)"
        case .unauthorized(let url, let status, let tokenSent, let message):
            let hint = tokenSent ? "the token in HF_TOKEN was refused" : "no token was sent; set HF_TOKEN for a private or gated repo"
            return "\(url.absoluteString): unauthorized (\(status)): \(hint)" + (message.isEmpty ? "" : " — server said: \(message)")
        case .httpStatus(let url, let expected, let found, let message):
            return "\(url.absoluteString): expected \(expected), found HTTP \(found)" + (message.isEmpty ? "" : " — server said: \(message)")
        case .network(let url, let reason):
            return "\(url.absoluteString): no answer from the Hub: \(reason) (set HF_HUB_OFFLINE=1 to use the cache only)"
        case .missingHeader(let url, let header):
            return "\(url.absoluteString): the response has no usable \(header) header"
        case .tooManyRedirects(let url):
            return "\(url.absoluteString): too many redirects (more than \(HubClient.maximumRedirects))"
        case .sizeMismatch(let url, let file, let expected, let found):
            return "\(file) (from \(url.absoluteString)): expected \(expected) bytes, found \(found)"
        case .checksumMismatch(let url, let file, let expected, let found):
            return "\(file) (from \(url.absoluteString)): SHA-256 mismatch: expected \(expected), found \(found); the download was discarded"
        case .notCached(let repo, let revision, let file, let cache, let reason):
            return "'\(file)' of '\(repo)' at revision '\(revision)' is not in the Hugging Face cache \(cache) (\(reason))"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
