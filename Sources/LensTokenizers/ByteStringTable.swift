/// An open-addressing hash table from byte strings to short runs of `Int32`, with its keys and
/// values in two flat arenas: no `String`, `Array` or allocation per entry.
///
/// It serves twice: as the vocabulary (token bytes → one id) and as the per-thread cache of
/// pre-token bytes → the ids BPE produced for them. A lookup hashes the bytes eight at a time,
/// probes linearly on a (32-bit hash, entry) slot and compares bytes only when the hashes agree.
final class ByteStringTable {
    private struct Entry {
        var keyStart: Int32
        var keyLength: Int32
        var valueStart: Int32
        var valueCount: Int32
    }

    /// Slot = (hash high 32 bits << 32) | (entry index + 1); 0 = empty.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotMask: Int
    private var entries: UnsafeMutablePointer<Entry>
    private(set) var count = 0
    /// Most entries the table holds; `insert` refuses more (the cache then clears itself).
    let maxEntries: Int
    private var keys: UnsafeMutablePointer<UInt8>
    private var keysUsed = 0, keysCapacity: Int
    private var values: UnsafeMutablePointer<Int32>
    private var valuesUsed = 0, valuesCapacity: Int

    init(maxEntries: Int, keyBytes: Int = 1 << 16, valueCount: Int = 1 << 14) {
        self.maxEntries = max(1, maxEntries)
        var slotCount = 16
        while slotCount < self.maxEntries * 2 { slotCount <<= 1 }
        slotMask = slotCount - 1
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: 0, count: slotCount)
        entries = .allocate(capacity: self.maxEntries)
        keysCapacity = max(16, keyBytes)
        keys = .allocate(capacity: keysCapacity)
        valuesCapacity = max(16, valueCount)
        values = .allocate(capacity: valuesCapacity)
    }

    deinit {
        slots.deallocate()
        entries.deallocate()
        keys.deallocate()
        values.deallocate()
    }

    var isFull: Bool { count >= maxEntries }

    /// Forgets every entry, keeping the memory.
    func removeAll() {
        slots.update(repeating: 0, count: slotMask + 1)
        count = 0
        keysUsed = 0
        valuesUsed = 0
    }

    /// The values stored for the `length` bytes at `key`, as (start, count) in ``valueBase``.
    @inline(__always)
    func find(_ key: UnsafePointer<UInt8>, _ length: Int, hash: UInt64) -> (start: Int, count: Int)? {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while true {
            let word = slots[slot]
            if word == 0 { return nil }
            if word & 0xFFFF_FFFF_0000_0000 == tag {
                let entry = entries[Int(word & 0xFFFF_FFFF) - 1]
                if Int(entry.keyLength) == length, memoryEqual(keys + Int(entry.keyStart), key, length) {
                    return (Int(entry.valueStart), Int(entry.valueCount))
                }
            }
            slot = (slot + 1) & slotMask
        }
    }

    /// The first value stored for these bytes (the vocabulary's id), or nil.
    @inline(__always)
    func firstValue(_ key: UnsafePointer<UInt8>, _ length: Int) -> Int32? {
        guard let found = find(key, length, hash: hashBytes(key, length)), found.count > 0 else { return nil }
        return values[found.start]
    }

    var valueBase: UnsafePointer<Int32> { UnsafePointer(values) }

    /// Adds `key` → `newValues` unless the table is full or already holds `key` (the first
    /// insertion wins). Returns whether it was added.
    @discardableResult
    func insert(_ key: UnsafePointer<UInt8>, _ length: Int, hash: UInt64, values newValues: UnsafeBufferPointer<Int32>) -> Bool {
        if count >= maxEntries || find(key, length, hash: hash) != nil { return false }
        if keysUsed + length > keysCapacity {
            keys = grow(keys, used: keysUsed, capacity: &keysCapacity, needed: keysUsed + length)
        }
        if valuesUsed + newValues.count > valuesCapacity {
            values = grow(values, used: valuesUsed, capacity: &valuesCapacity, needed: valuesUsed + newValues.count)
        }
        (keys + keysUsed).update(from: key, count: length)
        if let base = newValues.baseAddress { (values + valuesUsed).update(from: base, count: newValues.count) }
        entries[count] = Entry(keyStart: Int32(keysUsed), keyLength: Int32(length),
                               valueStart: Int32(valuesUsed), valueCount: Int32(newValues.count))
        keysUsed += length
        valuesUsed += newValues.count
        count += 1
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while slots[slot] != 0 { slot = (slot + 1) & slotMask }
        slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(count)
        return true
    }

    /// Adds `key` → `value` (see ``insert(_:_:hash:values:)``).
    @discardableResult
    func insert(_ key: [UInt8], value: Int32) -> Bool {
        key.withUnsafeBufferPointer { k in
            withUnsafePointer(to: value) { v in
                // An empty key still needs a valid pointer to hash.
                let base = k.baseAddress ?? UnsafePointer(bitPattern: 1)!
                return insert(base, k.count, hash: hashBytes(base, k.count), values: UnsafeBufferPointer(start: v, count: 1))
            }
        }
    }

    private func grow<T>(_ pointer: UnsafeMutablePointer<T>, used: Int, capacity: inout Int, needed: Int) -> UnsafeMutablePointer<T> {
        while capacity < needed { capacity *= 2 }
        let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        bigger.moveInitialize(from: pointer, count: used)
        pointer.deallocate()
        return bigger
    }
}

/// Whether `count` bytes at `a` and `b` are equal (short keys: a word at a time, then bytes).
@inline(__always)
func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i + 8 <= count {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < count {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// A 64-bit hash of `count` bytes: eight bytes per multiply, the tail packed into one word.
@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
    var i = 0
    while i + 8 <= count {
        h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 32
        i += 8
    }
    if i < count {
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    }
    h ^= h >> 29
    h = h &* 0x9E37_79B9_7F4A_7C15
    return h ^ (h >> 32)
}
