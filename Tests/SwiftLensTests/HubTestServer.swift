import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import SwiftLens

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port, one background thread, one connection
/// at a time, `Connection: close`) that serves the Hugging Face Hub's resolve endpoints from an
/// in-memory repository:
///
/// - `HEAD|GET /{repo}/resolve/{main|commit}/{file}`: `200` with `X-Repo-Commit`, `ETag` and the
///   body for a small file; for an LFS file a `302` to `http://127.0.0.1:port/cdn/{sha256}` with
///   `X-Linked-Etag` (the SHA-256) and `X-Linked-Size`;
/// - `GET /cdn/{sha256}`: the bytes (`206` with `Content-Range` for `Range: bytes=N-`);
/// - `404` (`X-Error-Code: EntryNotFound` / `RepositoryNotFound`) for what is not there;
/// - `401` on resolve paths unless `Authorization: Bearer {token}` matches, when a token is set.
///
/// Every request is logged (method, path, lowercased headers). `stop()` closes the socket and
/// joins the thread; tests call it with `defer`.
final class HubTestServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
    }

    struct RepoFile {
        var data: Data
        var lfs: Bool
        var sha256: String
    }

    let repo: String
    let commit = "0123456789abcdef0123456789abcdef01234567"
    let files: [String: RepoFile]
    let token: String?
    /// Send these bytes (same length, different content) for LFS bodies.
    let corruptLFS: Bool
    private(set) var port: UInt16 = 0

    private let lock = NSLock()
    private var log: [Request] = []
    private var socketFD: Int32 = -1
    private var running = true
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(repo: String, files: [String: (Data, lfs: Bool)], token: String? = nil, corruptLFS: Bool = false) throws {
        self.repo = repo
        var built: [String: RepoFile] = [:]
        for (name, (data, lfs)) in files {
            var hash = SHA256()
            data.withUnsafeBytes { hash.update($0) }
            built[name] = RepoFile(data: data, lfs: lfs, sha256: hash.hexDigest())
        }
        self.files = built
        self.token = token
        self.corruptLFS = corruptLFS
        try start()
    }

    /// The repo of the fixture `hf/gpt2tiny`: `config.json` (git) and `model.safetensors` (LFS).
    static func gpt2tiny(repo: String = "test-org/gpt2tiny", token: String? = nil, corruptLFS: Bool = false,
                         extra: [String: (Data, lfs: Bool)] = [:]) throws -> HubTestServer {
        let directory = Fixtures.url("hf/gpt2tiny")
        var files: [String: (Data, lfs: Bool)] = [
            "config.json": (try Data(contentsOf: directory.appendingPathComponent("config.json")), false),
            "model.safetensors": (try Data(contentsOf: directory.appendingPathComponent("model.safetensors")), true),
        ]
        files.merge(extra) { $1 }
        return try HubTestServer(repo: repo, files: files, token: token, corruptLFS: corruptLFS)
    }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    var requests: [Request] {
        lock.lock(); defer { lock.unlock() }
        return log
    }

    private func start() throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw HubError.io(path: "socket", reason: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw HubError.io(path: "bind/listen 127.0.0.1", reason: String(cString: strerror(errno)))
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        socketFD = fd
        let thread = Thread { [self] in
            self.serve()
            self.finished.signal()
        }
        self.thread = thread
        thread.start()
    }

    /// Stops accepting, closes the socket and waits for the thread (at most one poll period).
    func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        guard wasRunning else { return }
        finished.wait()
        close(socketFD)
    }

    deinit { stop() }

    private var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        return running
    }

    private func serve() {
        while isRunning {
            var descriptor = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { continue }
            #if canImport(Darwin)
            var yes: Int32 = 1
            setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
            #endif
            handle(client)
            close(client)
        }
    }

    private func readRequest(_ client: Int32) -> Request? {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let terminator: [UInt8] = [13, 10, 13, 10]
        while buffer.count < 65536 {
            var descriptor = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 5000) > 0 else { return nil }
            let count = recv(client, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffer += chunk[0..<count]
            if let end = buffer.indices.dropLast(3).first(where: { Array(buffer[$0..<$0 + 4]) == terminator }) {
                let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
                let parts = lines[0].split(separator: " ")
                guard parts.count >= 2 else { return nil }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return Request(method: String(parts[0]), path: String(parts[1]), headers: headers)
            }
        }
        return nil
    }

    private func send(_ client: Int32, status: Int, reason: String, headers: [String: String], body: Data, includeBody: Bool) {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        var all = headers
        all["Content-Length"] = all["Content-Length"] ?? String(body.count)
        all["Connection"] = "close"
        for (name, value) in all.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        var bytes = Data(head.utf8)
        if includeBody { bytes += body }
        bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                #if canImport(Glibc)
                let count = Glibc.send(client, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                #else
                let count = Darwin.send(client, raw.baseAddress! + sent, raw.count - sent, 0)
                #endif
                if count <= 0 { return }
                sent += count
            }
        }
    }

    private func handle(_ client: Int32) {
        guard let request = readRequest(client) else { return }
        lock.lock()
        log.append(request)
        lock.unlock()
        let includeBody = request.method != "HEAD"
        let path = request.path.removingPercentEncoding ?? request.path

        if path.hasPrefix("/cdn/") {
            let sha = String(path.dropFirst("/cdn/".count))
            guard let file = files.values.first(where: { $0.sha256 == sha }) else {
                return send(client, status: 404, reason: "Not Found", headers: [:], body: Data("no such object".utf8), includeBody: includeBody)
            }
            var data = file.data
            if corruptLFS { data = Data(data.map { $0 ^ 0x5a }) }
            if let range = request.headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
               let start = Int(range.dropFirst("bytes=".count).dropLast()), start < data.count {
                let slice = data.subdata(in: start..<data.count)
                return send(client, status: 206, reason: "Partial Content",
                            headers: ["Content-Range": "bytes \(start)-\(data.count - 1)/\(data.count)", "Accept-Ranges": "bytes"],
                            body: slice, includeBody: includeBody)
            }
            return send(client, status: 200, reason: "OK", headers: ["Accept-Ranges": "bytes"], body: data, includeBody: includeBody)
        }

        let prefix = "/\(repo)/resolve/"
        guard path.hasPrefix(prefix) else {
            return send(client, status: 404, reason: "Not Found", headers: ["X-Error-Code": "RepositoryNotFound"],
                        body: Data("Repository not found".utf8), includeBody: includeBody)
        }
        if let token, request.headers["authorization"] != "Bearer \(token)" {
            return send(client, status: 401, reason: "Unauthorized", headers: ["X-Error-Message": "Invalid credentials in Authorization header"],
                        body: Data("Invalid credentials".utf8), includeBody: includeBody)
        }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/") else {
            return send(client, status: 404, reason: "Not Found", headers: [:], body: Data(), includeBody: includeBody)
        }
        let revision = String(rest[..<slash]), name = String(rest[rest.index(after: slash)...])
        guard revision == "main" || revision == commit else {
            return send(client, status: 404, reason: "Not Found", headers: ["X-Error-Code": "RevisionNotFound"],
                        body: Data("Invalid rev id: \(revision)".utf8), includeBody: includeBody)
        }
        guard let file = files[name] else {
            return send(client, status: 404, reason: "Not Found", headers: ["X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit],
                        body: Data("Entry not found".utf8), includeBody: includeBody)
        }
        if file.lfs {
            return send(client, status: 302, reason: "Found",
                        headers: ["Location": "\(endpoint.absoluteString)/cdn/\(file.sha256)", "X-Repo-Commit": commit,
                                  "ETag": "\"\(String(file.sha256.reversed()).prefix(40))\"",
                                  "X-Linked-Etag": "\"\(file.sha256)\"", "X-Linked-Size": String(file.data.count)],
                        body: Data(), includeBody: includeBody)
        }
        let etag = String(file.sha256.prefix(40))
        send(client, status: 200, reason: "OK", headers: ["X-Repo-Commit": commit, "ETag": "\"\(etag)\""], body: file.data, includeBody: includeBody)
    }
}
