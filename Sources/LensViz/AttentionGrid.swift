/// All heads of one layer side by side (a grid of small patterns), tokens on the axes of each.
///
/// Shapes: `patterns` is [head][query][key] with every pattern n × n for `n == tokens.count`,
/// and `headLabels.count == patterns.count`.
///
/// Heads are laid out up to 4 per row (6 per row beyond 16 heads). All panels share one colour
/// scale ([0, 1] for probabilities) and one colour bar, so heads can be compared directly. Each
/// panel carries its own token labels (thinned and shrunk like every token axis). `html()` adds
/// hover highlighting that lights up the same query row and key column in every head at once.
public struct AttentionGrid: Figure, Sendable {
    public let title: String
    public let patterns: [[[Float]]]
    public let tokens: [String]
    public let headLabels: [String]

    public init(title: String, patterns: [[[Float]]] /* [head][query][key] */, tokens: [String], headLabels: [String]) {
        if !AttentionGrid.isEmpty(patterns) {
            precondition(patterns.count == headLabels.count,
                         "AttentionGrid \"\(title)\": \(patterns.count) patterns but \(headLabels.count) head labels")
            for (h, pattern) in patterns.enumerated() {
                Heatmap.checkShape(pattern, rows: tokens.count, columns: tokens.count,
                                   what: "AttentionGrid \"\(title)\" head \(h) (each pattern must be [query][key] = \(tokens.count)×\(tokens.count) for \(tokens.count) tokens)")
            }
        }
        self.title = title
        self.patterns = patterns
        self.tokens = tokens
        self.headLabels = headLabels
    }

    static func isEmpty(_ patterns: [[[Float]]]) -> Bool {
        patterns.isEmpty || patterns.allSatisfy(Heatmap.isEmpty)
    }

    /// Panels per row of the grid.
    var gridColumns: Int {
        let heads = patterns.count
        return heads <= 4 ? heads : heads <= 16 ? 4 : 6
    }

    public func svg() -> String {
        if AttentionGrid.isEmpty(patterns) { return SVGCanvas.noData(title: title) }
        let heads = patterns.count
        let columnsOfPanels = gridColumns
        let rowsOfPanels = (heads + columnsOfPanels - 1) / columnsOfPanels
        let side: Double = columnsOfPanels <= 2 ? 340 : columnsOfPanels <= 3 ? 280 : columnsOfPanels == 4 ? 250 : 170
        let cell = AttentionPattern.cellSize(tokens: tokens.count, side: side, maximum: 24)
        let domain = AttentionPattern.domain(patterns.joined().joined())
        let panels = patterns.enumerated().map { h, pattern in
            MatrixPanel(values: pattern, rowLabels: tokens, columnLabels: tokens, cellWidth: cell, cellHeight: cell,
                        scale: .sequential, domain: domain, showValues: false, interaction: .attention(head: h),
                        maxLabelCharacters: 8, rowNoun: "query", columnNoun: "key", labelsAreTokens: true,
                        tooltipLimit: 6_000)
        }
        let first = panels[0]
        let leftSpace = max(first.leftExtent, first.leftOverhang) + 4
        let panelWidth = leftSpace + first.matrixWidth + 16
        let panelHeight = 24 + first.matrixHeight + first.bottomExtent + 18
        let top = 66.0
        let gridLeft = 12.0
        let bar = ColorBar(scale: .sequential, domain: domain, orientation: .vertical,
                           length: max(120, min(320, Double(rowsOfPanels) * panelHeight - 60)), label: "attention weight")
        let barX = gridLeft + Double(columnsOfPanels) * panelWidth + 8
        let subtitle = "each panel: rows = query token, columns = key token"
        let width = max(barX + bar.size.width + 16, Markup.width(of: title, fontSize: 16) + 32,
                        Markup.width(of: subtitle, fontSize: 12) + 32)
        let height = max(top + Double(rowsOfPanels) * panelHeight + 4, top + 24 + bar.length + 20)

        var canvas = SVGCanvas(width: width, height: height)
        canvas.title(title)
        canvas.text(subtitle, x: width / 2, y: 46, size: 12, anchor: .middle, fill: Palette.mutedText,
                    attributes: [("class", "subtitle")])
        for (h, panel) in panels.enumerated() {
            let px = gridLeft + Double(h % columnsOfPanels) * panelWidth
            let py = top + Double(h / columnsOfPanels) * panelHeight
            let matrixX = px + leftSpace
            canvas.text(Markup.truncate(headLabels[h], to: 28), x: matrixX + panel.matrixWidth / 2, y: py + 14, size: 13,
                        anchor: .middle, weight: "600", attributes: [("class", "head-label")],
                        tooltip: headLabels[h].count > 28 ? headLabels[h] : nil)
            panel.draw(into: &canvas, x: matrixX, y: py + 24, groupAttributes: [("data-head", String(h))])
        }
        bar.draw(into: &canvas, x: barX, y: top + 24)
        return canvas.document(title: title)
    }

    /// The grid with hover highlighting across all heads (see `AttentionInteraction`).
    public func html() -> String {
        HTMLPage.document(title: title, body: AttentionInteraction.body(svg: svg()), style: AttentionInteraction.style,
                          script: AttentionGrid.isEmpty(patterns) ? nil
                              : AttentionInteraction.script(tokens: tokens, heads: headLabels))
    }
}
