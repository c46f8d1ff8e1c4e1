import Foundation
import Synchronization

/// Persistent worker threads that spin briefly between jobs.
///
/// `DispatchQueue.concurrentPerform` costs ~8 µs to wake an idle worker, as much as a whole
/// 128×64×128 GEMM on one core; a worker that has just finished a job and spins for up to
/// `spinTime` picks the next one up in well under a microsecond. Idle workers then sleep on a
/// condition variable, so a quiet process burns no CPU.
///
/// One job runs at a time. A `run` issued while another is in flight (from another thread, or
/// from inside a job) executes serially on the caller, so nesting can never deadlock.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker spins before it sleeps.
    private let spinTime: Duration = .microseconds(200)

    /// Odd while a job is open, even when closed; bumped twice per job.
    private let generation = Atomic<Int>(0)
    private let nextPart = Atomic<Int>(0)
    private let finishedParts = Atomic<Int>(0)
    /// Workers inside the current job; the job is torn down only when this is back to 0.
    private let activeWorkers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)

    /// The current job; written only by the thread holding `busy`, before `generation` is bumped.
    private var job: ((Int) -> Void)?
    private var parts = 0

    private let condition = NSCondition()
    private var sleepers = 0
    private var workerCount = 0

    /// Runs `body(0) … body(n-1)` on the caller and up to `threads - 1` workers.
    func run(_ n: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        if n <= 0 { return }
        let participants = min(n, threads)
        if participants <= 1 || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<n { body(i) }
            return
        }
        ensureWorkers(participants - 1)
        withoutActuallyEscaping(body) { escaping in
            job = escaping
            parts = n
            nextPart.store(0, ordering: .relaxed)
            finishedParts.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)  // open (odd)
            condition.lock()
            if sleepers > 0 { condition.broadcast() }
            condition.unlock()
            work()
            while finishedParts.load(ordering: .acquiring) < n {}
            generation.add(1, ordering: .sequentiallyConsistent)  // closed (even)
            // A worker that saw the job open may still be about to look at it.
            while activeWorkers.load(ordering: .sequentiallyConsistent) > 0 {}
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs parts of the current job until none are left.
    private func work() {
        guard let job else { return }
        while true {
            let i = nextPart.add(1, ordering: .relaxed).oldValue
            if i >= parts { return }
            job(i)
            finishedParts.add(1, ordering: .releasing)
        }
    }

    private func ensureWorkers(_ count: Int) {
        condition.lock()
        defer { condition.unlock() }
        while workerCount < count {
            workerCount += 1
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.name = "lens-worker-\(workerCount)"
            thread.start()
        }
    }

    private func workerLoop() {
        var seen = generation.load(ordering: .acquiring)
        let clock = ContinuousClock()
        @inline(__always) func hasNewJob(_ g: Int) -> Bool { g & 1 == 1 && g != seen }
        while true {
            var spins = 0
            var deadline: ContinuousClock.Instant?
            var g = generation.load(ordering: .acquiring)
            while !hasNewJob(g) {
                spins += 1
                if spins & 1023 == 0 {
                    let now = clock.now
                    if deadline == nil { deadline = now + spinTime }
                    if now > deadline! {
                        condition.lock()
                        sleepers += 1
                        while !hasNewJob(generation.load(ordering: .acquiring)) { condition.wait() }
                        sleepers -= 1
                        condition.unlock()
                    }
                }
                g = generation.load(ordering: .acquiring)
            }
            seen = g
            activeWorkers.add(1, ordering: .sequentiallyConsistent)
            if generation.load(ordering: .sequentiallyConsistent) == g { work() }
            activeWorkers.subtract(1, ordering: .releasing)
        }
    }
}
