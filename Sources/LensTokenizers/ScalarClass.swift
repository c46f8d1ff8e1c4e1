/// The four classes the GPT-2 pre-tokenizer pattern distinguishes, for one Unicode scalar.
///
/// The pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` only asks
/// whether a scalar is a letter (general category L: Lu Ll Lt Lm Lo), a number (N: Nd Nl No),
/// white space (the Unicode `White_Space` property, which is what `\s` means in Python `regex`,
/// Rust `regex`/`fancy-regex` and Oniguruma), or none of these. Marks (`Mn`, e.g. a combining
/// acute accent), format characters (`Cf`, e.g. U+200B), symbols and emoji are all `other`.
enum ScalarClass: UInt8 {
    case other = 0
    case letter = 1
    case number = 2
    case whitespace = 3

    /// Looked up once per scalar from the standard library's Unicode tables (the Unicode version
    /// of the Swift runtime; tiktoken's Rust `regex` and HF's Oniguruma may be a version apart,
    /// which only matters for characters assigned in the newest versions).
    init(_ scalar: Unicode.Scalar) {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        // Every White_Space scalar is a separator (Zs, Zl, Zp) or a control (Cc, e.g. tab and
        // U+0085); asking only for these halves the cost of building the table.
        case .spaceSeparator, .lineSeparator, .paragraphSeparator, .control:
            self = properties.isWhitespace ? .whitespace : .other
        default: self = .other
        }
    }
}

/// Classes of every scalar below U+40000 (the BMP and the supplementary planes that hold
/// assigned letters, numbers and emoji), one byte each, built once on first use.
///
/// Why a table: asking the standard library for a general category costs tens of nanoseconds,
/// the pre-tokenizer asks once per scalar of the text, and the throughput target (≈ 15 MB/s, tiktoken's)
/// leaves about 60 ns per byte for everything. Building the 256 KiB table takes a few
/// milliseconds, once per process. Scalars above U+3FFFF (plane 14 tags and variation selectors,
/// private use) are classified directly.
enum ScalarClassTable {
    static let limit: UInt32 = 0x40000

    /// Written once by the initialiser (Swift runs a static's initialiser exactly once, thread-safely)
    /// and only read afterwards.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: Int(limit))
        for value in 0..<limit {
            // Surrogates are not scalars and never occur in a String's UTF-8.
            table[Int(value)] = Unicode.Scalar(value).map { ScalarClass($0).rawValue } ?? ScalarClass.other.rawValue
        }
        return table
    }()

    /// The class of the scalar with this value (a valid scalar value).
    @inline(__always)
    static func classOf(_ value: UInt32) -> ScalarClass {
        if value < limit { return ScalarClass(rawValue: table[Int(value)])! }
        return Unicode.Scalar(value).map { ScalarClass($0) } ?? .other
    }
}
