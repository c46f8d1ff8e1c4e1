import Foundation

/// How many threads the kernels may use, and the one helper they use to fork work.
///
/// The machines this library targets have two cores; kernels split work in at most
/// `KernelThreads.count` pieces with one `concurrentPerform` per call, and only above a size
/// threshold (below ~1 MFLOP a fork/join costs more than it saves).
public enum KernelThreads {
    nonisolated(unsafe) private static var configured: Int = defaultCount

    /// The default: the number of active processors, at most 2 (measured: a third worker only
    /// adds contention on the 2-core target machines). Override with `LENS_THREADS`.
    public static let defaultCount: Int = {
        if let value = ProcessInfo.processInfo.environment["LENS_THREADS"], let n = Int(value), n >= 1 {
            return n
        }
        return max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))
    }()

    /// A count set by `with(_:_:)` for the current task (or thread), overriding `configured`.
    @TaskLocal private static var scoped: Int?

    /// Maximum number of threads a kernel call may use (≥ 1): the value of an enclosing
    /// `with(_:_:)`, else the process-wide setting. Set the process-wide value before starting
    /// work, not while kernels run on other threads.
    public static var count: Int {
        get { scoped ?? configured }
        set { configured = max(1, newValue) }
    }

    /// Runs `body` with `count` set to `threads` for this task (or thread) only: concurrent
    /// work elsewhere keeps its own count.
    public static func with<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(max(1, threads)) { try body() }
    }
}

/// Runs `body(0) … body(n-1)`, on up to `KernelThreads.count` threads when `n > 1`
/// (the caller takes part; see `WorkerPool`).
@inline(__always)
func parallelFor(_ n: Int, _ body: @Sendable (Int) -> Void) {
    if n <= 1 {
        if n == 1 { body(0) }
        return
    }
    WorkerPool.shared.run(n, threads: KernelThreads.count, body)
}

/// Splits `0..<total` into `parts` nearly equal ranges whose bounds are multiples of `align`
/// (except the last bound).
@inline(__always)
func splitRange(_ total: Int, parts: Int, index: Int, align: Int = 1) -> Range<Int> {
    let units = (total + align - 1) / align
    let lo = min(total, (units * index / parts) * align)
    let hi = index == parts - 1 ? total : min(total, (units * (index + 1) / parts) * align)
    return lo..<hi
}

/// A raw pointer that may cross into a `@Sendable` worker closure. Workers write disjoint regions.
@usableFromInline
struct SendablePointer: @unchecked Sendable {
    @usableFromInline let raw: UnsafeMutablePointer<Float>
    @inlinable init(_ raw: UnsafeMutablePointer<Float>) { self.raw = raw }
    @inlinable init(_ raw: UnsafePointer<Float>) { self.raw = UnsafeMutablePointer(mutating: raw) }
}

/// Runs `body` over contiguous chunks of `0 ..< count`, on up to `KernelThreads.count` threads
/// when the total `work` (in element operations) is worth a fork (≥ 64 K), else on the caller.
public func parallelChunks(_ count: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let workers = work >= 1 << 16 && count > 1 ? min(KernelThreads.count, count) : 1
    if workers == 1 {
        body(0..<count)
        return
    }
    parallelFor(workers) { t in body(splitRange(count, parts: workers, index: t)) }
}
