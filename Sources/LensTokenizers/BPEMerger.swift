/// Scratch memory for encoding on one thread, and the cache of pre-token → ids.
///
/// `BPECore` keeps a few of these in a pool: an `encode` call takes one for its duration, so
/// the cache survives across calls (the same words recur) without any locking in the hot loop.
final class EncodeState: @unchecked Sendable {
    /// Pre-tokens up to this many bytes are cached; longer ones (rare: long runs of symbols or
    /// letters) are merged each time.
    static let maxCachedLength = 64
    /// Hugging Face keeps 10,000 words; more costs little here and helps code, whose identifiers vary.
    let cache = ByteStringTable(maxEntries: 1 << 16, keyBytes: 1 << 19, valueCount: 1 << 17)

    private(set) var capacity = 0
    var symbols: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    var pairs: UnsafeMutablePointer<UInt64> = .allocate(capacity: 1)
    var previous: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    var next: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    var heap: UnsafeMutablePointer<UInt64> = .allocate(capacity: 1)

    init() { reserve(256) }

    deinit {
        symbols.deallocate(); pairs.deallocate(); previous.deallocate(); next.deallocate(); heap.deallocate()
    }

    /// Room for a pre-token of `count` bytes.
    @inline(__always)
    func reserve(_ count: Int) {
        if count <= capacity { return }
        var newCapacity = max(capacity, 256)
        while newCapacity < count { newCapacity *= 2 }
        symbols.deallocate(); pairs.deallocate(); previous.deallocate(); next.deallocate(); heap.deallocate()
        symbols = .allocate(capacity: newCapacity)
        pairs = .allocate(capacity: newCapacity)
        previous = .allocate(capacity: newCapacity)
        next = .allocate(capacity: newCapacity)
        // Each merge pushes at most two entries on top of the initial n − 1.
        heap = .allocate(capacity: 3 * newCapacity)
        capacity = newCapacity
    }
}

/// Byte-level BPE on one pre-token: repeatedly merge the adjacent pair of lowest rank, the
/// leftmost on ties, until no adjacent pair has a merge.
///
/// That rule is both Hugging Face's (`word.rs` `merge_all`, a heap on (rank, position)) and
/// tiktoken's (`_byte_pair_merge`, a scan for the minimum); they differ only in which pairs
/// merge, which the ``PairMergeTable`` decides. Short pre-tokens (almost all) use tiktoken's
/// form — an array of pair ranks, one scan per merge, two lookups to refresh the neighbours —
/// which beats a heap below ~100 symbols; long ones use a heap over a linked list, so a
/// megabyte of `=` costs O(n log n), not O(n²).
enum BPEMerger {
    static let heapThreshold = 128

    /// Merges `count` symbols in `state.symbols` in place; returns how many remain (in order,
    /// at the start of `state.symbols`).
    @inline(__always)
    static func merge(_ state: EncodeState, count: Int, table: PairMergeTable) -> Int {
        if count < 2 { return count }
        return count <= heapThreshold ? mergeByScan(state, count: count, table: table) : mergeByHeap(state, count: count, table: table)
    }

    static func mergeByScan(_ state: EncodeState, count: Int, table: PairMergeTable) -> Int {
        let symbols = state.symbols, pairs = state.pairs
        var n = count
        for k in 0..<(n - 1) { pairs[k] = table.lookup(symbols[k], symbols[k + 1]) }
        while n > 1 {
            var best = UInt64.max, at = -1
            for k in 0..<(n - 1) where pairs[k] < best {
                best = pairs[k]
                at = k
            }
            if at < 0 { break }
            symbols[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            // Remove symbol at + 1 and pair at; pair at + 1 (now at) is recomputed below.
            if at + 2 < n {
                (symbols + at + 1).update(from: symbols + at + 2, count: n - at - 2)
                (pairs + at).update(from: pairs + at + 1, count: n - at - 2)
            }
            n -= 1
            if at + 1 < n { pairs[at] = table.lookup(symbols[at], symbols[at + 1]) }
            if at > 0 { pairs[at - 1] = table.lookup(symbols[at - 1], symbols[at]) }
        }
        return n
    }

    static func mergeByHeap(_ state: EncodeState, count n: Int, table: PairMergeTable) -> Int {
        let symbols = state.symbols, previous = state.previous, next = state.next, heap = state.heap
        let dead = Int32.min
        var heapCount = 0

        func push(_ value: UInt64) {
            var i = heapCount
            heapCount += 1
            while i > 0 {
                let parent = (i - 1) / 2
                if heap[parent] <= value { break }
                heap[i] = heap[parent]
                i = parent
            }
            heap[i] = value
        }
        func pop() -> UInt64 {
            let top = heap[0]
            heapCount -= 1
            let last = heap[heapCount]
            var i = 0
            while true {
                var child = 2 * i + 1
                if child >= heapCount { break }
                if child + 1 < heapCount && heap[child + 1] < heap[child] { child += 1 }
                if last <= heap[child] { break }
                heap[i] = heap[child]
                i = child
            }
            heap[i] = last
            return top
        }
        // Entry = rank << 32 | position of the left symbol: the heap orders by rank, then leftmost.
        func candidate(_ left: Int) {
            let right = Int(next[left])
            if right < 0 { return }
            let found = table.lookup(symbols[left], symbols[right])
            if found != .max { push(found & 0xFFFF_FFFF_0000_0000 | UInt64(left)) }
        }

        for i in 0..<n {
            previous[i] = Int32(i - 1)
            next[i] = i + 1 < n ? Int32(i + 1) : -1
        }
        for i in 0..<(n - 1) { candidate(i) }
        while heapCount > 0 {
            let entry = pop()
            let left = Int(entry & 0xFFFF_FFFF)
            // Stale entries: the left symbol was absorbed, or its pair changed since the push.
            if symbols[left] == dead { continue }
            let right = Int(next[left])
            if right < 0 { continue }
            let found = table.lookup(symbols[left], symbols[right])
            if found == .max || found >> 32 != entry >> 32 { continue }
            symbols[left] = Int32(truncatingIfNeeded: found & 0xFFFF_FFFF)
            symbols[right] = dead
            let after = next[right]
            next[left] = after
            if after >= 0 { previous[Int(after)] = Int32(left) }
            if previous[left] >= 0 { candidate(Int(previous[left])) }
            candidate(left)
        }
        var kept = 0
        var i = 0
        while i >= 0 {
            symbols[kept] = symbols[i]
            kept += 1
            i = Int(next[i])
        }
        return kept
    }
}
