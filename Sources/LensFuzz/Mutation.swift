import Foundation
import SwiftLens

/// What a mutator produced: the mutated files of a model directory, with the mutation's
/// identifier, a readable account of it, and whether it is known to be invalid.
struct Mutation {
    /// `target:operation`, e.g. `n_embd:huge` or `shape:overflow`; the family is prefixed later.
    var id: String
    var detail: String
    var validity: FuzzValidity
    var files: [String: Data]
}

/// Whole-document mutations of a JSON file that every family of config shares: truncation,
/// invalid UTF-8, the wrong top-level type, deep nesting, a huge field.
enum DocumentMutation {
    /// A mutation of the JSON text `text` of an object; `extraField` adds a field to the
    /// object itself (for nesting and size that a valid reader may accept).
    static func apply(_ text: Data, object: [String: Any], _ rng: inout RandomGenerator) -> (id: String, detail: String, validity: FuzzValidity, data: Data) {
        switch rng.nextInt(below: 10) {
        case 0:
            let cut = rng.nextInt(below: max(text.count - 1, 1))
            return ("document:truncated", "cut to \(cut) of \(text.count) bytes", .invalid, text.prefix(cut))
        case 1:
            var d = text
            let at = rng.nextInt(below: d.count)
            let bad: [UInt8] = rng.pick([[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]])
            // Inside a string the bytes make it invalid UTF-8; outside one, invalid JSON.
            d.insert(contentsOf: bad, at: at)
            return ("document:non-utf8", "inserted bytes \(bad) at offset \(at)", .invalid, d)
        case 2:
            let v = rng.pick(["[]", "[{}]", "\"config\"", "42", "null", "true", ""])
            return ("document:not-object", "the whole file is \(v.debugDescription)", .invalid, Data(v.utf8))
        case 3:
            let depth = rng.pick([64, 600, 5_000, 100_000])
            return ("document:deep-nesting", "the whole file is \(depth) nested arrays", .invalid, JSONText.nested(depth: depth).bytes)
        case 4:
            let depth = rng.pick([16, 256, 600, 5_000, 100_000])
            var o = object
            o["fuzz_nested"] = JSONText.nested(depth: depth)
            // A reader may ignore an unknown field, or refuse JSON nested this deep.
            return ("document:deep-nested-field", "an extra field of \(depth) nested arrays", .unknown, JSONText.render(o))
        case 5:
            let size = rng.pick([1 << 16, 1 << 20, 4 << 20])
            var o = object
            o["fuzz_padding"] = String(repeating: "x", count: size)
            return ("document:huge-field", "an extra \(size)-character string field", .valid, JSONText.render(o))
        case 6:
            var d = text
            d.append(contentsOf: Array(rng.pick(["}", "]", ",", "{\"a\":1}", "\u{0}", " // comment"]).utf8))
            return ("document:trailing-garbage", "junk after the object", .invalid, d)
        case 7:
            var d = text
            let n = rng.int(in: 1...4)
            for _ in 0..<n { d[rng.nextInt(below: d.count)] ^= UInt8(1 << rng.nextInt(below: 7)) }
            return ("document:bit-flips", "\(n) flipped bits", .unknown, d)
        case 8:
            return ("document:empty", "an empty file", .invalid, Data())
        default:
            var o = object
            o["fuzz_unknown_field_\(rng.int(in: 0...9))"] = rng.pick([1, "x", NSNull(), [1, 2], ["a": 1]] as [Any])
            return ("document:unknown-field", "an extra unknown field", .valid, JSONText.render(o))
        }
    }
}
