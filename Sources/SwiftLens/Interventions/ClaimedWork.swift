import Foundation
import LensKernels

/// Items `0..<count` done by `threads` threads at once, each thread claiming the next item as
/// it frees up and running its kernels on one core (`KernelThreads.with(1)`): parallelism over
/// whole items instead of inside each product, for work made of many similar items (a sweep's
/// variants). No new item starts after one throws; the first error is rethrown.
enum ClaimedWork {
    /// - Parameters:
    ///   - body: does item i; runs concurrently with itself, so it must not share mutable state.
    ///   - done: receives item i's result; calls are serialised (under a lock), in completion order.
    static func run<Result>(count: Int, threads: Int, _ body: (Int) throws -> Result,
                            done: (Int, Result) -> Void) throws {
        try withoutActuallyEscaping(body) { body in
            try withoutActuallyEscaping(done) { done in
                let state = State(body: body, done: done)
                DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
                    KernelThreads.with(1) { state.work(count: count) }
                }
                if let failure = state.failure { throw failure }
            }
        }
    }

    /// The claim counter and the closures, shared by the threads (every access to `next` and
    /// `failure` holds the lock; `done` runs under it).
    private final class State<Result>: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var failure: (any Error)?
        let body: (Int) throws -> Result
        let done: (Int, Result) -> Void

        init(body: @escaping (Int) throws -> Result, done: @escaping (Int, Result) -> Void) {
            self.body = body
            self.done = done
        }

        func work(count: Int) {
            while true {
                let claimed: Int? = lock.withLock {
                    guard failure == nil, next < count else { return nil }
                    next += 1
                    return next - 1
                }
                guard let item = claimed else { return }
                do {
                    let result = try body(item)
                    lock.withLock { done(item, result) }
                } catch {
                    lock.withLock { failure = failure ?? error }
                }
            }
        }
    }
}
