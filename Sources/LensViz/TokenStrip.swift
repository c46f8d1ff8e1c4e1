/// Tokens in a row (wrapping onto several lines), each box coloured by its value, with a colour bar; html() shows the value on hover (title attribute is fine).
///
/// Shapes: `values.count == tokens.count`, one value per token (per-token loss, a neuron's
/// activation, direct logit attribution at each position, …).
///
/// Tokens flow left to right like text, wrapping at about 880 px, so a sequence reads as the
/// sentence it is. Whitespace and control characters in tokens are made visible (↵ for newline,
/// `·` for a token of spaces), tokens longer than 30 characters are cut with "…", and every box
/// has a tooltip with the position, the full token and the value. The colour bar below maps
/// colours back to values.
public struct TokenStrip: Figure, Sendable {
    public let title: String
    public let tokens: [String]
    public let values: [Float]
    public let colorScale: ColorScale
    public let domain: ClosedRange<Float>?
    /// What the values are (e.g. "loss (nats)"), written under the colour bar.
    public let valueLabel: String?

    public init(title: String, tokens: [String], values: [Float], colorScale: ColorScale = .sequential,
                domain: ClosedRange<Float>? = nil, valueLabel: String? = nil) {
        precondition(tokens.count == values.count,
                     "TokenStrip \"\(title)\": \(tokens.count) tokens but \(values.count) values")
        self.title = title
        self.tokens = tokens
        self.values = values
        self.colorScale = colorScale
        self.domain = domain
        self.valueLabel = valueLabel
    }

    public func svg() -> String {
        guard !tokens.isEmpty else { return SVGCanvas.noData(title: title) }
        let resolved = colorScale.resolvedDomain(domain, values: values)
        let font = 14.0, boxHeight = 26.0, padding = 5.0, gap = 3.0, lineGap = 8.0
        let maxLineWidth = 880.0
        let left = 20.0, top = 50.0

        // Flow layout: (line, x offset, width, text) per token.
        var placed: [(line: Int, x: Double, width: Double, text: String)] = []
        var x = 0.0, line = 0, widestLine = 0.0
        for token in tokens {
            let text = Markup.truncate(Markup.displayToken(token), to: 30)
            let w = max(16, Markup.width(of: text, fontSize: font) + 2 * padding)
            if x > 0 && x + w > maxLineWidth { line += 1; x = 0 }
            placed.append((line, x, w, text))
            x += w + gap
            widestLine = max(widestLine, x - gap)
        }
        let lines = line + 1
        let stripHeight = Double(lines) * (boxHeight + lineGap) - lineGap
        let bar = ColorBar(scale: colorScale, domain: resolved, orientation: .horizontal, length: 300,
                           label: valueLabel)
        let barTop = top + stripHeight + 24
        let width = max(left * 2 + widestLine, left * 2 + bar.length + 20, Markup.width(of: title, fontSize: 16) + 32)
        let height = barTop + bar.size.height + 16

        var canvas = SVGCanvas(width: width, height: height)
        canvas.title(title)
        for (i, p) in placed.enumerated() {
            let color = colorScale.color(for: values[i], domain: resolved)
            let bx = left + p.x, by = top + Double(p.line) * (boxHeight + lineGap)
            canvas.openGroup([("class", "token")])
            canvas.raw(SVGCanvas.tooltip("\(i) \u{201C}\(Markup.displayToken(tokens[i]))\u{201D}: \(Markup.value(values[i], significant: 4))") + "\n")
            canvas.rect(x: bx, y: by, width: p.width, height: boxHeight, fill: color.hex, stroke: "#d0d7de",
                        strokeWidth: 0.75, rx: 3, attributes: [("class", "token-box")])
            canvas.text(p.text, x: bx + p.width / 2, y: by + boxHeight / 2, size: font, anchor: .middle,
                        fill: color.contrastingText, centered: true, attributes: [("class", "token-text")])
            canvas.closeGroup()
        }
        bar.draw(into: &canvas, x: left, y: barTop)
        return canvas.document(title: title)
    }
}
