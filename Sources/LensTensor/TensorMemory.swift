import Foundation

/// Recycles large tensor buffers.
///
/// A forward pass allocates the same large shapes again and again (scores, patterns, logits,
/// MLP activations). Fresh pages from the operating system are zero-filled on first touch, and
/// on the virtual machines this library runs on a page fault costs ~5 µs: a GPT-2-small
/// runWithCache over 1024 tokens took 2.2M faults, 3.5 s of system time per run. Buffers of
/// 256 KB and more are therefore kept when their tensor dies and handed to the next tensor of
/// the same size (rounded up to whole 4 KB pages, so repeated shapes match exactly and little is
/// wasted), up to ``cacheLimit`` bytes; beyond it the oldest buffers are freed.
public enum TensorMemory {
    /// The most bytes of free buffers kept for reuse (default: a quarter of physical memory).
    public static var cacheLimit: Int {
        get { Pool.shared.withLock { Pool.shared.limit } }
        set { Pool.shared.withLock { Pool.shared.limit = max(0, newValue); Pool.shared.trim() } }
    }

    /// Bytes currently kept for reuse.
    public static var cachedBytes: Int { Pool.shared.withLock { Pool.shared.bytes } }

    /// Bytes held by live tensors' large buffers (≥ 256 KB), now and at most since the last
    /// ``resetPeak()``: what a workload itself needs, without allocator overhead.
    public static var liveBytes: Int { Pool.shared.withLock { Pool.shared.live } }
    public static var peakLiveBytes: Int { Pool.shared.withLock { Pool.shared.peakLive } }
    public static func resetPeak() { Pool.shared.withLock { Pool.shared.peakLive = Pool.shared.live } }

    /// Frees every kept buffer (e.g. before measuring peak memory of one workload).
    public static func releaseCachedBuffers() {
        Pool.shared.withLock {
            for buffer in Pool.shared.order { UnsafeMutableRawPointer(buffer.pointer).deallocate() }
            Pool.shared.order.removeAll()
            Pool.shared.free.removeAll()
            Pool.shared.bytes = 0
        }
    }

    /// Smallest element count that goes through the pool.
    static let minimumCount = 1 << 16

    /// The capacity a request of `count` floats is rounded up to: whole 4 KB pages.
    static func sizeClass(_ count: Int) -> Int {
        (count + 1023) / 1024 * 1024
    }

    /// A buffer of at least `count` floats and its capacity.
    static func allocate(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        guard count >= minimumCount else {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            return (raw.bindMemory(to: Float.self, capacity: max(count, 1)), count)
        }
        let capacity = sizeClass(count)
        if let p = Pool.shared.withLock({ Pool.shared.noteAllocated(capacity); return Pool.shared.take(capacity) }) {
            return (p, capacity)
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64)
        return (raw.bindMemory(to: Float.self, capacity: capacity), capacity)
    }

    /// Frees a buffer of `allocate`: large ones are kept for reuse unless `keepForReuse` is false.
    static func deallocate(_ pointer: UnsafeMutablePointer<Float>, capacity: Int, keepForReuse: Bool = true) {
        guard capacity >= minimumCount else {
            UnsafeMutableRawPointer(pointer).deallocate()
            return
        }
        guard Pool.shared.withLock({ Pool.shared.live -= capacity * 4; return keepForReuse && Pool.shared.give(pointer, capacity) })
        else {
            UnsafeMutableRawPointer(pointer).deallocate()
            return
        }
    }

    final class Pool: @unchecked Sendable {
        static let shared = Pool()
        struct Buffer { let pointer: UnsafeMutablePointer<Float>; let capacity: Int; let serial: Int }
        var free: [Int: [Buffer]] = [:]
        /// Every kept buffer, oldest first.
        var order: [Buffer] = []
        var bytes = 0
        var live = 0
        var peakLive = 0
        var serial = 0
        var limit = Int(ProcessInfo.processInfo.physicalMemory / 4)
        private let lock = NSLock()

        func withLock<R>(_ body: () -> R) -> R {
            lock.lock()
            defer { lock.unlock() }
            return body()
        }

        func noteAllocated(_ capacity: Int) {
            live += capacity * 4
            peakLive = max(peakLive, live)
        }

        func take(_ capacity: Int) -> UnsafeMutablePointer<Float>? {
            guard var list = free[capacity], let buffer = list.popLast() else { return nil }
            free[capacity] = list.isEmpty ? nil : list
            order.removeAll { $0.serial == buffer.serial }
            bytes -= capacity * 4
            return buffer.pointer
        }

        func give(_ pointer: UnsafeMutablePointer<Float>, _ capacity: Int) -> Bool {
            guard capacity * 4 <= limit else { return false }
            serial += 1
            let buffer = Buffer(pointer: pointer, capacity: capacity, serial: serial)
            free[capacity, default: []].append(buffer)
            order.append(buffer)
            bytes += capacity * 4
            trim()
            return true
        }

        /// Frees the oldest buffers until within the limit.
        func trim() {
            while bytes > limit, !order.isEmpty {
                let oldest = order.removeFirst()
                free[oldest.capacity]?.removeAll { $0.serial == oldest.serial }
                if free[oldest.capacity]?.isEmpty == true { free[oldest.capacity] = nil }
                bytes -= oldest.capacity * 4
                UnsafeMutableRawPointer(oldest.pointer).deallocate()
            }
        }
    }
}
