/// How values map to colours in heatmaps, attention patterns and token strips.
///
/// - `sequential`: white → dark blue, for non-negative quantities such as attention weights or
///   probabilities; the domain is the data's [min, max] unless one is given.
/// - `diverging(center:)`: blue ← white → red, for signed quantities such as logit differences or
///   patching effects, where the sign matters more than the size. White sits exactly at `center`,
///   and the automatic domain is symmetric around it so equal distances get equal intensity.
///
/// NaN maps to a neutral grey (`ColorScale.missingColor`) so missing values are not mistaken for
/// small ones; ±infinity is clamped to the ends of the scale.
public enum ColorScale: Sendable {
    case sequential            // white → dark blue, domain [min, max] of the data unless given
    case diverging(center: Float = 0)  // blue ← white (at center) → red, symmetric around center

    /// The colour of NaN values.
    public static let missingColor = RGBColor(red: 189, green: 189, blue: 189)

    /// The colour at the low end of the domain (white for sequential, blue for diverging).
    public var lowColor: RGBColor { stops(negativeSide: true).last! }
    /// The colour at the high end of the domain (dark blue for sequential, red for diverging).
    public var highColor: RGBColor { stops(negativeSide: false).last! }
    /// White: the sequential low end, and the diverging centre.
    public static let white = RGBColor(red: 255, green: 255, blue: 255)

    private static let sequentialStops = [
        RGBColor(red: 255, green: 255, blue: 255), RGBColor(red: 204, green: 222, blue: 240),
        RGBColor(red: 122, green: 170, blue: 216), RGBColor(red: 44, green: 108, blue: 178),
        RGBColor(red: 10, green: 42, blue: 102),
    ]
    private static let blueStops = [
        RGBColor(red: 255, green: 255, blue: 255), RGBColor(red: 150, green: 192, blue: 224),
        RGBColor(red: 32, green: 92, blue: 168),
    ]
    private static let redStops = [
        RGBColor(red: 255, green: 255, blue: 255), RGBColor(red: 238, green: 156, blue: 128),
        RGBColor(red: 176, green: 28, blue: 40),
    ]

    /// The colour ramp from the centre outwards (diverging) or from low to high (sequential).
    private func stops(negativeSide: Bool) -> [RGBColor] {
        switch self {
        case .sequential: return negativeSide ? [Self.sequentialStops[0]] : Self.sequentialStops
        case .diverging: return negativeSide ? Self.blueStops : Self.redStops
        }
    }

    private static func ramp(_ stops: [RGBColor], _ t: Double) -> RGBColor {
        guard stops.count > 1 else { return stops[0] }
        let clamped = max(0, min(1, t))
        let position = clamped * Double(stops.count - 1)
        let index = min(Int(position), stops.count - 2)
        return RGBColor.mix(stops[index], stops[index + 1], position - Double(index))
    }

    /// The domain used when none is given: the finite [min, max] of `values` for `sequential`;
    /// `center ± max|v − center|` for `diverging`. A constant or empty input gets a small
    /// non-degenerate interval around its value.
    public func domain(for values: some Sequence<Float>) -> ClosedRange<Float> {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        switch self {
        case .sequential:
            guard lo <= hi else { return 0...1 }
            if lo == hi {
                let pad: Float = lo == 0 ? 1 : abs(lo) * 0.1
                return lo == 0 ? 0...1 : (lo - pad)...(hi + pad)
            }
            return lo...hi
        case .diverging(let center):
            let c = center.isFinite ? center : 0
            guard lo <= hi else { return (c - 1)...(c + 1) }
            var half = max(abs(hi - c), abs(lo - c))
            if !(half > 0) || !half.isFinite { half = 1 }
            return (c - half)...(c + half)
        }
    }

    /// The colour of `value` within `domain`.
    ///
    /// Sequential: linear from `domain.lowerBound` (white) to `domain.upperBound` (dark blue).
    /// Diverging: white at `center`, reaching full blue at `domain.lowerBound` and full red at
    /// `domain.upperBound` (each side scaled separately, so an asymmetric domain still has white
    /// at the centre). Values outside the domain and infinities are clamped; NaN is grey.
    public func color(for value: Float, domain: ClosedRange<Float>) -> RGBColor {
        if value.isNaN { return Self.missingColor }
        let v = Double(value)
        let lo = Double(domain.lowerBound), hi = Double(domain.upperBound)
        switch self {
        case .sequential:
            let t: Double
            if v == .infinity { t = 1 } else if v == -.infinity { t = 0 }
            else if hi > lo { t = (v - lo) / (hi - lo) } else { t = v > lo ? 1 : v < lo ? 0 : 0.5 }
            return Self.ramp(Self.sequentialStops, t)
        case .diverging(let center):
            let c = Double(center.isFinite ? center : 0)
            if v == c { return Self.white }
            if v < c {
                let t = v == -.infinity ? 1 : (c > lo ? (c - v) / (c - lo) : 1)
                return Self.ramp(Self.blueStops, t)
            }
            let t = v == .infinity ? 1 : (hi > c ? (v - c) / (hi - c) : 1)
            return Self.ramp(Self.redStops, t)
        }
    }

    /// A domain given by the caller, sanitised: NaN or infinite bounds fall back to the data's
    /// domain, and a zero-width domain is widened.
    func resolvedDomain(_ given: ClosedRange<Float>?, values: some Sequence<Float>) -> ClosedRange<Float> {
        guard let given, given.lowerBound.isFinite, given.upperBound.isFinite else { return domain(for: values) }
        if given.lowerBound == given.upperBound {
            let pad: Float = given.lowerBound == 0 ? 1 : abs(given.lowerBound) * 0.1
            return (given.lowerBound - pad)...(given.upperBound + pad)
        }
        return given
    }
}
