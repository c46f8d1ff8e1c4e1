import Foundation

/// A Hugging Face `config.json`, read strictly: every field the conversion uses is checked for
/// its type and range where it is read, and an error names the file, the field, what was
/// expected and what was found (`true` is never the integer 1, `2.0` or `"2"` never the
/// integer 2). `null` counts as absent, as in Hugging Face's own configs (`"n_inner": null`).
/// Fields the conversion does not use are not read.
struct HuggingFaceConfig {
    /// Largest size any single dimension may have: products of two stay far inside `Int`.
    static let maximumDimension = Int(Int32.max)

    let fields: [String: JSONValue]
    /// The file, for messages.
    let path: String

    init(fields: [String: JSONValue], path: String) {
        self.fields = fields
        self.path = path
    }

    /// A Hugging Face config names its `model_type` or `architectures`; a TransformerLens one
    /// has `d_model` (possibly under `cfg`).
    static func isHuggingFace(_ object: [String: JSONValue]) -> Bool {
        object["d_model"] == nil && object["cfg"] == nil && (object["model_type"] != nil || object["architectures"] != nil)
    }

    private func value(_ key: String) -> JSONValue? {
        guard let v = fields[key], !v.isNull else { return nil }
        return v
    }

    func invalid(_ key: String, expected: String, found: String) -> ConfigError {
        .invalid(field: key, reason: "in \(path): expected \(expected), found \(found)")
    }

    private func missing(_ key: String, expected: String) -> ConfigError {
        .invalid(field: key, reason: "\(path) has no \"\(key)\"; expected \(expected)")
    }

    /// The integer `key` in `range`; `fallback` when absent, or an error when there is none.
    func integer(_ key: String, in range: ClosedRange<Int> = 1...HuggingFaceConfig.maximumDimension, default fallback: Int? = nil) throws -> Int {
        let expected = range.upperBound == Self.maximumDimension
            ? "an integer ≥ \(range.lowerBound)" + (range.lowerBound > 0 ? " (at most \(Self.maximumDimension))" : "")
            : "an integer in \(range.lowerBound)...\(range.upperBound)"
        guard let v = value(key) else {
            if let fallback { return fallback }
            throw missing(key, expected: expected)
        }
        guard let i = v.integer, range.contains(i) else { throw invalid(key, expected: expected, found: v.summary) }
        return i
    }

    /// The integer `key` in `range`, nil when absent.
    func optionalInteger(_ key: String, in range: ClosedRange<Int> = 1...HuggingFaceConfig.maximumDimension) throws -> Int? {
        value(key) == nil ? nil : try integer(key, in: range)
    }

    /// The positive finite number `key` (an integer literal is a number), `fallback` when absent.
    func positiveNumber(_ key: String, default fallback: Double) throws -> Double {
        guard let v = value(key) else { return fallback }
        guard let d = v.double, d.isFinite, d > 0 else { throw invalid(key, expected: "a positive number", found: v.summary) }
        return d
    }

    /// The boolean `key` (`true`/`false`, never a number), `fallback` when absent.
    func boolean(_ key: String, default fallback: Bool) throws -> Bool {
        guard let v = value(key) else { return fallback }
        guard let b = v.bool else { throw invalid(key, expected: "true or false", found: v.summary) }
        return b
    }

    /// The string `key`, `fallback` when absent.
    func string(_ key: String, default fallback: String) throws -> String {
        guard let v = value(key) else { return fallback }
        guard let s = v.string else { throw invalid(key, expected: "a string", found: v.summary) }
        return s
    }

    /// The array of strings `key`, empty when absent.
    func strings(_ key: String) throws -> [String] {
        guard let v = value(key) else { return [] }
        guard let items = v.array, let strings = Optional(items.compactMap(\.string)), strings.count == items.count else {
            throw invalid(key, expected: "an array of strings", found: v.summary)
        }
        return strings
    }

    /// The object `key`, nil when absent.
    func object(_ key: String) throws -> HuggingFaceConfig? {
        guard let v = value(key) else { return nil }
        guard let o = v.object else { throw invalid(key, expected: "an object", found: v.summary) }
        return HuggingFaceConfig(fields: o, path: "\(path) (in \"\(key)\")")
    }

    /// The activation named by `key`, `fallback` when absent.
    func activation(_ key: String, default fallback: Activation) throws -> Activation {
        guard let v = value(key) else { return fallback }
        let supported = Activation.elementwise.map(\.rawValue).joined(separator: ", ")
        guard let name = v.string else { throw invalid(key, expected: "one of the strings \(supported)", found: v.summary) }
        guard let act = Activation(rawValue: name), act.kernel != nil else {
            throw ConfigError.unsupported(field: key, value: "\"\(name)\" (in \(path))", supported: supported)
        }
        return act
    }

    /// Throws unless the boolean `key` is absent or `supported`.
    func require(_ key: String, is supported: Bool, because reason: String) throws {
        let found = try boolean(key, default: supported)
        guard found == supported else {
            throw ConfigError.unsupported(field: key, value: "\(found) (in \(path))", supported: "\(supported) (\(reason))")
        }
    }
}
