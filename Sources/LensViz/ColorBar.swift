/// A colour bar: the colour scale drawn as a strip of thin rectangles with tick marks and value
/// labels, so a reader can turn a colour back into a number.
///
/// The strip is drawn from many small rects rather than a `<linearGradient>` because a gradient
/// needs an `id`, and ids collide when several figures are inlined into one index page.
struct ColorBar {
    enum Orientation { case vertical, horizontal }

    var scale: ColorScale
    var domain: ClosedRange<Float>
    var orientation: Orientation
    /// The bar's length along its axis and its thickness, in pixels.
    var length: Double
    var thickness: Double = 14
    /// An optional caption (e.g. "attention weight") drawn alongside the bar.
    var label: String? = nil

    /// The labelled positions: both ends of the domain (so the range is always readable), plus
    /// round values in between that do not crowd the ends.
    var ticks: [(value: Double, label: String)] {
        let lo = Double(domain.lowerBound), hi = Double(domain.upperBound)
        guard hi > lo else { return [(lo, Markup.value(Float(lo)))] }
        let nice = Ticks(lower: lo, upper: hi, target: max(5, Int(length / 40)))
        func endLabel(_ v: Double) -> String {
            let k = v / nice.step
            return abs(k - k.rounded()) < 1e-6 ? nice.label(v) : Markup.value(Float(v), significant: 3)
        }
        let ends = [(lo, endLabel(lo)), (hi, endLabel(hi))]
        let pixelsPerUnit = length / (hi - lo)
        var marks = ends
        for v in nice.values {
            let label = nice.label(v)
            let crowded = ends.contains { end in
                let gap = orientation == .vertical
                    ? 14
                    : (Markup.width(of: label, fontSize: 11) + Markup.width(of: end.1, fontSize: 11)) / 2 + 8
                return abs(v - end.0) * pixelsPerUnit < gap
            }
            if !crowded { marks.append((v, label)) }
        }
        return marks.sorted { $0.0 < $1.0 }
    }

    /// The widest tick label, for layout.
    var tickLabelWidth: Double {
        ticks.map { Markup.width(of: $0.label, fontSize: 11) }.max() ?? 0
    }

    /// Space taken beyond the strip itself (for labels): to the right for vertical bars, below for
    /// horizontal ones.
    var labelExtent: Double {
        switch orientation {
        case .vertical:
            return 8 + tickLabelWidth + (label == nil ? 0 : 20)
        case .horizontal:
            return 22 + (label == nil ? 0 : 18)
        }
    }

    /// Total width and height of the bar with its labels.
    var size: (width: Double, height: Double) {
        switch orientation {
        case .vertical: return (thickness + labelExtent, length)
        case .horizontal: return (length, thickness + labelExtent)
        }
    }

    /// Draws the bar with its top-left corner at (x, y).
    func draw(into canvas: inout SVGCanvas, x: Double, y: Double) {
        let segments = max(16, min(96, Int(length / 3)))
        let lo = Double(domain.lowerBound), hi = Double(domain.upperBound)
        canvas.openGroup([("class", "color-bar")])
        for i in 0..<segments {
            // Low values at the bottom (vertical) or left (horizontal).
            let t0 = Double(i) / Double(segments)
            let t1 = Double(i + 1) / Double(segments)
            let mid = Float(lo + (t0 + t1) / 2 * (hi - lo))
            let fill = scale.color(for: mid, domain: domain).hex
            switch orientation {
            case .vertical:
                let top = y + length * (1 - t1)
                canvas.rect(x: x, y: top, width: thickness, height: length / Double(segments) + 0.5, fill: fill)
            case .horizontal:
                canvas.rect(x: x + length * t0, y: y, width: length / Double(segments) + 0.5, height: thickness, fill: fill)
            }
        }
        let axis = LinearScale(domain: (lo, hi), range: orientation == .vertical ? (y + length, y) : (x, x + length))
        switch orientation {
        case .vertical:
            canvas.rect(x: x, y: y, width: thickness, height: length, fill: "none", stroke: Palette.axis, strokeWidth: 0.75)
            for (value, text) in ticks {
                let ty = axis(value)
                canvas.line(x1: x + thickness, y1: ty, x2: x + thickness + 4, y2: ty, stroke: Palette.axis)
                canvas.text(text, x: x + thickness + 7, y: ty, size: 11, fill: Palette.axis,
                            centered: true, attributes: [("class", "tick-label")])
            }
            if let label {
                let lx = x + thickness + 8 + tickLabelWidth + 12
                canvas.text(label, x: lx, y: y + length / 2, size: 12, anchor: .middle, fill: Palette.mutedText,
                            rotate: 90, attributes: [("class", "axis-label")])
            }
        case .horizontal:
            canvas.rect(x: x, y: y, width: length, height: thickness, fill: "none", stroke: Palette.axis, strokeWidth: 0.75)
            for (value, text) in ticks {
                let tx = axis(value)
                canvas.line(x1: tx, y1: y + thickness, x2: tx, y2: y + thickness + 4, stroke: Palette.axis)
                canvas.text(text, x: tx, y: y + thickness + 16, size: 11, anchor: .middle,
                            fill: Palette.axis, attributes: [("class", "tick-label")])
            }
            if let label {
                canvas.text(label, x: x + length / 2, y: y + thickness + 34, size: 12, anchor: .middle,
                            fill: Palette.mutedText, attributes: [("class", "axis-label")])
            }
        }
        canvas.closeGroup()
    }
}
