/// A JSON value read strictly, for input from outside the program (safetensors headers, model
/// configs, token ids).
///
/// ```swift
/// let value = try JSONValue.parse(data, origin: "config.json")
/// value["n_layer"]?.integer          // 2; nil for `true`, `2.0`, `"2"` or a missing key
/// ```
///
/// Stricter than `JSONSerialization` where that one guesses: a boolean is never a number (on
/// Linux `JSONSerialization` reads `true` as the integer 1), an integer is a literal without a
/// fraction or exponent that fits `Int`, a repeated key in an object is an error (not "the last
/// one wins"), text must be UTF-8, and nesting is limited so a hostile file cannot exhaust the
/// stack. See ``parse(_:origin:maximumDepth:)``.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without a fraction or exponent that fits `Int`.
    case integer(Int)
    /// Any other (finite) number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// An object; its keys were unique in the text.
    case object([String: JSONValue])

    /// The integer, if this is an integer literal (not a boolean, fraction or string).
    public var integer: Int? {
        if case let .integer(i) = self { return i }
        return nil
    }

    /// The number as a `Double`, if this is a number (integer or not; never a boolean).
    public var double: Double? {
        switch self {
        case let .integer(i): Double(i)
        case let .number(d): d
        default: nil
        }
    }

    /// The boolean, if this is `true` or `false` (never a number).
    public var bool: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The string, if this is a string.
    public var string: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The elements, if this is an array.
    public var array: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The members, if this is an object.
    public var object: [String: JSONValue]? {
        if case let .object(o) = self { return o }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool { self == .null }

    /// The member `key` of an object (nil for a missing key or a value that is not an object).
    public subscript(key: String) -> JSONValue? { object?[key] }

    /// What this value is, for the "found …" half of an error message: `true`, `the number
    /// 2.5`, `the string "2"`, `an array of 3 elements`, `an object`, `null`.
    public var summary: String {
        switch self {
        case .null: "null"
        case let .bool(b): "\(b)"
        case let .integer(i): "the integer \(i)"
        case let .number(d): "the number \(d)"
        case let .string(s): "the string \(String(s.prefix(40)).debugDescription)\(s.count > 40 ? "…" : "")"
        case let .array(a): "an array of \(a.count) element\(a.count == 1 ? "" : "s")"
        case .object: "an object"
        }
    }
}
