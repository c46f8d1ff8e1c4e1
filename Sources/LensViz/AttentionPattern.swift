/// One head's attention pattern [query][key] with the tokens on both axes (query rows, key columns).
///
/// Shapes: `pattern` is n × n with `n == tokens.count`; row i is the distribution query i puts
/// over the keys (for a causal model the upper triangle is zero and shows white).
///
/// The colour scale is sequential over [0, 1] when all weights lie there (so patterns from
/// different heads can be compared by eye), and over the data's range otherwise. `svg()` is a
/// static figure with a tooltip on every cell; `html()` adds hover highlighting (see
/// `AttentionInteraction`).
public struct AttentionPattern: Figure, Sendable {
    public let title: String
    public let pattern: [[Float]]
    public let tokens: [String]

    public init(title: String, pattern: [[Float]], tokens: [String]) {
        if !Heatmap.isEmpty(pattern) {
            Heatmap.checkShape(pattern, rows: tokens.count, columns: tokens.count,
                               what: "AttentionPattern \"\(title)\" (pattern must be [query][key] = \(tokens.count)×\(tokens.count) for \(tokens.count) tokens)")
        }
        self.title = title
        self.pattern = pattern
        self.tokens = tokens
    }

    /// [0, 1] for probabilities, else the data's own range.
    static func domain(_ patterns: some Sequence<Float>) -> ClosedRange<Float> {
        var lo = Float.infinity, hi = -Float.infinity
        for v in patterns where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        if lo > hi || (lo >= 0 && hi <= 1) { return 0...1 }
        return ColorScale.sequential.domain(for: patterns)
    }

    /// Pixels per cell for `n` tokens inside a square of about `side` pixels.
    static func cellSize(tokens n: Int, side: Double, maximum: Double) -> Double {
        min(maximum, max(1, side / Double(max(n, 1))))
    }

    func panel() -> MatrixPanel {
        let cell = AttentionPattern.cellSize(tokens: tokens.count, side: 600, maximum: 40)
        return MatrixPanel(values: pattern, rowLabels: tokens, columnLabels: tokens, cellWidth: cell, cellHeight: cell,
                           scale: .sequential, domain: AttentionPattern.domain(pattern.joined()), showValues: false,
                           interaction: .attention(head: nil), rowNoun: "query", columnNoun: "key",
                           labelsAreTokens: true)
    }

    public func svg() -> String {
        if Heatmap.isEmpty(pattern) { return SVGCanvas.noData(title: title) }
        return Heatmap.render(title: title, panel: panel(), rowAxis: "query", columnAxis: "key",
                              colorBarLabel: "attention weight")
    }

    /// The figure with hover highlighting: hovering a token label highlights its row and column,
    /// hovering a cell highlights the cell's row and column, and the weight is printed below.
    public func html() -> String {
        HTMLPage.document(title: title, body: AttentionInteraction.body(svg: svg()), style: AttentionInteraction.style,
                          script: Heatmap.isEmpty(pattern) ? nil : AttentionInteraction.script(tokens: tokens, heads: []))
    }
}
