/// An 8-bit sRGB colour.
public struct RGBColor: Sendable, Hashable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `#rrggbb`, lower case: the form written into SVG `fill` attributes.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        var out = "#"
        for component in [red, green, blue] {
            out.append(digits[Int(component >> 4)])
            out.append(digits[Int(component & 0xF)])
        }
        return out
    }

    public var description: String { hex }

    /// Perceived brightness in [0, 255] (Rec. 601 weights); above ~150 dark text reads better.
    var brightness: Double {
        0.299 * Double(red) + 0.587 * Double(green) + 0.114 * Double(blue)
    }

    /// A text colour that stays readable on this background.
    var contrastingText: String {
        brightness > 150 ? "#1f2328" : "#ffffff"
    }

    static func mix(_ a: RGBColor, _ b: RGBColor, _ t: Double) -> RGBColor {
        func channel(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8(max(0, min(255, (Double(x) + (Double(y) - Double(x)) * t).rounded())))
        }
        return RGBColor(red: channel(a.red, b.red), green: channel(a.green, b.green), blue: channel(a.blue, b.blue))
    }
}
