/// A bar chart of labelled values (e.g. loss with each head ablated), optional reference line.
///
/// Shapes: `labels.count == values.count`, one bar per label, in the order given.
///
/// - Bars grow from zero, so negative values point down (and are drawn in a second colour).
/// - `referenceLine` draws a dashed horizontal line at that value (e.g. the clean loss), labelled
///   `referenceLabel` at its right end, so each bar reads as "above or below the baseline".
/// - With up to 24 bars each value is printed over its bar when it fits; every bar has a tooltip.
/// - Category labels follow the token-axis rules: horizontal when they fit, else rotated, and at
///   most ~40 drawn (the rest stay in tooltips).
/// - NaN values get no bar and a grey "NaN" mark; infinite ones are clipped to the plot.
public struct BarChart: Figure, Sendable {
    public let title: String
    public let labels: [String]
    public let values: [Float]
    public let valueLabel: String
    public let referenceLine: Float?
    public let referenceLabel: String?

    public init(title: String, labels: [String], values: [Float], valueLabel: String,
                referenceLine: Float? = nil, referenceLabel: String? = nil) {
        precondition(labels.count == values.count,
                     "BarChart \"\(title)\": \(labels.count) labels but \(values.count) values")
        self.title = title
        self.labels = labels
        self.values = values
        self.valueLabel = valueLabel
        self.referenceLine = referenceLine
        self.referenceLabel = referenceLabel
    }

    public func svg() -> String {
        guard !values.isEmpty else { return SVGCanvas.noData(title: title) }
        let n = values.count
        let finite = values.filter(\.isFinite).map(Double.init)
        var lo = min(0, finite.min() ?? 0), hi = max(0, finite.max() ?? 1)
        if let r = referenceLine, r.isFinite { lo = min(lo, Double(r)); hi = max(hi, Double(r)) }
        if lo == hi { hi = lo + 1 }
        let (domain, ticks) = Ticks.axis(lower: lo, upper: hi)

        let slot = min(56, max(3, 680 / Double(n)))
        let barWidth = slot >= 8 ? slot * 0.74 : max(1, slot - 1)
        let plotWidth = slot * Double(n)
        let plotHeight = 340.0
        let plotLeft = 16 + 22 + SVGCanvas.tickLabelWidth(ticks) + 10
        let plotTop = 52.0
        let plotRight = plotLeft + plotWidth, plotBottom = plotTop + plotHeight

        let display = { (label: String) in Markup.truncate(label, to: 18) }
        let layout = CategoricalLabels.horizontalAxis(labels, spacing: slot, display: display)
        let widest = layout.labels.shown(n).map { Markup.width(of: display(labels[$0]), fontSize: layout.labels.fontSize) }.max() ?? 0
        let labelExtent = CategoricalLabels.extent(rotation: layout.rotation, widest: widest, fontSize: layout.labels.fontSize)
        let leftOverhang = layout.rotation == .diagonal ? max(0, widest * 0.7071 - slot / 2 - plotLeft + 8) : 0
        let shift = leftOverhang
        // The reference line's label sits right of the plot, where it cannot cover bars or values.
        let referenceText = referenceLine.map { referenceLabel ?? Markup.value($0, significant: 4) }
        let referenceWidth = referenceText.map { Markup.width(of: $0, fontSize: 11) + 10 } ?? 0
        let width = max(plotRight + shift + referenceWidth + 20, Markup.width(of: title, fontSize: 16) + 32)
        let height = plotBottom + labelExtent + 12

        var canvas = SVGCanvas(width: width, height: height)
        canvas.title(title)
        let left = plotLeft + shift, right = plotRight + shift
        let plotRightEdge = right
        let yScale = LinearScale(domain: domain, range: (plotBottom, plotTop))
        // One number of decimals for every bar's label, from the axis span (as heatmap cells).
        let labelDecimals = Markup.cellDecimals(span: Float(domain.upper - domain.lower),
                                                integral: values.allSatisfy { $0 == $0.rounded() })
        canvas.valueAxis(ticks, scale: yScale, x: left, plotLeft: left, plotRight: plotRightEdge)
        let zero = yScale(0)

        let showValues = n <= 24
        for (i, value) in values.enumerated() {
            let cx = left + (Double(i) + 0.5) * slot
            let tip = "\(labels[i]): \(Markup.value(value, significant: 4))"
            if value.isNaN {
                canvas.text("NaN", x: cx, y: zero - 6, size: min(10, slot * 0.8), anchor: .middle, fill: "#8c959f",
                            italic: true, attributes: [("class", "bar-missing")], tooltip: tip)
                continue
            }
            let clamped = min(max(Double(value), domain.lower), domain.upper)
            let y = yScale(clamped)
            let top = min(y, zero), barHeight = max(abs(zero - y), value == 0 ? 0 : 0.75)
            let fill = value < 0 ? Palette.categorical(1) : Palette.categorical(0)
            canvas.rect(x: cx - barWidth / 2, y: top, width: barWidth, height: barHeight, fill: fill,
                        attributes: [("class", "bar")], tooltip: tip)
            if showValues {
                let text = Markup.cellValue(value, decimals: labelDecimals)
                let font = 10.0
                if Markup.width(of: text, fontSize: font) <= slot - 2 {
                    let ty = value < 0 ? y + font + 3 : y - 4
                    canvas.text(text, x: cx, y: ty, size: font, anchor: .middle, fill: Palette.mutedText,
                                attributes: [("class", "bar-value")])
                }
            }
        }
        canvas.line(x1: left, y1: zero, x2: plotRightEdge, y2: zero, stroke: Palette.axis)

        if let reference = referenceLine, reference.isFinite {
            let y = yScale(Double(reference))
            canvas.line(x1: left, y1: y, x2: plotRightEdge, y2: y, stroke: Palette.reference, width: 1.5, dash: "6 4",
                        attributes: [("class", "reference-line")])
            canvas.text(referenceText ?? "", x: plotRightEdge + 6, y: y, size: 11, fill: Palette.reference, centered: true,
                        attributes: [("class", "reference-label")])
        }

        let font = layout.labels.fontSize
        for i in layout.labels.shown(n) {
            let cx = left + (Double(i) + 0.5) * slot
            let shown = display(labels[i])
            let tooltip = shown == labels[i] ? nil : labels[i]
            let attrs: [(String, String?)] = [("class", "bar-label")]
            switch layout.rotation {
            case .horizontal:
                canvas.text(shown, x: cx, y: plotBottom + 4 + font, size: font, anchor: .middle, attributes: attrs, tooltip: tooltip)
            case .diagonal:
                canvas.text(shown, x: cx, y: plotBottom + 6, size: font, anchor: .end, rotate: -45, centered: true,
                            attributes: attrs, tooltip: tooltip)
            case .vertical:
                canvas.text(shown, x: cx, y: plotBottom + 5, size: font, anchor: .end, rotate: -90, centered: true,
                            attributes: attrs, tooltip: tooltip)
            }
        }
        canvas.text(valueLabel, x: 24 + shift, y: (plotTop + plotBottom) / 2, size: 13, anchor: .middle,
                    fill: Palette.mutedText, rotate: -90, centered: true, attributes: [("class", "axis-label")])
        return canvas.document(title: title)
    }
}
