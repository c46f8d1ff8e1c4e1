import Foundation
import SwiftLens

/// A valid GGUF fixture taken apart for mutation: its metadata entries and tensor-info records
/// as byte arrays (with where each field sits inside them), and the data section. Reassembling
/// an unmodified image gives back the original bytes; an entry or record can be edited, added,
/// removed or duplicated, and the header is re-padded to the alignment, so the tensors' offsets
/// (relative to the data section) still point at their bytes.
///
/// Only trusted fixtures are parsed here (GGUFFile validates them first).
struct GGUFImage {
    struct Entry {
        var bytes: [UInt8]
        let key: String
        let type: UInt32
        /// Where the value type id and the value start, inside `bytes`.
        var typeAt: Int { 8 + key.utf8.count }
        var valueAt: Int { typeAt + 4 }
    }

    struct Record {
        var bytes: [UInt8]
        let info: GGUFTensorInfo
        var nDimsAt: Int { 8 + info.name.utf8.count }
        func dimensionAt(_ axis: Int) -> Int { nDimsAt + 4 + 8 * axis }
        var typeAt: Int { nDimsAt + 4 + 8 * info.dimensions.count }
        var offsetAt: Int { typeAt + 4 }
    }

    var magic: [UInt8]
    var version: UInt32
    var tensorCount: UInt64
    var entryCount: UInt64
    var entries: [Entry]
    var records: [Record]
    var alignment: Int
    var data: [UInt8]

    init(_ file: Data) throws {
        let parsed = try GGUFFile(data: file, origin: "fixture")
        let bytes = [UInt8](file)
        func u32(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ at: Int) -> UInt64 { bytes[at..<(at + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        magic = Array(bytes[0..<4])
        version = u32(4)
        tensorCount = u64(8)
        entryCount = u64(16)
        var at = 24
        /// The size of a value of `type` at `p`.
        func skip(_ type: UInt32, _ p: Int) -> Int {
            switch type {
            case 0, 1, 7: return 1
            case 2, 3: return 2
            case 4, 5, 6: return 4
            case 10, 11, 12: return 8
            case 8: return 8 + Int(u64(p))
            default:
                let element = u32(p), count = Int(u64(p + 4))
                var q = p + 12
                for _ in 0..<count { q += skip(element, q) }
                return q - p
            }
        }
        entries = []
        for key in parsed.metadataKeys {
            let start = at
            at += 8 + Int(u64(at))
            let type = u32(at)
            at += 4
            at += skip(type, at)
            entries.append(Entry(bytes: Array(bytes[start..<at]), key: key, type: type))
        }
        records = []
        for info in parsed.tensors {
            let start = at
            at += 8 + Int(u64(at)) + 4 + 8 * info.dimensions.count + 4 + 8
            records.append(Record(bytes: Array(bytes[start..<at]), info: info))
        }
        alignment = parsed.alignment
        data = Array(bytes[min(parsed.dataOffset, bytes.count)...])
    }

    /// Offset of the data section in the reassembled file.
    var dataOffset: Int { let end = headerEnd; return end + (alignment - end % alignment) % alignment }
    var headerEnd: Int { 24 + entries.reduce(0) { $0 + $1.bytes.count } + records.reduce(0) { $0 + $1.bytes.count } }
    /// Absolute end of the last tensor's bytes.
    var dataEnd: Int { dataOffset + (records.map { $0.info.offset + $0.info.byteCount }.max() ?? 0) }

    func assembled() -> Data {
        var out = magic + Self.le(version) + Self.le(tensorCount) + Self.le(entryCount)
        for e in entries { out += e.bytes }
        for r in records { out += r.bytes }
        out += [UInt8](repeating: 0, count: dataOffset - out.count)
        return Data(out + data)
    }

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func string(_ bytes: [UInt8]) -> [UInt8] { le(UInt64(bytes.count)) + bytes }

    /// Writes `value` little-endian over `bytes[at...]`.
    static func patch<T: FixedWidthInteger>(_ bytes: inout [UInt8], at: Int, _ value: T) {
        bytes.replaceSubrange(at..<(at + MemoryLayout<T>.size), with: le(value))
    }
}
