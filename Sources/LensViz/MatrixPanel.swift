/// One matrix of coloured cells with its row labels (left) and column labels (below): the shared
/// body of `Heatmap`, `AttentionPattern` and every panel of `AttentionGrid`.
///
/// Layout rules that keep labels readable:
/// - at most 40 labels per axis (every k-th otherwise), with a font that shrinks from 12 px to
///   8 px as cells get smaller, and further thinning if even 8 px would overlap;
/// - column labels stay horizontal when they fit in their cell, and are otherwise rotated 45°
///   or, when cells are too narrow for that, 90°;
/// - labels longer than `maxLabelCharacters` are cut with "…" (the full text is in a tooltip).
struct MatrixPanel {
    /// What interactive hooks the cells and labels carry (used by the attention pages' script).
    enum Interaction {
        case none
        /// Cells get `data-q`, `data-k` (and `data-h` when a head index is given); row labels
        /// `data-q`, column labels `data-k`.
        case attention(head: Int?)
    }

    /// [row][column], rectangular.
    var values: [[Float]]
    /// One label per row / column, as given by the caller (escaping and display mapping happen here).
    var rowLabels: [String]
    var columnLabels: [String]
    var cellWidth: Double
    var cellHeight: Double
    var scale: ColorScale
    var domain: ClosedRange<Float>
    var showValues: Bool
    var interaction: Interaction = .none
    var maxLabelCharacters = 14
    /// Names used in cell tooltips ("query", "key"); nil omits them.
    var rowNoun: String? = nil
    var columnNoun: String? = nil
    /// Whether labels are tokens (whitespace and control characters made visible).
    var labelsAreTokens = false
    /// Cells beyond this count get no per-cell tooltip, to keep big figures small.
    var tooltipLimit = 20_000

    var rows: Int { values.count }
    var columns: Int { values.first?.count ?? 0 }
    var matrixWidth: Double { Double(columns) * cellWidth }
    var matrixHeight: Double { Double(rows) * cellHeight }

    private func display(_ label: String) -> String {
        let shown = labelsAreTokens ? Markup.displayToken(label) : label
        return Markup.truncate(shown, to: maxLabelCharacters)
    }

    var rowLayout: CategoricalLabels {
        CategoricalLabels(count: rows, spacing: cellHeight, lineFactor: 1.2)
    }

    /// The column labels' rotation and layout (see `CategoricalLabels.horizontalAxis`).
    var columnLayout: (rotation: CategoricalLabels.Rotation, labels: CategoricalLabels) {
        CategoricalLabels.horizontalAxis(columnLabels, spacing: cellWidth, display: display)
    }

    private var widestRowLabel: Double {
        let layout = rowLayout
        return layout.shown(rows).map { Markup.width(of: display(rowLabels[$0]), fontSize: layout.fontSize) }.max() ?? 0
    }

    private var widestColumnLabel: Double {
        let layout = columnLayout
        return layout.labels.shown(columns).map {
            Markup.width(of: display(columnLabels[$0]), fontSize: layout.labels.fontSize)
        }.max() ?? 0
    }

    /// Space needed left of the matrix for row labels.
    var leftExtent: Double { rows == 0 ? 0 : widestRowLabel + 8 }

    /// Space needed below the matrix for column labels.
    var bottomExtent: Double {
        let layout = columnLayout
        return CategoricalLabels.extent(rotation: layout.rotation, widest: widestColumnLabel, fontSize: layout.labels.fontSize)
    }

    /// How far diagonal column labels reach left of the matrix's left edge.
    var leftOverhang: Double {
        let layout = columnLayout
        guard layout.rotation == .diagonal else { return 0 }
        return max(0, widestColumnLabel * 0.7071 - cellWidth / 2 + 4)
    }

    /// Draws the matrix with its top-left corner at (x, y), its labels outside it.
    func draw(into canvas: inout SVGCanvas, x: Double, y: Double, groupAttributes: [(String, String?)] = []) {
        var attrs: [(String, String?)] = [("class", "panel"),
                                          ("data-x", Markup.coord(x)), ("data-y", Markup.coord(y)),
                                          ("data-cw", Markup.coord(cellWidth)), ("data-ch", Markup.coord(cellHeight)),
                                          ("data-rows", String(rows)), ("data-cols", String(columns))]
        attrs += groupAttributes
        canvas.openGroup(attrs)
        let withTooltips = rows * columns <= tooltipLimit
        let valueFont = min(11, cellHeight * 0.42)
        let cellDecimals = Markup.cellDecimals(span: domain.upperBound - domain.lowerBound,
                                               integral: values.allSatisfy { $0.allSatisfy { $0 == $0.rounded() } })
        for r in 0..<rows {
            for c in 0..<columns {
                let v = values[r][c]
                let color = scale.color(for: v, domain: domain)
                var extra: [(String, String?)] = [("class", "cell")]
                if case .attention(let head) = interaction {
                    extra += [("data-q", String(r)), ("data-k", String(c)), ("data-h", head.map(String.init)),
                              ("data-v", Markup.value(v))]
                }
                let tooltip: String? = withTooltips ? cellTooltip(r, c, v) : nil
                let cx = x + Double(c) * cellWidth, cy = y + Double(r) * cellHeight
                canvas.rect(x: cx, y: cy, width: cellWidth, height: cellHeight, fill: color.hex,
                            attributes: extra, tooltip: tooltip)
                if showValues {
                    let text = Markup.cellValue(v, decimals: cellDecimals)
                    var font = valueFont
                    let available = cellWidth - 3
                    let needed = Markup.width(of: text, fontSize: font)
                    if needed > available { font *= available / needed }
                    if font >= 7 {
                        canvas.text(text, x: cx + cellWidth / 2, y: cy + cellHeight / 2, size: font, anchor: .middle,
                                    fill: color.contrastingText, centered: true,
                                    attributes: [("class", "cell-value"), ("pointer-events", "none")])
                    }
                }
            }
        }
        canvas.rect(x: x, y: y, width: matrixWidth, height: matrixHeight, fill: "none", stroke: "#8c959f",
                    strokeWidth: 0.75, attributes: [("pointer-events", "none")])

        // Row labels, right-aligned against the matrix.
        let rowLayout = self.rowLayout
        for r in rowLayout.shown(rows) {
            var extra: [(String, String?)] = [("class", "row-label")]
            if case .attention = interaction { extra.append(("data-q", String(r))) }
            let shown = display(rowLabels[r])
            canvas.text(shown, x: x - 5, y: y + (Double(r) + 0.5) * cellHeight, size: rowLayout.fontSize,
                        anchor: .end, centered: true, attributes: extra, tooltip: labelTooltip(rowLabels[r], r, shown))
        }
        // Column labels below the matrix.
        let (rotation, columnLayout) = self.columnLayout
        let font = columnLayout.fontSize
        for c in columnLayout.shown(columns) {
            var extra: [(String, String?)] = [("class", "col-label")]
            if case .attention = interaction { extra.append(("data-k", String(c))) }
            let shown = display(columnLabels[c])
            let cx = x + (Double(c) + 0.5) * cellWidth
            let tooltip = labelTooltip(columnLabels[c], c, shown)
            switch rotation {
            case .horizontal:
                canvas.text(shown, x: cx, y: y + matrixHeight + 4 + font, size: font, anchor: .middle,
                            attributes: extra, tooltip: tooltip)
            case .diagonal:
                canvas.text(shown, x: cx, y: y + matrixHeight + 6, size: font, anchor: .end,
                            rotate: -45, centered: true, attributes: extra, tooltip: tooltip)
            case .vertical:
                canvas.text(shown, x: cx, y: y + matrixHeight + 5, size: font, anchor: .end,
                            rotate: -90, centered: true, attributes: extra, tooltip: tooltip)
            }
        }
        canvas.closeGroup()
    }

    private func labelTooltip(_ label: String, _ index: Int, _ shown: String) -> String? {
        if labelsAreTokens { return "\(index): \(Markup.displayToken(label))" }
        return shown == label ? nil : label
    }

    private func cellTooltip(_ r: Int, _ c: Int, _ v: Float) -> String {
        func part(_ noun: String?, _ labels: [String], _ i: Int) -> String {
            let label = labelsAreTokens ? "\(i) \u{201C}\(Markup.displayToken(labels[i]))\u{201D}" : labels[i]
            return noun.map { "\($0) \(label)" } ?? label
        }
        return "\(part(rowNoun, rowLabels, r)) \u{2192} \(part(columnNoun, columnLabels, c)): \(Markup.value(v, significant: 4))"
    }
}
