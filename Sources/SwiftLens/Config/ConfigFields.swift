/// The members of a config's JSON object, read one field at a time with the field's type
/// checked strictly: a boolean is never a number and a number never a boolean, an integer
/// field takes only integral values within `Int`'s range, and a `Float` field only finite
/// values within `Float`'s range. A failure is a ``ConfigError/wrongValue(field:expected:found:)``
/// naming the field, the kind of value expected and the value found.
///
/// Absent fields and `null` read as `nil` (TransformerLens writes `null` for "unset").
struct ConfigFields {
    let values: [String: JSONValue]

    init(_ values: [String: JSONValue]) { self.values = values }

    func contains(_ field: String) -> Bool { values[field] != nil }

    /// The raw value, `nil` if absent or `null`.
    func value(_ field: String) -> JSONValue? {
        guard let v = values[field], v != .null else { return nil }
        return v
    }

    /// An integer; an integral number written with a fraction or exponent (`64.0`, `1e3`) is
    /// accepted as the integer it is.
    func int(_ field: String) throws -> Int? {
        guard let v = value(field) else { return nil }
        if case let .integer(i) = v { return i }
        guard case let .number(d) = v else { throw ConfigError.wrongValue(field: field, expected: "an integer", found: v.summary) }
        let expected = "an integer between \(Int.min) and \(Int.max)"
        guard d.isFinite, d == d.rounded(.towardZero) else {
            throw ConfigError.wrongValue(field: field, expected: expected, found: v.summary)
        }
        // Every Double in -2^63 ..< 2^63 converts exactly.
        guard d >= -0x1p63 && d < 0x1p63 else { throw ConfigError.wrongValue(field: field, expected: expected, found: v.summary) }
        return Int(d)
    }

    /// A finite number within `Float`'s range (rounded to the nearest `Float`); a non-zero
    /// value too small for a `Float` (which would read as 0 — for a soft cap, "no cap") is
    /// refused too.
    func float(_ field: String) throws -> Float? {
        guard let v = value(field) else { return nil }
        guard let d = v.double else { throw ConfigError.wrongValue(field: field, expected: "a number", found: v.summary) }
        guard d.isFinite, Float(d).isFinite, d == 0 || Float(d) != 0 else {
            throw ConfigError.wrongValue(field: field, expected: "0 or a finite number of magnitude between \(Float.leastNonzeroMagnitude) and \(Float.greatestFiniteMagnitude)",
                                         found: v.summary)
        }
        return Float(d)
    }

    /// `true` or `false`.
    func bool(_ field: String) throws -> Bool? {
        guard let v = value(field) else { return nil }
        guard case let .bool(b) = v else { throw ConfigError.wrongValue(field: field, expected: "true or false", found: v.summary) }
        return b
    }

    /// A string.
    func string(_ field: String) throws -> String? {
        guard let v = value(field) else { return nil }
        guard case let .string(s) = v else { throw ConfigError.wrongValue(field: field, expected: "a string", found: v.summary) }
        return s
    }

    /// One of an enumeration's raw values; `nil` if absent or `null`.
    func choice<T: RawRepresentable & CaseIterable>(_ field: String, nullAllowed: Bool) throws -> T? where T.RawValue == String {
        let supported = T.allCases.map(\.rawValue).joined(separator: ", ") + (nullAllowed ? ", null" : "")
        guard let v = value(field) else { return nil }
        guard case let .string(raw) = v else {
            throw ConfigError.wrongValue(field: field, expected: "one of the strings \(supported)", found: v.summary)
        }
        guard let choice = T(rawValue: raw) else { throw ConfigError.unsupported(field: field, value: raw, supported: supported) }
        return choice
    }
}
