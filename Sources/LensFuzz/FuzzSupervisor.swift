#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The parent side of the long mode: runs cases in child processes (this executable relaunched
/// as a ``FuzzWorker`` on a range of cases), so that a trap, an allocation failure or a hang
/// ends one child, is counted against the case that was running, and the run continues with
/// a new child from the next case.
///
/// A case running longer than ``timeLimit`` is a hang: the child is killed. A child that dies
/// is a trap, or an abort if the runtime says an allocation failed (children run under an
/// address-space limit, so a huge allocation fails at once). Its standard error gives the
/// runtime's message and the first stack frames in SwiftLens sources.
public struct FuzzSupervisor: Sendable {
    /// The executable to relaunch.
    public var executable: URL
    /// The command line that makes the executable run cases `range` as a worker.
    public var workerArguments: @Sendable (Range<Int>) -> [String]
    /// Seconds one case may run before it counts as a hang.
    public var timeLimit: Double
    /// Cases per child process (a child is also restarted after every crash).
    public var batchSize: Int
    /// Child processes run at once.
    public var jobs: Int
    /// Makes the case a crashed child was running, to describe it.
    public var generator: FuzzCaseGenerator

    public init(executable: URL, generator: FuzzCaseGenerator, timeLimit: Double = 20, batchSize: Int = 1000, jobs: Int = 1,
                workerArguments: @escaping @Sendable (Range<Int>) -> [String]) {
        self.executable = executable
        self.generator = generator
        self.timeLimit = timeLimit
        self.batchSize = max(1, batchSize)
        self.jobs = max(1, jobs)
        self.workerArguments = workerArguments
    }

    /// Runs `range`, calling `progress` (from any thread, one call at a time) after each case.
    public func run(_ range: Range<Int>, progress: @escaping @Sendable (FuzzResult) -> Void = { _ in }) -> [FuzzResult] {
        let collected = Collected()
        let chunk = (range.count + jobs - 1) / jobs
        let chunks = stride(from: range.lowerBound, to: range.upperBound, by: max(chunk, 1)).map { $0..<min($0 + chunk, range.upperBound) }
        DispatchQueue.concurrentPerform(iterations: chunks.count) { i in
            supervise(chunks[i]) { collected.add($0, progress) }
        }
        return collected.results.sorted { $0.index < $1.index }
    }

    /// Runs `range` in successive children until every case has an outcome.
    private func supervise(_ range: Range<Int>, _ report: (FuzzResult) -> Void) {
        var next = range.lowerBound
        while next < range.upperBound {
            next = runChild(next..<min(next + batchSize, range.upperBound), report)
        }
    }

    /// Runs one child on `range`; returns the first case it did not finish (after a crash or a
    /// hang, the case after the one that failed).
    private func runChild(_ range: Range<Int>, _ report: (FuzzResult) -> Void) -> Int {
        let process = Process()
        process.executableURL = executable
        process.arguments = workerArguments(range)
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = environment["SWIFT_BACKTRACE"] ?? "enable=yes,interactive=no,color=no"
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-fuzz-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorURL) }
        guard let errorHandle = try? FileHandle(forWritingTo: errorURL) else { return range.upperBound }
        process.standardError = errorHandle
        let lines = LineQueue()
        do { try process.run() } catch {
            for index in range {
                report(FuzzResult(generator.makeCase(index), outcome: .trap, message: "could not start the worker: \(error)", seconds: 0))
            }
            return range.upperBound
        }
        try? errorHandle.close()
        let handle = stdout.fileHandleForReading
        Thread.detachNewThread {
            var buffer = Data()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                buffer.append(data)
                while let newline = buffer.firstIndex(of: 10) {
                    lines.push(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
            lines.push(nil)
        }

        let decoder = JSONDecoder()
        var current: (index: Int, start: Double)?
        var finished = range.lowerBound
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        func stderrText() -> String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }
        while true {
            // Starting a child (reading the fixtures) gets a minute; a case gets the time limit,
            // and a case whose child is writing a crash report gets a minute more to finish it.
            var wait = 60.0
            if let current {
                wait = current.start + timeLimit - now()
                if wait <= 0, Self.isCrashing(stderrText()) { wait = current.start + timeLimit + 60 - now() }
            }
            switch lines.pop(timeout: max(wait, 0.01)) {
            case .timedOut:
                guard let running = current, !Self.isCrashing(stderrText()) || now() > running.start + timeLimit + 60 else { continue }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                report(FuzzResult(generator.makeCase(running.index), outcome: .hang,
                                  message: "killed after \(String(format: "%.0f", now() - running.start)) s (time limit \(timeLimit) s)",
                                  seconds: now() - running.start))
                return running.index + 1
            case .line(let line):
                if line.hasPrefix("S "), let index = Int(line.dropFirst(2)) {
                    current = (index, now())
                } else if line.hasPrefix("R "), let result = try? decoder.decode(FuzzResult.self, from: Data(line.dropFirst(2).utf8)) {
                    report(result)
                    finished = result.index + 1
                    current = nil
                }
            case .end:
                process.waitUntilExit()
                let text = stderrText()
                guard let running = current else {
                    guard finished < range.upperBound else { return range.upperBound }
                    // The child died between cases (or never started one): blame the next case.
                    report(FuzzResult(generator.makeCase(finished), outcome: .trap,
                                      message: "worker exited before finishing: " + Self.crashSummary(text, signal: 0, status: process.terminationStatus),
                                      seconds: 0))
                    return finished + 1
                }
                let signal = process.terminationReason == .uncaughtSignal ? process.terminationStatus : 0
                let outcome: FuzzOutcome = Self.isAllocationFailure(text) || signal == SIGKILL ? .abort : .trap
                report(FuzzResult(generator.makeCase(running.index), outcome: outcome,
                                  message: Self.crashSummary(text, signal: signal, status: process.terminationStatus),
                                  seconds: now() - running.start))
                return running.index + 1
            }
        }
    }

    // MARK: Reading a crash

    static func isCrashing(_ stderr: String) -> Bool {
        stderr.contains("Fatal error") || stderr.contains("crashed") || stderr.contains("fatal error")
    }

    static func isAllocationFailure(_ stderr: String) -> Bool {
        // The runtime's "Fatal error: failed to allocate …" can itself fail to print when no
        // memory is left; the crash report's register dump then shows its first bytes.
        let lower = stderr.lowercased()
        return lower.contains("could not allocate") || lower.contains("out of memory") || lower.contains("bad_alloc")
            || lower.contains("failed to allocate") || lower.contains("cannot allocate") || lower.contains("fatal error: fai")
    }

    /// The runtime's message and the first frames in SwiftLens sources.
    static func crashSummary(_ stderr: String, signal: Int32, status: Int32) -> String {
        let lines = stderr.split(separator: "\n").map(String.init)
        var summary: [String] = []
        if signal != 0 { summary.append("signal \(signal)") } else { summary.append("exit status \(status)") }
        summary += lines.filter { $0.contains("Fatal error") || $0.contains("fatal error") || $0.contains("Program crashed")
            || $0.contains("runtime failure") || $0.lowercased().contains("allocate") }.prefix(3)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        summary += lines.filter { $0.contains("/Sources/") && !$0.contains("LensFuzz/") }.prefix(4)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return summary.joined(separator: "\n")
    }
}

/// Results gathered from several supervising threads.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var results: [FuzzResult] = []

    func add(_ result: FuzzResult, _ progress: (FuzzResult) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        results.append(result)
        progress(result)
    }
}

/// Lines from a child's standard output, handed from the reading thread to the supervisor.
private final class LineQueue: @unchecked Sendable {
    enum Event { case line(String), end, timedOut }
    private let lock = NSLock()
    private var lines: [String?] = []
    private let available = DispatchSemaphore(value: 0)

    /// Adds a line, or nil for the end of the output.
    func push(_ line: String?) {
        lock.lock()
        lines.append(line)
        lock.unlock()
        available.signal()
    }

    func pop(timeout: Double) -> Event {
        guard available.wait(timeout: .now() + timeout) == .success else { return .timedOut }
        lock.lock()
        defer { lock.unlock() }
        return lines.removeFirst().map { .line($0) } ?? .end
    }
}
