/// A table of text as a figure: a header row and rows of cells, the first column left-aligned
/// (row names), the others right-aligned, with rules between rows — for results that read
/// better side by side than as a chart (e.g. two models through the same measurements).
///
/// Shapes: every row has `header.count` cells; a row of another length gets empty cells or is
/// cut to fit, so bad input still draws.
public struct TableFigure: Figure, Sendable {
    public let title: String
    public let header: [String]
    public let rows: [[String]]

    public init(title: String, header: [String], rows: [[String]]) {
        self.title = title
        self.header = header
        self.rows = rows.map { row in (0..<header.count).map { $0 < row.count ? row[$0] : "" } }
    }

    public func svg() -> String {
        guard !header.isEmpty else { return SVGCanvas.noData(title: title) }
        let fontSize = 12.5, rowHeight = 24.0, padding = 14.0
        let all = [header] + rows
        let widths = header.indices.map { column in
            (all.map { Markup.width(of: $0[column], fontSize: fontSize) }.max() ?? 0) + 2 * padding
        }
        let tableWidth = widths.reduce(0, +)
        let width = max(tableWidth + 32, Markup.width(of: title, fontSize: 16) + 32)
        let top = 48.0
        var canvas = SVGCanvas(width: width, height: top + rowHeight * Double(all.count) + 16)
        canvas.title(title)
        let left = (width - tableWidth) / 2
        for (r, row) in all.enumerated() {
            let y = top + rowHeight * Double(r)
            if r == 0 {
                canvas.rect(x: left, y: y, width: tableWidth, height: rowHeight, fill: Palette.grid)
            }
            var x = left
            for (column, cell) in row.enumerated() {
                let anchor: TextAnchor = column == 0 ? .start : .end
                let textX = column == 0 ? x + padding : x + widths[column] - padding
                canvas.text(cell, x: textX, y: y + rowHeight / 2, size: fontSize, anchor: anchor,
                            weight: r == 0 ? "600" : nil, centered: true)
                x += widths[column]
            }
            canvas.line(x1: left, y1: y + rowHeight, x2: left + tableWidth, y2: y + rowHeight, stroke: Palette.grid)
        }
        return canvas.document(title: title)
    }
}
