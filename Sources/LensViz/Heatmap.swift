/// A matrix of values as coloured cells, with labelled rows and columns and a colour bar.
///
/// Shapes: `values` is [rows][columns] and rectangular; `rowLabels.count == rows`,
/// `columnLabels.count == columns`. Typical uses: a per-layer × per-head score table, logit-lens
/// probabilities (layers × positions), activation patching results (layers × positions).
///
/// Cells are square while the matrix fits in roughly 760 × 560 px (up to 48 px per cell) and
/// stretch otherwise; numbers are printed inside the cells when `showValues` is true, or, when it
/// is nil, when the matrix is at most 16 × 16 (cells are then at least 35 px). Every cell has a
/// tooltip with its row, column and value. Empty input renders a "no data" figure.
public struct Heatmap: Figure, Sendable {
    public let title: String
    public let values: [[Float]]
    public let rowLabels: [String]
    public let columnLabels: [String]
    public let rowAxis: String
    public let columnAxis: String
    public let colorScale: ColorScale
    public let domain: ClosedRange<Float>?
    public let showValues: Bool?

    public init(title: String, values: [[Float]], rowLabels: [String], columnLabels: [String],
                rowAxis: String = "", columnAxis: String = "", colorScale: ColorScale = .sequential,
                domain: ClosedRange<Float>? = nil, showValues: Bool? = nil /* nil: show numbers in cells when cells are big enough (≤ 16×16) */) {
        if !Heatmap.isEmpty(values) {
            Heatmap.checkShape(values, rows: rowLabels.count, columns: columnLabels.count, what: "Heatmap \"\(title)\"")
        }
        self.title = title
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.rowAxis = rowAxis
        self.columnAxis = columnAxis
        self.colorScale = colorScale
        self.domain = domain
        self.showValues = showValues
    }

    static func isEmpty(_ values: [[Float]]) -> Bool {
        values.isEmpty || values.allSatisfy(\.isEmpty)
    }

    /// Stops with a message naming the expected and actual shapes when `values` is not
    /// `rows × columns`.
    static func checkShape(_ values: [[Float]], rows: Int, columns: Int, what: String) {
        precondition(values.count == rows,
                     "\(what): values has \(values.count) rows but \(rows) row labels were given")
        for (i, row) in values.enumerated() {
            precondition(row.count == columns,
                         "\(what): values row \(i) has \(row.count) entries but \(columns) column labels were given (values must be \(rows)×\(columns))")
        }
    }

    public func svg() -> String {
        if Heatmap.isEmpty(values) { return SVGCanvas.noData(title: title) }
        let rows = values.count, columns = values[0].count
        var cellWidth = min(48, max(1, 760 / Double(columns)))
        var cellHeight = min(48, max(1, 560 / Double(rows)))
        if max(cellWidth, cellHeight) / min(cellWidth, cellHeight) <= 4 {
            cellWidth = min(cellWidth, cellHeight)
            cellHeight = cellWidth
        }
        let resolved = colorScale.resolvedDomain(domain, values: values.joined())
        let panel = MatrixPanel(values: values, rowLabels: rowLabels, columnLabels: columnLabels,
                                cellWidth: cellWidth, cellHeight: cellHeight, scale: colorScale, domain: resolved,
                                showValues: showValues ?? (rows <= 16 && columns <= 16),
                                rowNoun: rowAxis.isEmpty ? nil : rowAxis,
                                columnNoun: columnAxis.isEmpty ? nil : columnAxis)
        return Heatmap.render(title: title, panel: panel, rowAxis: rowAxis, columnAxis: columnAxis, colorBarLabel: nil)
    }

    /// Lays out one matrix figure: title, row-axis label (left, rotated), the panel, the
    /// column-axis label below, and a vertical colour bar on the right.
    static func render(title: String, panel: MatrixPanel, rowAxis: String, columnAxis: String,
                       colorBarLabel: String?) -> String {
        let top = 50.0
        let rowAxisSpace = rowAxis.isEmpty ? 0.0 : 24
        let matrixX = 16 + rowAxisSpace + max(panel.leftExtent, panel.leftOverhang)
        let matrixY = top
        let bar = ColorBar(scale: panel.scale, domain: panel.domain, orientation: .vertical,
                           length: max(160, min(panel.matrixHeight, 320)), label: colorBarLabel)
        let barX = matrixX + panel.matrixWidth + 24
        let columnAxisY = matrixY + panel.matrixHeight + panel.bottomExtent + 16
        let contentBottom = columnAxisY + (columnAxis.isEmpty ? 0 : 12) + 12
        let width = max(barX + bar.size.width + 16, Markup.width(of: title, fontSize: 16) + 32)
        let height = max(contentBottom, matrixY + bar.length + 20)

        var canvas = SVGCanvas(width: width, height: height)
        canvas.title(title)
        panel.draw(into: &canvas, x: matrixX, y: matrixY)
        if !rowAxis.isEmpty {
            canvas.text(rowAxis, x: matrixX - panel.leftExtent - 14, y: matrixY + panel.matrixHeight / 2, size: 13, anchor: .middle,
                        fill: Palette.mutedText, rotate: -90, centered: true, attributes: [("class", "axis-label")])
        }
        if !columnAxis.isEmpty {
            canvas.text(columnAxis, x: matrixX + panel.matrixWidth / 2, y: columnAxisY + 6, size: 13, anchor: .middle,
                        fill: Palette.mutedText, attributes: [("class", "axis-label")])
        }
        bar.draw(into: &canvas, x: barX, y: matrixY)
        return canvas.document(title: title)
    }
}
