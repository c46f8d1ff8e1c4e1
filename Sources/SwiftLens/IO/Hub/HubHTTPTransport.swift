import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange as the hub client sees it: the status and headers of the first response
/// (redirects are never followed here — ``HubClient`` follows them itself, so the metadata of a
/// `302` stays visible and the token is not sent off the Hub), and the body when it was not
/// streamed to a file.
struct HubHTTPResponse: Sendable {
    /// The URL that was requested.
    var url: URL
    var status: Int
    /// Header names lowercased.
    var headers: [String: String]
    /// The body, when no file took it (at most ``HubHTTPTransport/maximumKeptBody`` bytes).
    var body: Data

    func header(_ name: String) -> String? { headers[name.lowercased()] }
    var isRedirect: Bool { (300..<400).contains(status) && header("Location") != nil }
    /// The body as text for an error message (truncated), or "" when there is none.
    var bodyText: String {
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text
    }
}

/// Synchronous HTTP on top of `URLSession`, one session per request, redirects not followed.
///
/// The body of a `200`/`206` answer goes to `sink` (appended as it arrives, `onBytes` told of
/// every piece); any other body is kept in memory (for the error message).
enum HubHTTPTransport {
    static let maximumKeptBody = 64 << 10

    /// - Parameter restartOn200: a ranged request answered `200` (the whole file): truncate
    ///   `sink` to zero before writing, and call `onRestart`.
    static func send(_ request: URLRequest, sink: FileHandle? = nil, restartOn200: Bool = false,
                     onRestart: (@Sendable () -> Void)? = nil,
                     onBytes: (@Sendable (Int) -> Void)? = nil) throws -> HubHTTPResponse {
        let delegate = TaskDelegate(sink: sink, restartOn200: restartOn200, onRestart: onRestart, onBytes: onBytes)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = request.timeoutInterval
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        delegate.done.wait()
        return try delegate.result(for: request)
    }
}

/// Collects one task's response; every field is guarded by `lock` (callbacks arrive on the
/// session's serial queue, the result is read by the waiting thread).
private final class TaskDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let lock = NSLock()
    let done = DispatchSemaphore(value: 0)
    private var response: HTTPURLResponse?
    private var body = Data()
    private var sink: FileHandle?
    private var onBytes: (@Sendable (Int) -> Void)?
    private let restartOn200: Bool
    private let onRestart: (@Sendable () -> Void)?
    private var writeError: Error?
    private var taskError: Error?

    init(sink: FileHandle?, restartOn200: Bool, onRestart: (@Sendable () -> Void)?, onBytes: (@Sendable (Int) -> Void)?) {
        self.sink = sink
        self.restartOn200 = restartOn200
        self.onRestart = onRestart
        self.onBytes = onBytes
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        self.response = response as? HTTPURLResponse
        if restartOn200, self.response?.statusCode == 200, let sink {
            do {
                try sink.truncate(atOffset: 0)
                onRestart?()
            } catch { writeError = error }
        }
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        let status = response?.statusCode ?? (dataTask.response as? HTTPURLResponse)?.statusCode ?? 0
        if let sink, status == 200 || status == 206 {
            if writeError == nil {
                do { try sink.write(contentsOf: data) } catch {
                    writeError = error
                    dataTask.cancel()
                }
            }
            let report = onBytes
            lock.unlock()
            if writeError == nil { report?(data.count) }
            return
        }
        if body.count < HubHTTPTransport.maximumKeptBody { body.append(data.prefix(HubHTTPTransport.maximumKeptBody - body.count)) }
        lock.unlock()
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        taskError = error
        if response == nil { response = task.response as? HTTPURLResponse }
        lock.unlock()
        done.signal()
    }

    func result(for request: URLRequest) throws -> HubHTTPResponse {
        lock.lock()
        defer { lock.unlock() }
        let url = request.url!
        if let writeError {
            throw HubError.io(path: "(download of \(url.absoluteString))", reason: "\(writeError)")
        }
        // A task that was answered and then redirected-but-not-followed completes with the
        // redirect response; a transport failure has no response.
        guard let response else {
            throw HubError.network(url: url, reason: taskError.map { ($0 as NSError).localizedDescription } ?? "no response")
        }
        if let taskError {
            // An interrupted body: the partial file stays for a later resume.
            throw HubError.network(url: url, reason: (taskError as NSError).localizedDescription)
        }
        var headers: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
        }
        return HubHTTPResponse(url: url, status: response.statusCode, headers: headers, body: body)
    }
}
