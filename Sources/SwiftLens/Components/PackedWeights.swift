import Foundation

/// A component's weights packed for the GEMM kernel, made on first use by a product with few
/// rows (≤ 512, i.e. short inputs), where re-packing a weight on every call costs ~10% of the
/// time; longer inputs amortise the packing and skip this. Each entry keeps its source weight,
/// so replacing a weight simply makes a new entry. `HookedTransformer.releasePackedWeights()`
/// frees them (they double the memory of the weights they cover).
final class PackedWeights: @unchecked Sendable {
    static let rowLimit = 512
    private var entries: [Int: PackedWeight] = [:]
    private let lock = NSLock()

    /// The packing of `w` (per-head layout when `heads`) for a product with `rows` rows, or nil
    /// when packing does not pay or `w` is being differentiated.
    func get(_ slot: Int, _ w: Tensor, rows: Int, heads: Bool = false) -> PackedWeight? {
        guard rows > 4, rows <= Self.rowLimit, !w.isTracked else { return nil }
        lock.lock()
        defer { lock.unlock() }
        if let e = entries[slot], e.source.storageIdentity == w.storageIdentity { return e }
        let packed = heads ? PackedWeight(heads: w) : PackedWeight(matrix: w)
        entries[slot] = packed
        return packed
    }

    func removeAll() {
        lock.lock()
        entries.removeAll()
        lock.unlock()
    }

    var byteCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.values.reduce(0) { $0 + $1.byteCount }
    }
}
