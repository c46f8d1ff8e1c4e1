import Foundation

extension JSONValue {
    /// The deepest nesting of arrays and objects ``parse(_:origin:maximumDepth:)`` accepts by
    /// default: far more than any config, header or token file needs, far less than the stack
    /// a recursive reader can use.
    public static let defaultMaximumDepth = 64

    /// Parses `data` as one JSON value (RFC 8259), surrounded by nothing but whitespace.
    ///
    /// - Parameters:
    ///   - origin: the file or source, for error messages.
    ///   - maximumDepth: how deeply arrays and objects may nest.
    /// - Throws: ``JSONParseError`` naming `origin`, the byte offset and what was expected: for
    ///   malformed text, bytes that are not UTF-8, a control character or lone surrogate in a
    ///   string, a repeated key in an object, a number outside `Double`'s range, or nesting
    ///   deeper than `maximumDepth`.
    public static func parse(_ data: Data, origin: String, maximumDepth: Int = defaultMaximumDepth) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self), origin: origin, maximumDepth: maximumDepth)
            return try parser.document()
        }
    }
}

/// A recursive-descent reader over UTF-8 bytes, one value at a time.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let origin: String
    let maximumDepth: Int
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, origin: String, maximumDepth: Int) {
        self.bytes = bytes
        self.origin = origin
        self.maximumDepth = maximumDepth
    }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(origin: origin, offset: offset ?? index, reason: reason)
    }

    /// What is at the current position, for "found …".
    var found: String {
        guard index < bytes.count else { return "the end of the text" }
        let byte = bytes[index]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "the byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    mutating func document() throws -> JSONValue {
        skipWhitespace()
        let value = try self.value()
        skipWhitespace()
        guard index == bytes.count else { throw fail("expected the end of the text after the value, found \(found)") }
        return value
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
        guard index < bytes.count else { throw fail("expected a value, found the end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("expected a value (object, array, string, number, true, false or null), found \(found)")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let start = index
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count,
              (0..<count).allSatisfy({ bytes[index + $0] == word.utf8Start[$0] }) else {
            throw fail("expected \(word), found \(found)", at: start)
        }
        index += count
    }

    mutating func enter() throws {
        depth += 1
        guard depth <= maximumDepth else {
            throw fail("arrays and objects nest more than \(maximumDepth) deep; expected at most \(maximumDepth)")
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
            let keyOffset = index
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail("expected a string key in an object, found \(found)")
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("expected ':' after the key \(key.debugDescription), found \(found)")
            }
            index += 1
            skipWhitespace()
            let value = try self.value()
            guard members.updateValue(value, forKey: key) == nil else {
                throw fail("the key \(key.debugDescription) appears twice in one object; expected unique keys", at: keyOffset)
            }
            skipWhitespace()
            guard index < bytes.count else { throw fail("expected ',' or '}' in an object, found the end of the text") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw fail("expected ',' or '}' in an object, found \(found)")
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
            guard index < bytes.count else { throw fail("expected ',' or ']' in an array, found the end of the text") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            throw fail("expected ',' or ']' in an array, found \(found)")
        }
    }

    /// A string starting at the opening quote; escapes decoded, UTF-8 validated.
    mutating func string() throws -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else { throw fail("expected '\"' to close the string that starts here", at: start) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if utf8.isEmpty {
                    // No escapes: the text is the bytes between the quotes.
                    let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
                    index += 1
                    guard let text = String(validating: run, as: UTF8.self) else {
                        throw fail("expected UTF-8 text in the string, found bytes that are not valid UTF-8", at: start)
                    }
                    return text
                }
                utf8.append(contentsOf: bytes[runStart..<index])
                index += 1
                break
            }
            if byte < 0x20 { throw fail("expected an escape (\\n, \\t, …) for the control character 0x\(String(byte, radix: 16)) in a string") }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            utf8.append(contentsOf: bytes[runStart..<index])
            index += 1
            guard index < bytes.count else { throw fail("expected an escape after '\\', found the end of the text") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("expected a low surrogate \\uDC00-\\uDFFF after the high surrogate \\u\(String(scalar, radix: 16))")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw fail("expected a low surrogate \\uDC00-\\uDFFF, found \\u\(String(low, radix: 16))")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("found a lone low surrogate \\u\(String(scalar, radix: 16)); expected a character")
                }
                utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw fail("expected one of the escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX, found \\\(Character(Unicode.Scalar(escape)))",
                           at: index - 2)
            }
            runStart = index
        }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw fail("expected UTF-8 text in the string, found bytes that are not valid UTF-8", at: start)
        }
        return text
    }

    /// Four hex digits after `\u`.
    mutating func hex4() throws -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail("expected four hex digits after \\u, found the end of the text") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("expected a hex digit after \\u, found \(found)")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer if there is no fraction or
    /// exponent and it fits `Int`, otherwise a finite `Double`.
    mutating func number() throws -> JSONValue {
        let start = index
        func digits() -> Int {
            let first = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - first
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        guard digits() > 0 else { throw fail("expected a digit in a number, found \(found)") }
        if bytes[integerStart] == UInt8(ascii: "0") && index - integerStart > 1 {
            throw fail("expected a number without leading zeros", at: start)
        }
        var integral = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard digits() > 0 else { throw fail("expected a digit after the decimal point, found \(found)") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("expected a digit in the exponent, found \(found)") }
        }
        if integral && index - start <= 18 {
            // At most 18 digits: fits Int without overflow checks.
            var value = 0
            let negative = bytes[start] == UInt8(ascii: "-")
            for i in (negative ? start + 1 : start)..<index { value = value * 10 + Int(bytes[i] - UInt8(ascii: "0")) }
            return .integer(negative ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else {
            throw fail("the number \(text.prefix(40)) is outside the range of a Double", at: start)
        }
        return .number(value)
    }
}
