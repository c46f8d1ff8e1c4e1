import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory for the weights a model keeps for its life (``PackedMatrix``, ``QuantizedMatrix``),
/// carved out of 32 MB slabs aligned to 2 MB and, on Linux, marked for transparent huge pages
/// (`MADV_HUGEPAGE`; most systems grant them only to regions that ask).
///
/// Why: decoding a token streams every weight once, a matrix-vector product bound by memory
/// bandwidth; with 4 KB pages that is a TLB miss per 4 KB of weights. Most of a small model's
/// matrices are under 2 MB (SmolLM2's q and o: 1.3 MB), so they cannot have huge pages of their
/// own: packed side by side in slabs, they share them (SmolLM2 Float32 decoding went from ~45 to
/// ~61 tokens/s with the slabs, `lens bench generate`).
///
/// Each block's owner keeps a reference to its slab, so a slab is freed when the last owner of
/// a block in it goes (and the allocator has moved on to a new slab); a block is never reused
/// before that — right for weights, which are made once and dropped together. Blocks of 8 MB
/// or more get a huge-page-aligned allocation of their own.
public final class WeightMemory: @unchecked Sendable {
    static let hugePage = 2 << 20
    static let slabSize = 32 << 20
    static let ownAllocation = 8 << 20

    /// The slab new blocks are carved from.
    private static let current = Mutex<WeightMemory?>(nil)

    private let base: UnsafeMutableRawPointer
    private let size: Int
    /// Bytes carved so far (changed only under the allocator's lock).
    private var used = 0

    private init(size: Int) {
        self.size = size
        base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.hugePage)
        #if os(Linux)
        // Only whole 2 MB pages: a tail of 4 KB pages never makes memory past the block resident.
        _ = madvise(base, size / Self.hugePage * Self.hugePage, Int32(MADV_HUGEPAGE))
        #endif
    }

    deinit { base.deallocate() }

    /// A block of `byteCount` bytes aligned to 64, and its slab, which the block's owner keeps
    /// (the block lives as long as that reference).
    static func allocate(byteCount: Int) -> (pointer: UnsafeMutableRawPointer, slab: WeightMemory) {
        let bytes = (max(byteCount, 1) + 63) / 64 * 64
        if bytes >= ownAllocation {
            let own = WeightMemory(size: bytes)
            own.used = bytes
            return (own.base, own)
        }
        return current.withLock { slab in
            if slab == nil || slab!.used + bytes > slab!.size { slab = WeightMemory(size: slabSize) }
            let owner = slab!
            defer { owner.used += bytes }
            return (owner.base + owner.used, owner)
        }
    }
}
