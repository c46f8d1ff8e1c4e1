import Foundation
import SwiftLens

/// One change to one field of a JSON object: its new value (or its removal) and what kind of
/// value that is, which the family's rules turn into a ``FuzzValidity``.
struct FieldChange {
    enum Kind {
        case remove
        case null
        /// A value of the wrong JSON type (a boolean or string for a number, an array, an object).
        case wrongType
        /// An exact JSON integer.
        case int(Int)
        /// A JSON number with a fraction part written as `x.0`: the same integer to a lenient reader.
        case integralFloat(Int)
        /// A number that is not an integer, or one outside `Int` (1e300, 30 digits).
        case number(Double)
        case bool(Bool)
        case string(String)
    }

    /// The operation, for the mutation identifier: `bool`, `huge`, `negative`, `remove`, …
    let operation: String
    /// The new value; nil removes the field.
    let value: Any?
    let kind: Kind

    /// A readable form of the value for the report.
    var text: String {
        guard let value else { return "(removed)" }
        if let raw = value as? RawJSON {
            let s = String(decoding: raw.bytes.prefix(40), as: UTF8.self)
            return raw.bytes.count > 40 ? s + "…(\(raw.bytes.count) bytes)" : s
        }
        let s = String(decoding: JSONText.render(value).prefix(60), as: UTF8.self)
        return s
    }

    /// The integer the field would decode to, if it is one (removal and null give nil).
    var integer: Int? {
        if case let .int(v) = kind { return v }
        return nil
    }

    // MARK: Generators

    /// A change to an integer field currently `original`: zero, negative, huge, overflowing,
    /// near values, and every wrong type.
    static func integer(_ original: Int?, _ rng: inout RandomGenerator) -> FieldChange {
        let o = original ?? 4
        switch rng.nextInt(below: 17) {
        case 0: return .init(operation: "bool", value: rng.chance(0.5), kind: .wrongType)
        case 1: return .init(operation: "string", value: "\(o)", kind: .wrongType)
        case 2: return .init(operation: "fraction", value: Double(o) + 0.5, kind: .number(Double(o) + 0.5))
        case 3: return .init(operation: "integral-float", value: RawJSON("\(o).0"), kind: .integralFloat(o))
        case 4: return .init(operation: rng.chance(0.5) ? "array" : "object",
                             value: rng.chance(0.5) ? [o] as [Any] : ["value": o] as [String: Any], kind: .wrongType)
        case 5: return .init(operation: "zero", value: 0, kind: .int(0))
        case 6:
            let v = rng.pick([-1, -o, Int(Int32.min), Int.min])
            return .init(operation: "negative", value: v, kind: .int(v))
        case 7, 8:
            let v = rng.pick([1 << 20, 1 << 31, 1 << 40, 1 << 48, 1 << 62, Int.max, Int.max / 2, 3_000_000_000, o * 1_000_003])
            return .init(operation: "huge", value: v, kind: .int(v))
        case 9:
            let text = rng.pick(["1e300", "123456789012345678901234567890", "-1e300", "18446744073709551616", "1E400"])
            return .init(operation: "overflow-literal", value: RawJSON(text), kind: .number(Double(text) ?? .infinity))
        case 10, 11:
            let v = max(o + rng.pick([-2, -1, 1, 2, 3]), rng.chance(0.2) ? -5 : 1)
            return .init(operation: "near", value: v, kind: .int(v))
        case 12:
            let v = rng.int(in: 1...300)
            return .init(operation: "other", value: v, kind: .int(v))
        case 13: return .init(operation: "null", value: NSNull(), kind: .null)
        case 14: return .init(operation: "remove", value: nil, kind: .remove)
        case 15:
            let v = rng.pick([1, 2, 3, 5, 6, 7, 8, 16, 32, 64, 128])
            return .init(operation: "small", value: v, kind: .int(v))
        default:
            return .init(operation: "same", value: o, kind: .int(o))
        }
    }

    /// A change to a floating-point field currently `original`.
    static func float(_ original: Double?, _ rng: inout RandomGenerator) -> FieldChange {
        let o = original ?? 1
        switch rng.nextInt(below: 11) {
        case 0: return .init(operation: "bool", value: rng.chance(0.5), kind: .wrongType)
        case 1: return .init(operation: "string", value: "\(o)", kind: .wrongType)
        case 2: return .init(operation: "zero", value: 0.0, kind: .number(0))
        case 3:
            let v = rng.pick([-o, -1.0, -1e-5])
            return .init(operation: "negative", value: v, kind: .number(v))
        case 4:
            let text = rng.pick(["1e300", "-1e300", "1e39", "1e-320", "1E400"])
            return .init(operation: "extreme", value: RawJSON(text), kind: .number(Double(text) ?? .infinity))
        case 5:
            let v = o * rng.pick([0.5, 2, 10, 1e6])
            return .init(operation: "scaled", value: v, kind: .number(v))
        case 6: return .init(operation: "integer", value: 1, kind: .int(1))
        case 7: return .init(operation: "null", value: NSNull(), kind: .null)
        case 8: return .init(operation: "remove", value: nil, kind: .remove)
        case 9: return .init(operation: "array", value: [o], kind: .wrongType)
        default: return .init(operation: "same", value: o, kind: .number(o))
        }
    }

    /// A change to a boolean field currently `original`.
    static func bool(_ original: Bool?, _ rng: inout RandomGenerator) -> FieldChange {
        let o = original ?? false
        switch rng.nextInt(below: 7) {
        case 0, 1: return .init(operation: "flip", value: !o, kind: .bool(!o))
        case 2: return .init(operation: "string", value: o ? "true" : "false", kind: .wrongType)
        case 3:
            let v = rng.pick([0, 1, 2])
            return .init(operation: "number", value: v, kind: .int(v))
        case 4: return .init(operation: "null", value: NSNull(), kind: .null)
        case 5: return .init(operation: "remove", value: nil, kind: .remove)
        default: return .init(operation: "array", value: [o], kind: .wrongType)
        }
    }

    /// A change to a string field currently `original` whose known values are `choices`.
    static func choice(_ original: String?, _ choices: [String], _ rng: inout RandomGenerator) -> FieldChange {
        switch rng.nextInt(below: 8) {
        case 0, 1:
            let v = rng.pick(choices)
            return .init(operation: "other-choice", value: v, kind: .string(v))
        case 2, 3:
            let v = rng.pick(["swish", "GELU", "gelu_tanh", "solu_ln", "", "relu6", "xavier_uniform", "ALiBi",
                              "LN ", "unknown-\(rng.int(in: 0...99))", "\u{1F600}"])
            return .init(operation: "unknown-choice", value: v, kind: .string(v))
        case 4:
            let v: Any = rng.pick([42, true, [original ?? "x"], ["name": original ?? "x"]] as [Any])
            return .init(operation: "wrong-type", value: v, kind: .wrongType)
        case 5: return .init(operation: "null", value: NSNull(), kind: .null)
        case 6: return .init(operation: "remove", value: nil, kind: .remove)
        default:
            let v = original?.uppercased() ?? "X"
            return .init(operation: "case-changed", value: v, kind: .string(v))
        }
    }
}
