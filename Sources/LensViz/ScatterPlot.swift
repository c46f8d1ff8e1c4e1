/// Points in the plane: embeddings projected onto two principal components, head scores against
/// each other, a trajectory of a quantity through training.
///
/// - Points are coloured by `group` (in order of first appearance), with a legend below the plot;
///   points without a group are grey when other points have one.
/// - `label`s are drawn next to their point, trying right, left, above and below; a label that
///   would overlap an earlier one (or leave the plot) is left out so the figure stays legible —
///   every point keeps its label in a tooltip.
/// - `connect: true` joins the points in the order given with a thin grey line (a trajectory),
///   and marks the first and last point with a ring.
/// - Points with a non-finite coordinate are skipped.
public struct ScatterPlot: Figure, Sendable {
    public struct Point: Sendable {
        public var x: Float
        public var y: Float
        public var label: String?
        public var group: String?

        public init(x: Float, y: Float, label: String? = nil, group: String? = nil) {
            self.x = x
            self.y = y
            self.label = label
            self.group = group
        }
    }

    public let title: String
    public let xLabel: String
    public let yLabel: String
    public let points: [Point]
    public let connect: Bool

    /// Points coloured by group (legend), optional labels drawn next to points; `connect: true` joins points in order with a thin line (a trajectory).
    public init(title: String, xLabel: String, yLabel: String, points: [Point], connect: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.connect = connect
    }

    /// Distinct group names in order of first appearance.
    var groups: [String] {
        var seen = Set<String>(), order: [String] = []
        for p in points { if let g = p.group, seen.insert(g).inserted { order.append(g) } }
        return order
    }

    public func svg() -> String {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else { return SVGCanvas.noData(title: title) }
        let groups = self.groups
        let groupIndex = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($1, $0) })
        func color(_ p: Point) -> String {
            guard let g = p.group, let i = groupIndex[g] else { return groups.isEmpty ? Palette.categorical(0) : "#8c959f" }
            return Palette.categorical(i)
        }

        func paddedAxis(_ values: [Double], target: Int) -> (domain: (lower: Double, upper: Double), ticks: Ticks) {
            let lo = values.min()!, hi = values.max()!
            let pad = hi > lo ? (hi - lo) * 0.05 : 1
            return Ticks.axis(lower: lo - pad, upper: hi + pad, target: target)
        }
        let (xDomain, xTicks) = paddedAxis(finite.map { Double($0.x) }, target: 6)
        let (yDomain, yTicks) = paddedAxis(finite.map { Double($0.y) }, target: 5)

        let plotWidth = 600.0, plotHeight = 440.0
        let plotLeft = 16 + 22 + SVGCanvas.tickLabelWidth(yTicks) + 10
        let plotTop = 52.0
        let plotRight = plotLeft + plotWidth, plotBottom = plotTop + plotHeight

        var legendNames = groups.map { Markup.truncate($0, to: 40) }
        if !groups.isEmpty && finite.contains(where: { $0.group == nil }) { legendNames.append("(no group)") }
        var legendPositions: [(x: Double, row: Int)] = []
        var cursor = 0.0, row = 0
        for name in legendNames {
            let itemWidth = 18 + Markup.width(of: name, fontSize: 12) + 18
            if cursor > 0 && cursor + itemWidth > plotWidth { cursor = 0; row += 1 }
            legendPositions.append((cursor, row))
            cursor += itemWidth
        }
        let legendTop = plotBottom + 54
        let height = legendTop + (legendNames.isEmpty ? 0 : Double(row + 1) * 20) + 10
        let width = max(plotRight + 24, Markup.width(of: title, fontSize: 16) + 32)

        var canvas = SVGCanvas(width: width, height: height)
        canvas.title(title)
        let xScale = LinearScale(domain: xDomain, range: (plotLeft, plotRight))
        let yScale = LinearScale(domain: yDomain, range: (plotBottom, plotTop))
        canvas.valueAxis(yTicks, scale: yScale, x: plotLeft, plotLeft: plotLeft, plotRight: plotRight)
        canvas.bottomAxis(xTicks, scale: xScale, y: plotBottom, plotTop: plotTop)
        canvas.line(x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, stroke: Palette.axis)

        if connect && finite.count > 1 {
            var d = ""
            for (i, p) in finite.enumerated() {
                d += (i == 0 ? "M" : "L") + Markup.coord(xScale(Double(p.x))) + " " + Markup.coord(yScale(Double(p.y)))
            }
            canvas.path(d, stroke: "#8c959f", width: 1.2, attributes: [("class", "trajectory")])
        }

        let radius = finite.count > 500 ? 2.5 : 4.5
        for p in finite {
            var tip = "(\(Markup.value(p.x, significant: 4)), \(Markup.value(p.y, significant: 4)))"
            if let g = p.group { tip = "\(g): " + tip }
            if let l = p.label { tip = "\(l) " + tip }
            canvas.circle(cx: xScale(Double(p.x)), cy: yScale(Double(p.y)), r: radius, fill: color(p),
                          stroke: "#ffffff", strokeWidth: 0.8, attributes: [("class", "point"), ("fill-opacity", "0.88")],
                          tooltip: tip)
        }
        if connect && finite.count > 1 {
            for (p, name) in [(finite[0], "start"), (finite[finite.count - 1], "end")] {
                canvas.circle(cx: xScale(Double(p.x)), cy: yScale(Double(p.y)), r: radius + 3, fill: "none",
                              stroke: Palette.text, strokeWidth: 1.2, attributes: [("class", "trajectory-\(name)")],
                              tooltip: name)
            }
        }

        // Labels, placed greedily without overlaps.
        var occupied: [(x0: Double, y0: Double, x1: Double, y1: Double)] = finite.map {
            let cx = xScale(Double($0.x)), cy = yScale(Double($0.y))
            return (cx - radius, cy - radius, cx + radius, cy + radius)
        }
        if connect && finite.count > 1 {
            for p in [finite[0], finite[finite.count - 1]] {
                let cx = xScale(Double(p.x)), cy = yScale(Double(p.y)), r = radius + 4
                occupied.append((cx - r, cy - r, cx + r, cy + r))
            }
        }
        let labelFont = 11.0
        for p in finite {
            guard let label = p.label, !label.isEmpty else { continue }
            let text = Markup.truncate(label, to: 24)
            let w = Markup.width(of: text, fontSize: labelFont), h = labelFont * 1.2
            let cx = xScale(Double(p.x)), cy = yScale(Double(p.y))
            let gap = radius + (connect ? 6 : 3)
            let candidates: [(x: Double, y: Double, anchor: TextAnchor, box: (Double, Double, Double, Double))] = [
                (cx + gap, cy, .start, (cx + gap, cy - h / 2, cx + gap + w, cy + h / 2)),
                (cx - gap, cy, .end, (cx - gap - w, cy - h / 2, cx - gap, cy + h / 2)),
                (cx, cy - gap - h / 2, .middle, (cx - w / 2, cy - gap - h, cx + w / 2, cy - gap)),
                (cx, cy + gap + h / 2, .middle, (cx - w / 2, cy + gap, cx + w / 2, cy + gap + h)),
            ]
            for candidate in candidates {
                let box = candidate.box
                guard box.0 >= plotLeft, box.2 <= plotRight, box.1 >= plotTop, box.3 <= plotBottom else { continue }
                let clash = occupied.contains { o in
                    // Ignore the point's own circle.
                    !(o.x0 == cx - radius && o.y0 == cy - radius)
                        && box.0 < o.x1 && o.x0 < box.2 && box.1 < o.y1 && o.y0 < box.3
                }
                if clash { continue }
                occupied.append((box.0, box.1, box.2, box.3))
                canvas.text(text, x: candidate.x, y: candidate.y, size: labelFont, anchor: candidate.anchor,
                            fill: Palette.text, centered: true,
                            attributes: [("class", "point-label"), ("stroke", "#ffffff"), ("stroke-width", "3"),
                                         ("paint-order", "stroke"), ("stroke-linejoin", "round")])
                break
            }
        }

        canvas.text(xLabel, x: (plotLeft + plotRight) / 2, y: plotBottom + 40, size: 13, anchor: .middle,
                    fill: Palette.mutedText, attributes: [("class", "axis-label")])
        canvas.text(yLabel, x: 24, y: (plotTop + plotBottom) / 2, size: 13, anchor: .middle, fill: Palette.mutedText,
                    rotate: -90, centered: true, attributes: [("class", "axis-label")])

        if !legendNames.isEmpty {
            canvas.openGroup([("class", "legend")])
            for (i, name) in legendNames.enumerated() {
                let x = plotLeft + legendPositions[i].x, y = legendTop + Double(legendPositions[i].row) * 20
                let fill = i < groups.count ? Palette.categorical(i) : "#8c959f"
                canvas.circle(cx: x + 6, cy: y, r: 5, fill: fill)
                canvas.text(name, x: x + 18, y: y, size: 12, centered: true, attributes: [("class", "legend-label")])
            }
            canvas.closeGroup()
        }
        return canvas.document(title: title)
    }
}
