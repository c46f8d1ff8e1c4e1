extension JSONValue: Decodable {
    /// Reads a value from any decoder, so that a type decoding its members as `JSONValue`
    /// (e.g. `HookedTransformerConfig`) applies the same strict field checks whether its JSON
    /// came through ``parse(_:origin:maximumDepth:)`` or a `JSONDecoder`. Booleans are tried
    /// first, so `true` never becomes a number.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }
}
