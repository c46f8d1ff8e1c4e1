/// Lines of y against x: training curves, per-layer metrics, scores over steps.
///
/// Shapes: each `Series` has `x.count == y.count`; series may have different lengths and x grids.
///
/// - Non-finite points (NaN, ±∞) break a line rather than dragging it to an edge.
/// - `markedRegion` shades an x-interval (e.g. the induction-head phase change) behind the lines,
///   with `markLabel` written at its top.
/// - Series named in `secondarySeries` are drawn dashed against a right-hand axis labelled
///   `secondaryYLabel`, for quantities of a different unit (e.g. loss on the left, an induction
///   score in [0, 1] on the right); the legend marks them "(right axis)".
/// - The legend sits below the plot, never over the data, and wraps onto several rows.
/// - Series of more than 4000 points are thinned to the minimum and maximum of each of 2000
///   buckets, which keeps the file small and the drawn shape the same.
public struct LineChart: Figure, Sendable {
    public struct Series: Sendable {
        public var name: String
        public var x: [Float]
        public var y: [Float]

        public init(name: String, x: [Float], y: [Float]) {
            precondition(x.count == y.count,
                         "LineChart.Series \"\(name)\": x has \(x.count) values but y has \(y.count)")
            self.name = name
            self.x = x
            self.y = y
        }

        /// A series over 0, 1, 2, … (e.g. a value per step or per layer).
        public init(name: String, y: [Float]) {
            self.init(name: name, x: (0..<y.count).map(Float.init), y: y)
        }
    }

    public let title: String
    public let xLabel: String
    public let yLabel: String
    public let series: [Series]
    public let markedRegion: ClosedRange<Float>?
    public let markLabel: String?
    public let secondaryYLabel: String?
    public let secondarySeries: Set<String>

    /// `markedRegion`: a shaded x-interval (e.g. the phase change) with an optional label.
    /// Series may use a secondary y axis: `secondarySeries` names series plotted against a right-hand axis
    /// labelled `secondaryYLabel`.
    public init(title: String, xLabel: String, yLabel: String, series: [Series],
                markedRegion: ClosedRange<Float>? = nil, markLabel: String? = nil,
                secondaryYLabel: String? = nil, secondarySeries: Set<String> = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markedRegion = markedRegion
        self.markLabel = markLabel
        self.secondaryYLabel = secondaryYLabel
        self.secondarySeries = secondarySeries
    }

    static let plotWidth = 660.0
    static let plotHeight = 360.0

    /// Finite (x, y) pairs of `series`, split where a non-finite value breaks the line, thinned
    /// to at most ~4000 points.
    static func segments(_ series: Series) -> [[(Double, Double)]] {
        var segments: [[(Double, Double)]] = []
        var current: [(Double, Double)] = []
        for (x, y) in zip(series.x, series.y) {
            if x.isFinite && y.isFinite {
                current.append((Double(x), Double(y)))
            } else if !current.isEmpty {
                segments.append(current)
                current = []
            }
        }
        if !current.isEmpty { segments.append(current) }
        let total = segments.reduce(0) { $0 + $1.count }
        guard total > 4000 else { return segments }
        let bucket = max(1, total / 2000)
        return segments.map { segment in
            guard segment.count > 2 * bucket else { return segment }
            var thinned: [(Double, Double)] = [segment[0]]
            var start = 1
            while start < segment.count - 1 {
                let end = min(start + bucket, segment.count - 1)
                var lo = start, hi = start
                for i in start..<end {
                    if segment[i].1 < segment[lo].1 { lo = i }
                    if segment[i].1 > segment[hi].1 { hi = i }
                }
                for i in Set([lo, hi]).sorted() { thinned.append(segment[i]) }
                start = end
            }
            thinned.append(segment[segment.count - 1])
            return thinned
        }
    }

    public func svg() -> String {
        let allSegments = series.map(LineChart.segments)
        let isSecondary = series.map { secondarySeries.contains($0.name) }
        var xs: [Double] = [], primaryYs: [Double] = [], secondaryYs: [Double] = []
        for (i, segments) in allSegments.enumerated() {
            for point in segments.joined() {
                xs.append(point.0)
                if isSecondary[i] { secondaryYs.append(point.1) } else { primaryYs.append(point.1) }
            }
        }
        guard !xs.isEmpty else { return SVGCanvas.noData(title: title) }
        let hasSecondary = !secondaryYs.isEmpty
        if primaryYs.isEmpty { primaryYs = secondaryYs }

        var xLo = xs.min()!, xHi = xs.max()!
        if let region = markedRegion, region.lowerBound.isFinite, region.upperBound.isFinite {
            xLo = min(xLo, Double(region.lowerBound))
            xHi = max(xHi, Double(region.upperBound))
        }
        if xLo == xHi { xLo -= 1; xHi += 1 }
        let (yDomain, yTicks) = Ticks.axis(lower: primaryYs.min()!, upper: primaryYs.max()!)
        let (y2Domain, y2Ticks) = hasSecondary ? Ticks.axis(lower: secondaryYs.min()!, upper: secondaryYs.max()!)
                                               : (yDomain, yTicks)
        let xTicks = Ticks(lower: xLo, upper: xHi, target: 6)

        let plotWidth = LineChart.plotWidth, plotHeight = LineChart.plotHeight
        let plotLeft = 16 + 22 + SVGCanvas.tickLabelWidth(yTicks) + 10
        let plotTop = 52.0
        let plotRight = plotLeft + plotWidth
        let plotBottom = plotTop + plotHeight
        let rightMargin = hasSecondary ? 10 + SVGCanvas.tickLabelWidth(y2Ticks) + (secondaryYLabel == nil ? 0 : 24) + 16 : 24

        // Legend layout (below the x-axis label), wrapping at the plot width.
        struct LegendItem { var name: String; var color: String; var dashed: Bool; var x: Double; var row: Int }
        var legend: [LegendItem] = []
        var cursor = 0.0, row = 0
        for (i, s) in series.enumerated() {
            let name = Markup.truncate(s.name, to: 40) + (isSecondary[i] && hasSecondary ? " (right axis)" : "")
            let itemWidth = 30 + Markup.width(of: name, fontSize: 12) + 18
            if cursor > 0 && cursor + itemWidth > plotWidth + rightMargin - 20 { cursor = 0; row += 1 }
            legend.append(LegendItem(name: name, color: Palette.categorical(i), dashed: isSecondary[i] && hasSecondary,
                                     x: cursor, row: row))
            cursor += itemWidth
        }
        let legendTop = plotBottom + 54
        let legendRows = legend.isEmpty ? 0 : row + 1
        let height = legendTop + Double(legendRows) * 20 + 10
        let width = max(plotRight + rightMargin, Markup.width(of: title, fontSize: 16) + 32)

        var canvas = SVGCanvas(width: width, height: height)
        canvas.title(title)
        let xScale = LinearScale(domain: (xLo, xHi), range: (plotLeft, plotRight))
        let yScale = LinearScale(domain: yDomain, range: (plotBottom, plotTop))
        let y2Scale = LinearScale(domain: y2Domain, range: (plotBottom, plotTop))

        // Marked region behind everything else.
        if let region = markedRegion, region.lowerBound.isFinite, region.upperBound.isFinite {
            let x0 = xScale(Double(region.lowerBound)), x1 = xScale(Double(region.upperBound))
            canvas.rect(x: x0, y: plotTop, width: max(x1 - x0, 1.5), height: plotHeight, fill: Palette.region,
                        opacity: 0.28, attributes: [("class", "marked-region")],
                        tooltip: markLabel ?? "\(Markup.value(region.lowerBound)) – \(Markup.value(region.upperBound))")
        }
        canvas.valueAxis(yTicks, scale: yScale, x: plotLeft, plotLeft: plotLeft, plotRight: plotRight)
        canvas.bottomAxis(xTicks, scale: xScale, y: plotBottom, plotTop: plotTop)
        canvas.line(x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, stroke: Palette.axis)
        if hasSecondary {
            canvas.valueAxis(y2Ticks, scale: y2Scale, x: plotRight, plotLeft: plotLeft, plotRight: plotRight,
                             onRight: true, gridlines: false)
        }
        if let region = markedRegion, region.lowerBound.isFinite, region.upperBound.isFinite, let markLabel, !markLabel.isEmpty {
            let center = (xScale(Double(region.lowerBound)) + xScale(Double(region.upperBound))) / 2
            let labelWidth = Markup.width(of: markLabel, fontSize: 11)
            let cx = min(max(center, plotLeft + labelWidth / 2 + 4), plotRight - labelWidth / 2 - 4)
            canvas.rect(x: cx - labelWidth / 2 - 4, y: plotTop + 4, width: labelWidth + 8, height: 17, fill: "#ffffff",
                        opacity: 0.85, rx: 3)
            canvas.text(markLabel, x: cx, y: plotTop + 16.5, size: 11, anchor: .middle, fill: "#7a5a00",
                        attributes: [("class", "mark-label")])
        }

        // Lines (and small markers on short series).
        for (i, segments) in allSegments.enumerated() {
            let scale = isSecondary[i] && hasSecondary ? y2Scale : yScale
            let color = Palette.categorical(i)
            var d = ""
            for segment in segments {
                for (j, point) in segment.enumerated() {
                    d += (j == 0 ? "M" : "L") + Markup.coord(xScale(point.0)) + " " + Markup.coord(scale(point.1))
                }
            }
            let dashed = isSecondary[i] && hasSecondary
            canvas.path(d, stroke: color, width: 2, dash: dashed ? "7 4" : nil,
                        attributes: [("class", "series"), ("data-series", series[i].name)], tooltip: series[i].name)
            let count = segments.reduce(0) { $0 + $1.count }
            if count <= 40 {
                for point in segments.joined() {
                    canvas.circle(cx: xScale(point.0), cy: scale(point.1), r: count == 1 ? 4 : 2.6, fill: color,
                                  stroke: "#ffffff", strokeWidth: 0.8, attributes: [("class", "marker")],
                                  tooltip: "\(series[i].name): (\(Markup.value(Float(point.0), significant: 4)), \(Markup.value(Float(point.1), significant: 4)))")
                }
            }
        }

        // Axis labels.
        canvas.text(xLabel, x: (plotLeft + plotRight) / 2, y: plotBottom + 40, size: 13, anchor: .middle,
                    fill: Palette.mutedText, attributes: [("class", "axis-label")])
        canvas.text(yLabel, x: 24, y: (plotTop + plotBottom) / 2, size: 13, anchor: .middle, fill: Palette.mutedText,
                    rotate: -90, centered: true, attributes: [("class", "axis-label")])
        if hasSecondary, let secondaryYLabel {
            let x = plotRight + 10 + SVGCanvas.tickLabelWidth(y2Ticks) + 14
            canvas.text(secondaryYLabel, x: x, y: (plotTop + plotBottom) / 2, size: 13, anchor: .middle,
                        fill: Palette.mutedText, rotate: 90, centered: true, attributes: [("class", "axis-label")])
        }

        // Legend.
        canvas.openGroup([("class", "legend")])
        for item in legend {
            let x = plotLeft + item.x, y = legendTop + Double(item.row) * 20
            canvas.line(x1: x, y1: y, x2: x + 24, y2: y, stroke: item.color, width: 2.5, dash: item.dashed ? "7 4" : nil)
            canvas.text(item.name, x: x + 30, y: y, size: 12, centered: true, attributes: [("class", "legend-label")])
        }
        canvas.closeGroup()
        return canvas.document(title: title)
    }
}
