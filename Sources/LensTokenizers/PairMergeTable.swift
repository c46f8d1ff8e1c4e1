/// The merge table of BPE keyed by integer pairs: (left id, right id) → (rank, merged id).
///
/// Ranks are looked up once per adjacent pair per merge step, the innermost operation of BPE, so
/// the key is the two ids packed in one `UInt64` and the table is open-addressed over flat
/// arrays — no `String` concatenation, no `Dictionary` hashing of pairs of strings.
final class PairMergeTable {
    /// Empty slot marker: no pair of valid ids (both < 2³¹) packs to it.
    private static let empty = UInt64.max
    private let keys: UnsafeMutablePointer<UInt64>
    private let values: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var slots = 16
        while slots < capacity * 2 { slots <<= 1 }
        mask = slots - 1
        keys = .allocate(capacity: slots)
        keys.initialize(repeating: Self.empty, count: slots)
        values = .allocate(capacity: slots)
        values.initialize(repeating: 0, count: slots)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Sets the merge of (`left`, `right`); a later setting of the same pair replaces an earlier one
    /// when `replace` is true (Hugging Face collects merges into a map, so the last duplicate wins).
    func set(_ left: Int32, _ right: Int32, rank: Int32, merged: Int32, replace: Bool = true) {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        var i = slot(key)
        while keys[i] != Self.empty && keys[i] != key { i = (i + 1) & mask }
        if keys[i] == key && !replace { return }
        if keys[i] != key { count += 1 }
        keys[i] = key
        values[i] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// (rank << 32 | merged id) of the pair, or `UInt64.max` when the pair does not merge; the
    /// packed form orders by rank, so callers compare it directly.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> UInt64 {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        var i = slot(key)
        while true {
            let k = keys[i]
            // Empty first: the pair (-1, -1) of two byte-less symbols packs to the marker itself.
            if k == Self.empty { return UInt64.max }
            if k == key { return values[i] }
            i = (i + 1) & mask
        }
    }
}
