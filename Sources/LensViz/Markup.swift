/// Text and number helpers shared by every figure: XML escaping, token display, coordinate and
/// value formatting, and a rough text-width estimate used for layout.
///
/// SVG has no automatic layout, so figures size their margins from an estimate of how wide a label
/// will be. The estimate is deliberately generous (0.6 em per Latin character, 1 em for wide
/// scripts) so that labels are never clipped with common system fonts.
enum Markup {
    /// Escapes `&`, `<`, `>`, `"` and `'` and replaces characters that XML 1.0 forbids even when
    /// escaped (C0 controls other than tab, newline and carriage return; U+FFFE and U+FFFF).
    /// Controls become their visible "control picture" (U+2400 + code), so a byte-level token
    /// such as `\u{1}` still shows up as something.
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 {
                    out.unicodeScalars.append(Unicode.Scalar(0x2400 + scalar.value)!)
                } else if scalar.value == 0x7F {
                    out += "\u{2421}"
                } else if scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A token as it should appear in a label: newlines, carriage returns and tabs become visible
    /// symbols (↵, ␍, ⇥) so that whitespace tokens are not blank, a token made only of spaces
    /// shows one `·` per space, and an empty token shows as `∅`. Other spaces are kept (labels
    /// are drawn with `white-space: pre`).
    static func displayToken(_ token: String) -> String {
        if token.isEmpty { return "\u{2205}" }
        if token.allSatisfy({ $0 == " " }) { return String(repeating: "\u{00B7}", count: token.count) }
        var out = ""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "\n": out += "\u{21B5}"
            case "\r": out += "\u{240D}"
            case "\t": out += "\u{21E5}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` cut to at most `maxCharacters` characters, ending in `…` when it was cut.
    static func truncate(_ text: String, to maxCharacters: Int) -> String {
        guard text.count > maxCharacters, maxCharacters >= 2 else { return text }
        return String(text.prefix(maxCharacters - 1)) + "\u{2026}"
    }

    /// Estimated rendered width of `text` in pixels at `fontSize`.
    static func width(of text: String, fontSize: Double) -> Double {
        var ems = 0.0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v >= 0x0300 && v < 0x0370 { continue }          // combining marks
            ems += (v >= 0x1100 && (v < 0x2000 || v >= 0x2E80)) ? 1.0 : 0.6
        }
        return ems * fontSize
    }

    /// A coordinate with at most two decimals and no trailing zeros ("12", "12.5", "12.25").
    static func coord(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() && abs(rounded) < 1e15 {
            return String(Int64(rounded))
        }
        return String(rounded)
    }

    /// A data value with about `significant` significant digits, in plain notation for
    /// magnitudes in [1e-3, 1e5) and scientific notation otherwise ("0.0123", "1.23e+06").
    /// NaN and infinities are spelled "NaN", "∞" and "−∞".
    static func value(_ value: Float, significant: Int = 3) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "\u{221E}" : "\u{2212}\u{221E}" }
        if value == 0 { return "0" }
        let magnitude = abs(Double(value))
        if magnitude >= 1e5 || magnitude < 1e-3 {
            return scientific(Double(value), digits: max(significant - 1, 0))
        }
        let exponent = Int((magnitude).log10Floor)
        let decimals = max(0, significant - 1 - exponent)
        return fixed(Double(value), decimals: decimals, trimZeros: true)
    }

    /// The decimals of the numbers printed in a heatmap's cells: one count for the whole figure,
    /// from the colour scale's span (span 1–10: 2 decimals; 10–100: 1; 0.1–1: 3 …, at most 4),
    /// so that cells line up and a value that is zero at the figure's resolution reads "0.00"
    /// rather than "−1.6e−8"; none when every value is an integer.
    static func cellDecimals(span: Float, integral: Bool) -> Int {
        if integral { return 0 }
        guard span.isFinite, span > 0 else { return 2 }
        return max(0, min(4, 2 - Int(Double(span).log10Floor)))
    }

    /// A value printed in a heatmap cell with `decimals` decimals (huge magnitudes in scientific
    /// notation).
    static func cellValue(_ value: Float, decimals: Int) -> String {
        if !value.isFinite || abs(value) >= 1e6 { return self.value(value, significant: 2) }
        return fixed(Double(value), decimals: decimals)
    }

    /// `value` with exactly `decimals` decimals (or with trailing zeros removed if `trimZeros`).
    static func fixed(_ value: Double, decimals: Int, trimZeros: Bool = false) -> String {
        let d = max(0, min(decimals, 12))
        var scale = 1.0
        for _ in 0..<d { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let negative = value < 0 && scaled != 0
        let integerPart = (scaled / scale).rounded(.down)
        var fraction = scaled - integerPart * scale
        if fraction < 0 { fraction = 0 }
        var text = integerPart < 9e18 ? String(Int64(integerPart)) : String(integerPart)
        if d > 0 {
            var digits = String(Int64(fraction.rounded()))
            while digits.count < d { digits = "0" + digits }
            if trimZeros { while digits.hasSuffix("0") { digits.removeLast() } }
            if !digits.isEmpty { text += "." + digits }
        }
        return negative ? "\u{2212}" + text : text
    }

    /// Scientific notation with `digits` decimals in the mantissa ("1.5e+06", "−2.0e−04").
    static func scientific(_ value: Double, digits: Int) -> String {
        guard value != 0 else { return "0" }
        var exponent = Int(abs(value).log10Floor)
        var mantissa = value / pow10(exponent)
        // Rounding can carry the mantissa to 10.0.
        if abs(Double(fixed(abs(mantissa), decimals: digits)) ?? 0) >= 10 {
            exponent += 1
            mantissa = value / pow10(exponent)
        }
        let sign = exponent < 0 ? "\u{2212}" : "+"
        return fixed(mantissa, decimals: digits) + "e" + sign + String(abs(exponent))
    }

    static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        if exponent >= 0 { for _ in 0..<exponent { result *= 10 } }
        else { for _ in 0..<(-exponent) { result /= 10 } }
        return result
    }
}

extension Double {
    /// floor(log10(self)) for positive finite values, computed without Foundation so that exact
    /// powers of ten land on the right integer.
    var log10Floor: Double {
        guard self > 0 && isFinite else { return 0 }
        var exponent = 0
        var v = self
        while v >= 10 { v /= 10; exponent += 1 }
        while v < 1 { v *= 10; exponent -= 1 }
        return Double(exponent)
    }
}
