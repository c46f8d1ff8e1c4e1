import Foundation
import SwiftLens

/// Mutates a GGUF fixture's bytes and header fields — magic, version, counts, key and string
/// lengths, value types, array counts, booleans, `general.alignment`, tensor n_dims,
/// dimensions, type ids and offsets, duplicates and nesting — and says which mutations are
/// certain to make the file invalid.
///
/// The rules behind "invalid": the fixtures' tensors all have bytes, their offsets are aligned,
/// and the last tensor's bytes end the data section (up to padding); so a cut before that end, an
/// offset moved by less than the alignment or onto another tensor, a dimension that makes the
/// tensor larger than the file, an unknown type id, or a type SwiftLens cannot dequantise (the
/// runner reads every tensor) is an error for certain. Data bytes are any values (every bit
/// pattern decodes), so flipping them keeps the file valid.
enum GGUFMutator {
    static func mutate(_ base: FuzzCorpus.GGUFBase, _ rng: inout RandomGenerator) -> (id: String, detail: String, validity: FuzzValidity, data: Data) {
        let file = base.data
        guard var image = try? GGUFImage(file) else { return ("base:unparsed", "the base did not parse", .unknown, file) }
        func done(_ id: String, _ detail: String, _ validity: FuzzValidity) -> (String, String, FuzzValidity, Data) {
            (id, detail, validity, image.assembled())
        }
        func raw(_ id: String, _ detail: String, _ validity: FuzzValidity, _ bytes: Data) -> (String, String, FuzzValidity, Data) {
            (id, detail, validity, bytes)
        }
        let huge: [UInt64] = [.max, 1 << 63, 1 << 62, 1 << 40, UInt64(file.count), UInt64(Int64.max)]
        let e = rng.nextInt(below: image.entries.count), r = rng.nextInt(below: image.records.count)
        let entry = image.entries[e], record = image.records[r]

        switch rng.nextInt(below: 17) {
        case 0:
            let cut = rng.nextInt(below: image.dataEnd)
            return raw("truncate:\(cut < image.headerEnd ? "header" : "data")", "cut to \(cut) of \(file.count) bytes (tensor data ends at \(image.dataEnd))",
                       .invalid, file.prefix(cut))
        case 1:
            var bytes = file
            let n = rng.int(in: 1...8)
            for _ in 0..<n { bytes[rng.nextInt(below: image.headerEnd)] ^= UInt8(1 << rng.nextInt(below: 8)) }
            return raw("header:bit-flips", "\(n) flipped bits in the header", .unknown, bytes)
        case 2:
            var bytes = file
            let n = rng.int(in: 1...16)
            for _ in 0..<n { bytes[image.dataOffset + rng.nextInt(below: image.data.count)] ^= UInt8(1 << rng.nextInt(below: 8)) }
            return raw("data:bit-flips", "\(n) flipped bits in the tensor data", .valid, bytes)
        case 3:
            var bytes = file
            let n = rng.pick([1, 7, 64, 4096])
            bytes.append(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            return raw("append:junk", "\(n) random bytes after the data", .valid, bytes)
        case 4:
            if rng.chance(0.3) {
                image.magic = rng.pick([Array("GGUf".utf8), Array("GGML".utf8), Array("FUGG".utf8), [0, 0, 0, 0], Array("ggjt".utf8)])
                return done("magic:wrong", "magic \(image.magic)", .invalid)
            }
            let (version, validity) = rng.pick([(UInt32(0), FuzzValidity.invalid), (1, .invalid), (4, .invalid), (0x0300_0000, .invalid),
                                                (0x0200_0000, .invalid), (.max, .invalid), (2, .valid), (3, .valid)])
            image.version = version
            return done("version:\(validity == .valid ? "other" : "unsupported")", "version \(version)", validity)
        case 5:
            let tensors = rng.chance(0.5)
            let (value, op, validity): (UInt64, String, FuzzValidity) = rng.chance(0.7)
                ? (rng.pick(huge.filter { $0 > UInt64(file.count) / 8 }), "huge", .invalid)
                : rng.pick([((tensors ? image.tensorCount : image.entryCount) &+ 1, "plus-one", .unknown),
                            ((tensors ? image.tensorCount : image.entryCount) &- 1, "minus-one", .unknown), (0, "zero", .unknown)])
            if tensors { image.tensorCount = value } else { image.entryCount = value }
            return done("\(tensors ? "tensor" : "entry")-count:\(op)", "\(tensors ? "tensor" : "metadata entry") count \(value)", validity)
        case 6:
            let (value, op, validity): (UInt64, String, FuzzValidity) = rng.chance(0.7)
                ? (rng.pick(huge), "huge", .invalid) : (UInt64(entry.key.utf8.count + rng.pick([-1, 1, 2])), "off-by-one", .unknown)
            GGUFImage.patch(&image.entries[e].bytes, at: 0, value)
            return done("key-length:\(op)", "key length of \"\(entry.key)\" \(entry.key.utf8.count) → \(value)", validity)
        case 7:
            let (type, validity): (UInt32, FuzzValidity) = rng.chance(0.6)
                ? (rng.pick([13, 14, 100, .max]), .invalid) : (UInt32(rng.nextInt(below: 13)), .unknown)
            GGUFImage.patch(&image.entries[e].bytes, at: entry.typeAt, type)
            return done("value-type:\(validity == .invalid ? "unknown" : "other")", "\"\(entry.key)\" value type \(entry.type) → \(type)", validity)
        case 8:
            // A string's length, or an array's count.
            let strings = image.entries.indices.filter { image.entries[$0].type == 8 }
            let arrays = image.entries.indices.filter { image.entries[$0].type == 9 }
            if !arrays.isEmpty, strings.isEmpty || rng.chance(0.5) {
                let i = rng.pick(arrays)
                let count = rng.pick(huge.filter { $0 >= UInt64(file.count) })
                GGUFImage.patch(&image.entries[i].bytes, at: image.entries[i].valueAt + 4, count)
                return done("array-count:huge", "\"\(image.entries[i].key)\" array count \(count)", .invalid)
            }
            let i = rng.pick(strings)
            let length = rng.pick(huge.filter { $0 >= UInt64(file.count) })
            GGUFImage.patch(&image.entries[i].bytes, at: image.entries[i].valueAt, length)
            return done("string-length:huge", "\"\(image.entries[i].key)\" string length \(length)", .invalid)
        case 9:
            let bools = image.entries.indices.filter { image.entries[$0].type == 7 }
            guard let i = bools.isEmpty ? nil : rng.pick(bools) else {
                image.entries[e].bytes[entry.typeAt] = 0xFF
                return done("value-type:unknown", "\"\(entry.key)\" value type 255", .invalid)
            }
            let value = rng.chance(0.8) ? UInt8(rng.int(in: 2...255)) : UInt8(rng.int(in: 0...1))
            image.entries[i].bytes[image.entries[i].valueAt] = value
            return done("bool:\(value > 1 ? "not-0-or-1" : "flipped")", "\"\(image.entries[i].key)\" BOOL byte \(value)", value > 1 ? .invalid : .valid)
        case 10:
            let n = rng.pick([UInt32(5), 8, 64, 255, .max])
            GGUFImage.patch(&image.records[r].bytes, at: record.nDimsAt, n)
            return done("n-dims:too-many", "\(record.info.name) n_dims \(record.info.dimensions.count) → \(n)", .invalid)
        case 11:
            guard !record.info.dimensions.isEmpty else { return done("dims:none", "a scalar", .valid) }
            let axis = rng.nextInt(below: record.info.dimensions.count)
            let blockSize = record.info.type.blockSize
            let (value, op, validity): (UInt64, String, FuzzValidity)
            switch rng.nextInt(below: 4) {
            case 0, 1: (value, op, validity) = (rng.pick([.max, 1 << 63, 1 << 62, 1 << 40, 1 << 32]), "huge", .invalid)
            case 2 where axis == 0 && blockSize > 1:
                (value, op, validity) = (UInt64(record.info.dimensions[0] + rng.int(in: 1...(blockSize - 1))), "partial-block", .invalid)
            default: (value, op, validity) = (UInt64(rng.pick([0, 1, 2, record.info.dimensions[axis] * 2])), "other", .unknown)
            }
            GGUFImage.patch(&image.records[r].bytes, at: record.dimensionAt(axis), value)
            return done("dims:\(op)", "\(record.info.name) dimension \(axis) \(record.info.dimensions[axis]) → \(value)", validity)
        case 12:
            let known = GGMLType.allCases.filter { $0 != record.info.type }
            let (id, op, validity): (UInt32, String, FuzzValidity)
            switch rng.nextInt(below: 3) {
            case 0: (id, op, validity) = (rng.pick([4, 5, 31, 32, 33, 36, 37, 38, 42, 99, .max]), "unknown", .invalid)
            case 1:
                let t = rng.pick(known.filter { !$0.isDequantizable })
                (id, op, validity) = (t.rawValue, "unsupported", .invalid)
            default: (id, op, validity) = (rng.pick(known.filter(\.isDequantizable)).rawValue, "other", .unknown)
            }
            GGUFImage.patch(&image.records[r].bytes, at: record.typeAt, id)
            return done("tensor-type:\(op)", "\(record.info.name) type \(record.info.type.name) → id \(id)", validity)
        case 13, 14:
            let others = image.records.filter { $0.info.name != record.info.name && $0.info.byteCount > 0 }
            let (value, op): (UInt64, String)
            switch rng.nextInt(below: 4) {
            case 0 where image.alignment > 1: (value, op) = (UInt64(record.info.offset + rng.int(in: 1...(image.alignment - 1))), "unaligned")
            case 1 where !others.isEmpty && record.info.byteCount > 0: (value, op) = (UInt64(rng.pick(others).info.offset), "overlapping")
            case 2:
                // The first aligned offset at or after the end of the data section.
                let blocks = (image.data.count + image.alignment - 1) / image.alignment + rng.int(in: 0...4)
                (value, op) = (UInt64(blocks * image.alignment), "past-end")
            default: (value, op) = (rng.pick(huge), "huge")
            }
            GGUFImage.patch(&image.records[r].bytes, at: record.offsetAt, value)
            // An empty tensor may sit anywhere aligned; the fixtures have none.
            return done("offset:\(op)", "\(record.info.name) offset \(record.info.offset) → \(value)",
                        record.info.byteCount > 0 || op == "unaligned" ? .invalid : .unknown)
        case 15:
            return structural(&image, e, r, &rng)
        default:
            return alignment(&image, &rng)
        }
    }

    /// Duplicates, removals, additions, nesting and bad UTF-8 (the header is rebuilt and re-padded).
    static func structural(_ image: inout GGUFImage, _ e: Int, _ r: Int, _ rng: inout RandomGenerator)
        -> (id: String, detail: String, validity: FuzzValidity, data: Data) {
        let entry = image.entries[e], record = image.records[r]
        func done(_ id: String, _ detail: String, _ validity: FuzzValidity) -> (String, String, FuzzValidity, Data) {
            (id, detail, validity, image.assembled())
        }
        func add(_ key: [UInt8], _ type: UInt32, _ value: [UInt8]) {
            image.entries.append(.init(bytes: GGUFImage.string(key) + GGUFImage.le(type) + value, key: String(decoding: key, as: UTF8.self), type: type))
            image.entryCount += 1
        }
        switch rng.nextInt(below: 9) {
        case 0:
            image.entries.append(entry)
            image.entryCount += 1
            return done("entry:duplicate", "\"\(entry.key)\" twice", .invalid)
        case 1:
            image.records.append(record)
            image.tensorCount += 1
            return done("tensor:duplicate", "\(record.info.name) twice", .invalid)
        case 2:
            image.entries.remove(at: e)
            image.entryCount -= 1
            // Without general.alignment the default of 32 applies; the offsets may not be aligned to it.
            return done("entry:removed", "\"\(entry.key)\" removed", entry.key == "general.alignment" ? .unknown : .valid)
        case 3:
            image.records.remove(at: r)
            image.tensorCount -= 1
            return done("tensor:removed", "\(record.info.name) removed (its bytes stay)", .valid)
        case 4:
            let choices: [(UInt32, [UInt8])] = [(0, [7]), (8, GGUFImage.string(Array("extra".utf8))), (12, GGUFImage.le(UInt64(1))),
                                                (9, GGUFImage.le(UInt32(8)) + GGUFImage.le(UInt64(0)))]
            let (type, value) = rng.pick(choices)
            add(Array("fuzz.extra".utf8), type, value)
            return done("entry:extra", "an extra entry of type \(type)", .valid)
        case 5:
            let depth = rng.pick([2, 8, 16, 17, 64, 10_000])
            var value = GGUFImage.le(UInt32(5)) + GGUFImage.le(UInt64(1)) + GGUFImage.le(Int32(7))
            for _ in 1..<depth { value = GGUFImage.le(UInt32(9)) + GGUFImage.le(UInt64(1)) + value }
            add(Array("fuzz.nested".utf8), 9, value)
            return done("entry:nested", "an array nested \(depth) deep", depth > 16 ? .invalid : .valid)
        case 6:
            let bad: [UInt8] = rng.pick([[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80]])
            add(Array("fuzz.".utf8) + bad, 4, GGUFImage.le(UInt32(1)))
            return done("key:non-utf8", "a key with bytes \(bad)", .invalid)
        case 7:
            add([], 4, GGUFImage.le(UInt32(1)))
            return done("key:empty", "an entry with an empty key", .invalid)
        default:
            image.records.reverse()
            return done("tensor:reordered", "tensor records in reverse order", .valid)
        }
    }

    /// `general.alignment`: set to a value that is not a power of two, stored as the wrong type, or
    /// another power of two (the tensors' offsets may no longer be aligned: unknown).
    static func alignment(_ image: inout GGUFImage, _ rng: inout RandomGenerator) -> (id: String, detail: String, validity: FuzzValidity, data: Data) {
        image.entries.removeAll { $0.key == "general.alignment" }
        let key = GGUFImage.string(Array("general.alignment".utf8))
        let (type, value, op, validity): (UInt32, [UInt8], String, FuzzValidity)
        switch rng.nextInt(below: 3) {
        case 0:
            let a = rng.pick([UInt32(0), 3, 6, 12, 48, 100, 0x8000_0001, .max])
            (type, value, op, validity) = (4, GGUFImage.le(a), "not-power-of-two", .invalid)
        case 1:
            (type, value, op, validity) = rng.pick([(UInt32(10), GGUFImage.le(UInt64(32)), "wrong-type", FuzzValidity.invalid),
                                                    (5, GGUFImage.le(Int32(32)), "wrong-type", .invalid),
                                                    (8, GGUFImage.string(Array("32".utf8)), "wrong-type", .invalid)])
        default:
            (type, value, op, validity) = (4, GGUFImage.le(rng.pick([UInt32(1), 8, 16, 32, 64, 128, 1 << 20])), "other", .unknown)
        }
        image.entries.append(.init(bytes: key + GGUFImage.le(type) + value, key: "general.alignment", type: type))
        image.entryCount = UInt64(image.entries.count)
        return ("alignment:\(op)", "general.alignment of type \(type) = \(value)", validity, image.assembled())
    }
}
