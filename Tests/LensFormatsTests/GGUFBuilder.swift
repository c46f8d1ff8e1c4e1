import Foundation
import LensFormats

/// Writes GGUF bytes field by field, so a test can make any field wrong: the counts, a key's
/// length, a value's type, a tensor's dimensions, type id or offset.
struct GGUFBuilder {
    struct TensorRecord {
        var name: String
        var dims: [UInt64]
        var type: UInt32
        var offset: UInt64
        var nDims: UInt32? = nil
    }

    var magic = Array("GGUF".utf8)
    var version: UInt32 = 3
    /// Overrides of the declared counts (default: the real ones).
    var tensorCount: UInt64? = nil
    var entryCount: UInt64? = nil
    /// Encoded metadata entries (see ``entry(_:_:_:)``).
    var entries: [[UInt8]] = []
    var tensors: [TensorRecord] = []
    var alignment = 32
    var data: [UInt8] = []

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }
    static func string(bytes: [UInt8]) -> [UInt8] { le(UInt64(bytes.count)) + bytes }

    /// A metadata entry: key, value type id, encoded value.
    static func entry(_ key: String, _ type: UInt32, _ value: [UInt8]) -> [UInt8] { string(key) + le(type) + value }
    static func entry(_ key: String, _ value: UInt32) -> [UInt8] { entry(key, 4, le(value)) }

    /// A tensor of `type` with `dims`, its bytes appended to the data section (aligned).
    mutating func addTensor(_ name: String, _ type: GGMLType, _ dims: [Int], fill: UInt8 = 0x11) {
        while data.count % alignment != 0 { data.append(0) }
        let elements = dims.reduce(1, *)
        tensors.append(TensorRecord(name: name, dims: dims.map(UInt64.init), type: type.rawValue, offset: UInt64(data.count)))
        data += [UInt8](repeating: fill, count: type.byteCount(elements: elements)!)
    }

    /// The header (through the last tensor record), before padding.
    var header: [UInt8] {
        var out = magic + Self.le(version)
        out += Self.le(tensorCount ?? UInt64(tensors.count)) + Self.le(entryCount ?? UInt64(entries.count))
        for e in entries { out += e }
        for t in tensors {
            out += Self.string(t.name) + Self.le(t.nDims ?? UInt32(t.dims.count))
            for d in t.dims { out += Self.le(d) }
            out += Self.le(t.type) + Self.le(t.offset)
        }
        return out
    }

    var bytes: Data {
        var out = header
        while out.count % alignment != 0 { out.append(0) }
        return Data(out + data)
    }

    /// A small valid file: a few entries and three tensors.
    static var valid: GGUFBuilder {
        var b = GGUFBuilder()
        b.entries = [entry("general.architecture", 8, string("llama")), entry("llama.block_count", 2)]
        b.addTensor("a", .F32, [4, 2])
        b.addTensor("b", .Q4_0, [32, 3])
        b.addTensor("c", .Q6_K, [256])
        return b
    }
}
