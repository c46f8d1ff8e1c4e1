/// A linear map from data values to pixels.
struct LinearScale {
    var domain: (lower: Double, upper: Double)
    var range: (start: Double, end: Double)

    func callAsFunction(_ value: Double) -> Double {
        let span = domain.upper - domain.lower
        guard span != 0 else { return (range.start + range.end) / 2 }
        return range.start + (value - domain.lower) / span * (range.end - range.start)
    }
}

/// "Nice" tick positions (multiples of 1, 2 or 5 × 10ᵏ) and their labels.
///
/// Tick labels get exactly as many decimals as the step needs, so that 0.1, 0.2, 0.3 read as such
/// rather than 0.10000000149.
struct Ticks {
    var values: [Double]
    var step: Double

    /// About `target` ticks covering [lower, upper] (ticks lie inside the interval).
    init(lower: Double, upper: Double, target: Int = 5) {
        let (lo, hi) = Ticks.usableInterval(lower, upper)
        self.init(lower: lo, upper: hi, step: Ticks.niceStep((hi - lo) / Double(max(target, 1))))
    }

    /// [lower, upper] made usable for an axis: ordered, finite (else [0, 1]), and widened
    /// around a single value (by 10 %, or ±1 at zero).
    static func usableInterval(_ lower: Double, _ upper: Double) -> (Double, Double) {
        var lo = lower, hi = upper
        if !(lo.isFinite && hi.isFinite) { lo = 0; hi = 1 }
        if hi < lo { swap(&lo, &hi) }
        if hi == lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        return (lo, hi)
    }

    /// The smallest of 1, 2, 5 × 10ᵏ that is at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 && raw.isFinite else { return 1 }
        let magnitude = Markup.pow10(Int(raw.log10Floor))
        let normalized = raw / magnitude
        let factor: Double = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10
        return factor * magnitude
    }

    /// Ticks every `step` from the first multiple of `step` at or above `lower` up to `upper`.
    init(lower: Double, upper: Double, step: Double) {
        self.step = step
        var values: [Double] = []
        var k = (lower / step).rounded(.up)
        let tolerance = step * 1e-7
        while k * step <= upper + tolerance && values.count < 1000 {
            let v = k * step
            values.append(abs(v) < tolerance ? 0 : v)
            k += 1
        }
        self.values = values
    }

    /// A value axis for data in [lower, upper]: the interval widened outwards to whole steps of
    /// about `target` ticks (so the first and last gridline frame the data), and those ticks.
    static func axis(lower: Double, upper: Double, target: Int = 5) -> (domain: (lower: Double, upper: Double), ticks: Ticks) {
        let (lo, hi) = Ticks.usableInterval(lower, upper)
        let step = niceStep((hi - lo) / Double(max(target, 1)))
        let domain = ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
        return (domain, Ticks(lower: domain.0, upper: domain.1, step: step))
    }

    /// The label of tick `value`: decimals from the step, scientific notation for very large or
    /// very small magnitudes.
    func label(_ value: Double) -> String {
        Ticks.label(value, step: step)
    }

    static func label(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || step < 1e-4 {
            let digits = max(0, Int(magnitude.log10Floor) - Int(step.log10Floor))
            return Markup.scientific(value, digits: min(digits, 4))
        }
        let decimals = max(0, -Int(step.log10Floor))
        return Markup.fixed(value, decimals: decimals)
    }
}

/// How to label a categorical axis (tokens, heads, bar labels) without overlap: which labels to
/// draw, at which font size, and how long each may be.
///
/// At most `maxLabels` labels are drawn (every `stride`-th one, always starting at the first);
/// the font shrinks from 12 px towards 8 px as items get closer together, and only then are labels
/// thinned further so that neighbours never touch.
struct CategoricalLabels {
    var stride: Int
    var fontSize: Double

    /// - Parameters:
    ///   - count: number of items on the axis.
    ///   - spacing: pixels between neighbouring items.
    ///   - maxLabels: upper bound on drawn labels (~40 keeps token axes readable).
    ///   - lineFactor: the distance between drawn labels must be at least `lineFactor` × font
    ///     size (1.2 for labels stacked vertically or rotated 90°; 1.6 for 45° rotation).
    init(count: Int, spacing: Double, maxLabels: Int = 40, lineFactor: Double = 1.2,
         maxFont: Double = 12, minFont: Double = 8) {
        let font = min(maxFont, max(minFont, spacing / lineFactor))
        var stride = max(1, (count + maxLabels - 1) / max(maxLabels, 1))
        while Double(stride) * spacing < font * lineFactor - 1e-9 { stride += 1 }
        self.stride = stride
        self.fontSize = font
    }

    /// How labels along a horizontal axis are turned.
    enum Rotation: Double {
        case horizontal = 0, diagonal = -45, vertical = -90
    }

    /// The layout for labels under a horizontal axis: horizontal if every label fits its slot
    /// (`display` gives the text drawn), else whichever of 45° and 90° draws more labels (45° on
    /// ties at a legible size: it reads more easily).
    static func horizontalAxis(_ labels: [String], spacing: Double,
                               display: (String) -> String) -> (rotation: Rotation, labels: CategoricalLabels) {
        let flat = CategoricalLabels(count: labels.count, spacing: spacing, lineFactor: 1.2)
        let widest = labels.map { Markup.width(of: display($0), fontSize: flat.fontSize) }.max() ?? 0
        if flat.stride == 1 && widest <= spacing - 4 { return (.horizontal, flat) }
        let diagonal = CategoricalLabels(count: labels.count, spacing: spacing, lineFactor: 1.6)
        let vertical = CategoricalLabels(count: labels.count, spacing: spacing, lineFactor: 1.2)
        if diagonal.stride <= vertical.stride && diagonal.fontSize >= 9 { return (.diagonal, diagonal) }
        return (.vertical, vertical)
    }

    /// Space below the axis needed by labels whose widest drawn text is `widest` pixels.
    static func extent(rotation: Rotation, widest: Double, fontSize: Double) -> Double {
        switch rotation {
        case .horizontal: return fontSize + 10
        case .diagonal: return widest * 0.7071 + fontSize + 8
        case .vertical: return widest + 10
        }
    }

    /// The indices whose labels are drawn.
    func shown(_ count: Int) -> StrideTo<Int> {
        Swift.stride(from: 0, to: count, by: stride)
    }
}

/// Drawing helpers for the x/y value axes of line, scatter and bar charts.
extension SVGCanvas {
    /// A left (or right) value axis: tick marks, tick labels and light horizontal gridlines across
    /// the plot area `[plotLeft, plotRight]`.
    mutating func valueAxis(_ ticks: Ticks, scale: LinearScale, x: Double, plotLeft: Double, plotRight: Double,
                            onRight: Bool = false, gridlines: Bool = true, color: String = Palette.axis) {
        for value in ticks.values {
            let y = scale(value)
            if gridlines {
                line(x1: plotLeft, y1: y, x2: plotRight, y2: y, stroke: Palette.grid, width: 1)
            }
            line(x1: x, y1: y, x2: onRight ? x + 5 : x - 5, y2: y, stroke: color)
            text(ticks.label(value), x: onRight ? x + 8 : x - 8, y: y, size: 11, anchor: onRight ? .start : .end,
                 fill: color, centered: true, attributes: [("class", "tick-label")])
        }
        line(x1: x, y1: scale(ticks.values.first ?? 0), x2: x, y2: scale(ticks.values.last ?? 0), stroke: color)
    }

    /// A bottom value axis: tick marks, labels and light vertical gridlines.
    mutating func bottomAxis(_ ticks: Ticks, scale: LinearScale, y: Double, plotTop: Double, gridlines: Bool = true) {
        for value in ticks.values {
            let x = scale(value)
            if gridlines {
                line(x1: x, y1: plotTop, x2: x, y2: y, stroke: Palette.grid, width: 1)
            }
            line(x1: x, y1: y, x2: x, y2: y + 5, stroke: Palette.axis)
            text(ticks.label(value), x: x, y: y + 18, size: 11, anchor: .middle, fill: Palette.axis,
                 attributes: [("class", "tick-label")])
        }
    }

    /// The widest tick label of `ticks`, for margin sizing.
    static func tickLabelWidth(_ ticks: Ticks, fontSize: Double = 11) -> Double {
        ticks.values.map { Markup.width(of: ticks.label($0), fontSize: fontSize) }.max() ?? 0
    }
}
