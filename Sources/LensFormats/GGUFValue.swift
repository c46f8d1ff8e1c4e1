/// One GGUF metadata value, with the exact type the file stored.
///
/// ```swift
/// file.metadata["llama.block_count"]            // .uint32(30)
/// file.metadata["llama.block_count"]?.integer   // 30, whatever integer width the file used
/// file.metadata["tokenizer.ggml.tokens"]?.strings?.count
/// ```
///
/// The stored type is kept (not normalised to `Int`/`Double`) so that a writer can round-trip a
/// file and a validator can insist on a type where the format does (`general.alignment` must be
/// UINT32). The accessors (``integer``, ``double``, …) are the lenient view a loader wants:
/// converters often write counts as UINT32 although the spec recommends UINT64, so ``integer``
/// accepts every integer type (never a bool or a float).
///
/// An array keeps its element type, so an empty array still says what it would hold; the
/// elements of a nested array are themselves `.array` values, each with its own element type.
public enum GGUFValue: Sendable, Equatable, CustomStringConvertible {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)
    case bool(Bool)
    /// UTF-8 text (validated when read).
    case string(String)
    /// Elements all of `elementType`; nested arrays have `elementType == .array`.
    case array(elementType: GGUFValueType, values: [GGUFValue])

    /// The type id this value was stored with.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as `Int`, if it is stored as any integer type and fits (a UINT64 above
    /// `Int.max` does not). Never a bool or a float.
    public var integer: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// The value as `Double`, if it is stored as FLOAT32 or FLOAT64 (exact either way).
    public var double: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: nil
        }
    }

    /// The value, if it is a BOOL.
    public var bool: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The text, if this is a STRING.
    public var string: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The elements, if this is an ARRAY.
    public var array: [GGUFValue]? {
        if case let .array(_, values) = self { return values }
        return nil
    }

    /// The elements as strings, if this is an array of STRING.
    public var strings: [String]? {
        guard case let .array(type, values) = self, type == .string else { return nil }
        return values.map { $0.string! }
    }

    /// The elements as `Int`, if this is an array of an integer type whose every element fits.
    public var integers: [Int]? {
        guard case let .array(type, values) = self, type != .float32, type != .float64, type != .bool,
              type != .string, type != .array else { return nil }
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let i = v.integer else { return nil }
            out.append(i)
        }
        return out
    }

    /// The elements as `Double`, if this is an array of FLOAT32 or FLOAT64.
    public var doubles: [Double]? {
        guard case let .array(type, values) = self, type == .float32 || type == .float64 else { return nil }
        return values.map { $0.double! }
    }

    /// The value in a short readable form: `UINT32 30`, `STRING "llama"`, `ARRAY<STRING>[49152]`.
    public var description: String {
        switch self {
        case let .uint8(v): "UINT8 \(v)"
        case let .int8(v): "INT8 \(v)"
        case let .uint16(v): "UINT16 \(v)"
        case let .int16(v): "INT16 \(v)"
        case let .uint32(v): "UINT32 \(v)"
        case let .int32(v): "INT32 \(v)"
        case let .float32(v): "FLOAT32 \(v)"
        case let .uint64(v): "UINT64 \(v)"
        case let .int64(v): "INT64 \(v)"
        case let .float64(v): "FLOAT64 \(v)"
        case let .bool(v): "BOOL \(v)"
        case let .string(s): "STRING \(s.count > 60 ? String(s.prefix(60)).debugDescription + "…" : s.debugDescription)"
        case let .array(type, values): "ARRAY<\(type)>[\(values.count)]"
        }
    }
}
