import Foundation

/// A JSON document as written: numbers keep their literal text, and `true` / `false` stay
/// booleans.
///
/// Why not `JSONSerialization`: on Linux it returns `true` as an `NSNumber` that `as? Int`
/// reads as 1 (so `"n_layers": true` would build a one-layer model), it rejects a document
/// holding one number beyond `Double`'s range without saying which field, and its errors read
/// "The operation could not be completed". Config readers need the value's kind and literal
/// to say what was expected and what was found; this strict RFC 8259 reader keeps both, and
/// reports syntax errors by line and column. Nesting is limited (``maximumDepth``) so that a
/// hostile file cannot exhaust the stack.
enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, e.g. `"1e-05"` (checked against JSON's number grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members by name; a repeated name keeps its last value, as Python's `json` does.
    case object([String: JSONValue])

    /// Deepest nesting of arrays and objects accepted.
    static let maximumDepth = 128

    /// Parses a complete JSON text (UTF-8, optionally with a byte-order mark).
    /// - Throws: ``ConfigError/invalidJSON(_:)`` saying what was expected and found, and where.
    static func parse(_ data: Data) throws -> JSONValue {
        var parser = Parser(bytes: [UInt8](data))
        return try parser.document()
    }

    /// The value as a short phrase for an error message ("true", "1e+30", "a JSON object", …).
    var summary: String {
        switch self {
        case .null: "null"
        case let .bool(b): b ? "true" : "false"
        case let .number(text): text.count > 40 ? String(text.prefix(40)) + "… (\(text.count) characters)" : text
        case let .string(s): s.count > 40 ? "the string \"\(s.prefix(40))…\"" : "the string \"\(s)\""
        case .array: "a JSON array"
        case .object: "a JSON object"
        }
    }

    /// A recursive-descent reader over the document's bytes.
    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var depth = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        mutating func document() throws -> JSONValue {
            skipWhitespace()
            let value = try self.value()
            skipWhitespace()
            if index < bytes.count { throw failure(expected: "the end of the document") }
            return value
        }

        /// An error at the current position: "expected …, found … at line L, column C".
        func failure(expected: String, found: String? = nil) -> ConfigError {
            var line = 1, column = 1
            for b in bytes[..<min(index, bytes.count)] {
                if b == UInt8(ascii: "\n") { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
            let what = found ?? foundHere
            return .invalidJSON("expected \(expected), found \(what) at line \(line), column \(column)")
        }

        /// The text at the current position, for an error message.
        var foundHere: String {
            guard index < bytes.count else { return "the end of the file" }
            let end = min(index + 12, bytes.count)
            let text = String(decoding: bytes[index..<end], as: UTF8.self)
            return "`\(text)\(end < bytes.count ? "…" : "")`"
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value() throws -> JSONValue {
            guard index < bytes.count else { throw failure(expected: "a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw failure(expected: "a value (object, array, string, number, true, false or null)")
            }
        }

        mutating func literal(_ word: String) throws {
            let utf8 = Array(word.utf8)
            guard bytes.count - index >= utf8.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
                throw failure(expected: word)
            }
            index += utf8.count
        }

        mutating func enter() throws {
            depth += 1
            if depth > JSONValue.maximumDepth {
                throw failure(expected: "at most \(JSONValue.maximumDepth) nested arrays and objects", found: "deeper nesting")
            }
        }

        mutating func object() throws -> JSONValue {
            try enter()
            defer { depth -= 1 }
            index += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure(expected: "a member name in quotes") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure(expected: "\":\" after \"\(key)\"") }
                index += 1
                skipWhitespace()
                members[key] = try value()
                skipWhitespace()
                guard index < bytes.count else { throw failure(expected: "\",\" or \"}\"") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw failure(expected: "\",\" or \"}\"")
            }
        }

        mutating func array() throws -> JSONValue {
            try enter()
            defer { depth -= 1 }
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value())
                skipWhitespace()
                guard index < bytes.count else { throw failure(expected: "\",\" or \"]\"") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw failure(expected: "\",\" or \"]\"")
            }
        }

        /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as written.
        mutating func number() throws -> String {
            let start = index
            func digits() -> Int {
                let from = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                return index - from
            }
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw failure(expected: "a digit") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if digits() == 0 {
                throw failure(expected: "a digit")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                if digits() == 0 { throw failure(expected: "a digit after the decimal point") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                if digits() == 0 { throw failure(expected: "a digit in the exponent") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A quoted string with JSON's escapes; the bytes must be valid UTF-8.
        mutating func string() throws -> String {
            index += 1
            var scalars: [UInt8] = []
            while true {
                guard index < bytes.count else { throw failure(expected: "the closing quote of a string") }
                let b = bytes[index]
                if b == UInt8(ascii: "\"") { index += 1; break }
                if b < 0x20 { throw failure(expected: "a character or escape in a string", found: "control character \(b)") }
                if b != UInt8(ascii: "\\") { scalars.append(b); index += 1; continue }
                index += 1
                guard index < bytes.count else { throw failure(expected: "an escape sequence") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(e)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), bytes.count - index >= 6,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        let save = index
                        index += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                        }
                    }
                    // A lone surrogate becomes U+FFFD, as most JSON readers do.
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    index -= 1
                    throw failure(expected: "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                }
            }
            guard let text = String(validating: scalars, as: UTF8.self) else {
                throw failure(expected: "UTF-8 text in a string", found: "invalid UTF-8")
            }
            return text
        }

        mutating func hex4() throws -> UInt32 {
            guard bytes.count - index >= 4 else { throw failure(expected: "four hexadecimal digits") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Character(Unicode.Scalar(bytes[index])).hexDigitValue else {
                    throw failure(expected: "four hexadecimal digits")
                }
                code = code << 4 | UInt32(digit)
                index += 1
            }
            return code
        }
    }
}

extension JSONValue: Decodable {
    /// Reads a value from any decoder (so `HookedTransformerConfig`'s `Decodable` conformance
    /// applies the same checks as ``parse(_:)``). A number is kept as the text of the `Int` or
    /// `Double` the decoder produced.
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .number(String(i)); return }
        if let d = try? c.decode(Double.self) { self = .number(d.isFinite ? "\(d)" : "1e999"); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }
}
