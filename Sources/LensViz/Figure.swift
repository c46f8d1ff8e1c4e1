/// A figure that renders itself as a standalone SVG document and as an HTML page.
///
/// Every figure in LensViz is a plain value built from arrays (`[Float]`, `[[Float]]`,
/// `[String]`), so it can be made anywhere in a program and written to disk later. The output is
/// self-contained: no external URLs, fonts, scripts or style sheets, so a figure opens offline and
/// can be archived next to the run that produced it.
public protocol Figure {
    /// The heading drawn at the top of the figure and used as the HTML page's `<title>`.
    var title: String { get }
    /// A standalone SVG document (with xmlns, width, height, viewBox).
    func svg() -> String
    /// A standalone HTML page (default implementation: the SVG inlined in a minimal page with the title).
    func html() -> String
}

extension Figure {
    /// The SVG inlined in a minimal, XHTML-compatible page whose `<title>` is the figure's title.
    public func html() -> String {
        HTMLPage.document(title: title, body: svg())
    }
}
