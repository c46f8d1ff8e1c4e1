/// Horizontal alignment of an SVG text element (`text-anchor`).
enum TextAnchor: String {
    case start, middle, end
}

/// An append-only SVG body with helpers for the handful of elements the figures use.
///
/// Figures never emit `<style>` elements or `id`s: an index page inlines many SVGs into one HTML
/// document, where a style sheet or id in one figure would leak into (or collide with) the others.
/// Everything is styled with presentation attributes instead. Every string that ends up in the
/// document goes through `Markup.escape`.
struct SVGCanvas {
    /// The canvas size in pixels (the document's width, height and viewBox).
    var width: Double
    var height: Double
    /// The SVG elements written so far, in paint order.
    private(set) var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Appends markup verbatim (the caller escapes).
    mutating func raw(_ markup: String) {
        body += markup
    }

    /// Formats `attributes` as ` name="value"` pairs, escaping the values, skipping nils.
    static func attributes(_ attributes: [(String, String?)]) -> String {
        var out = ""
        for (name, value) in attributes {
            guard let value else { continue }
            out += " \(name)=\"\(Markup.escape(value))\""
        }
        return out
    }

    /// A `<title>` child: a hover tooltip in browsers, and accessible text.
    static func tooltip(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "<title>\(Markup.escape(text))</title>"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       stroke: String? = nil, strokeWidth: Double? = nil, opacity: Double? = nil,
                       rx: Double? = nil, attributes extra: [(String, String?)] = [], tooltip: String? = nil) {
        var attrs: [(String, String?)] = [
            ("x", Markup.coord(x)), ("y", Markup.coord(y)),
            ("width", Markup.coord(max(width, 0))), ("height", Markup.coord(max(height, 0))),
            ("fill", fill), ("stroke", stroke), ("stroke-width", strokeWidth.map(Markup.coord)),
            ("fill-opacity", opacity.map { Markup.coord($0) }), ("rx", rx.map(Markup.coord)),
        ]
        attrs += extra
        let title = Self.tooltip(tooltip)
        body += title.isEmpty ? "<rect\(Self.attributes(attrs))/>" : "<rect\(Self.attributes(attrs))>\(title)</rect>"
        body += "\n"
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
                       width: Double = 1, dash: String? = nil, opacity: Double? = nil,
                       attributes extra: [(String, String?)] = []) {
        let attrs: [(String, String?)] = [
            ("x1", Markup.coord(x1)), ("y1", Markup.coord(y1)), ("x2", Markup.coord(x2)), ("y2", Markup.coord(y2)),
            ("stroke", stroke), ("stroke-width", Markup.coord(width)), ("stroke-dasharray", dash),
            ("stroke-opacity", opacity.map { Markup.coord($0) }),
        ] + extra
        body += "<line\(Self.attributes(attrs))/>\n"
    }

    mutating func path(_ d: String, stroke: String, width: Double = 1.5, fill: String = "none",
                       dash: String? = nil, attributes extra: [(String, String?)] = [], tooltip: String? = nil) {
        let attrs: [(String, String?)] = [
            ("d", d), ("fill", fill), ("stroke", stroke), ("stroke-width", Markup.coord(width)),
            ("stroke-linejoin", "round"), ("stroke-linecap", "round"), ("stroke-dasharray", dash),
        ] + extra
        let title = Self.tooltip(tooltip)
        body += title.isEmpty ? "<path\(Self.attributes(attrs))/>\n" : "<path\(Self.attributes(attrs))>\(title)</path>\n"
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil,
                         strokeWidth: Double? = nil, attributes extra: [(String, String?)] = [], tooltip: String? = nil) {
        let attrs: [(String, String?)] = [
            ("cx", Markup.coord(cx)), ("cy", Markup.coord(cy)), ("r", Markup.coord(r)), ("fill", fill),
            ("stroke", stroke), ("stroke-width", strokeWidth.map(Markup.coord)),
        ] + extra
        let title = Self.tooltip(tooltip)
        body += title.isEmpty ? "<circle\(Self.attributes(attrs))/>\n" : "<circle\(Self.attributes(attrs))>\(title)</circle>\n"
    }

    /// A text element. `rotate` is in degrees around the anchor point; `centered` shifts the
    /// baseline by 0.35 em so that `y` is the vertical middle of the text (more portable than
    /// `dominant-baseline`).
    mutating func text(_ content: String, x: Double, y: Double, size: Double = 12, anchor: TextAnchor = .start,
                       weight: String? = nil, fill: String = Palette.text, rotate: Double? = nil,
                       centered: Bool = false, italic: Bool = false,
                       attributes extra: [(String, String?)] = [], tooltip: String? = nil) {
        var attrs: [(String, String?)] = [
            ("x", Markup.coord(x)), ("y", Markup.coord(y)), ("font-size", Markup.coord(size)),
            ("text-anchor", anchor == .start ? nil : anchor.rawValue), ("font-weight", weight),
            ("font-style", italic ? "italic" : nil), ("fill", fill),
            ("dy", centered ? "0.35em" : nil),
        ]
        if let rotate, rotate != 0 {
            attrs.append(("transform", "rotate(\(Markup.coord(rotate)) \(Markup.coord(x)) \(Markup.coord(y)))"))
        }
        attrs += extra
        body += "<text\(Self.attributes(attrs))>\(Self.tooltip(tooltip))\(Markup.escape(content))</text>\n"
    }

    mutating func openGroup(_ attributes: [(String, String?)] = []) {
        body += "<g\(Self.attributes(attributes))>\n"
    }

    mutating func closeGroup() {
        body += "</g>\n"
    }

    /// The figure title, centred at the top.
    mutating func title(_ text: String, y: Double = 26) {
        self.text(text, x: width / 2, y: y, size: 16, anchor: .middle, weight: "600",
                  attributes: [("class", "figure-title")])
    }

    /// The complete, standalone document: namespace, size, viewBox, a `<title>`, a white
    /// background (so the figure reads the same in dark viewers and screenshots), then the body.
    func document(title: String) -> String {
        let w = Markup.coord(width.rounded(.up))
        let h = Markup.coord(height.rounded(.up))
        let attrs = Self.attributes([
            ("xmlns", "http://www.w3.org/2000/svg"), ("width", w), ("height", h), ("viewBox", "0 0 \(w) \(h)"),
            ("font-family", Palette.fontFamily), ("style", "white-space:pre"), ("role", "img"),
            ("aria-label", title), ("class", "lensviz"),
        ])
        return "<svg\(attrs)>\n<title>\(Markup.escape(title))</title>\n"
            + "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
            + body + "</svg>\n"
    }

    /// A small SVG with the title and "no data", for figures built from empty input.
    static func noData(title: String) -> String {
        var canvas = SVGCanvas(width: max(360, Markup.width(of: title, fontSize: 16) + 40), height: 140)
        canvas.title(title)
        canvas.rect(x: 20, y: 44, width: canvas.width - 40, height: 76, fill: "#f4f4f4", stroke: Palette.grid, rx: 6)
        canvas.text("no data", x: canvas.width / 2, y: 82, size: 14, anchor: .middle, fill: Palette.mutedText,
                    centered: true, italic: true, attributes: [("class", "no-data")])
        return canvas.document(title: title)
    }
}

/// Fixed colours and fonts shared by the figures.
enum Palette {
    /// A system font stack: no web fonts, so nothing is fetched.
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
    static let text = "#1f2328"
    static let mutedText = "#57606a"
    static let axis = "#57606a"
    static let grid = "#e3e6ea"
    static let reference = "#c0392b"
    static let region = "#f2c14e"

    /// Distinct series colours (for lines, bars and scatter groups), chosen to stay apart for
    /// common colour-vision deficiencies and on white; the list cycles after eight.
    static let categorical = [
        "#2f6db3", "#e07b16", "#2a9d5b", "#c2307a", "#7a5cc4", "#8c6d1f", "#1aa2b8", "#5c5c5c",
    ]

    static func categorical(_ index: Int) -> String {
        categorical[((index % categorical.count) + categorical.count) % categorical.count]
    }
}
