/// The HTML pages that wrap figures.
///
/// Pages are written so that they are both valid HTML5 and well-formed XML (every element closed,
/// no named entities other than XML's five, scripts and styles inside CDATA sections hidden in
/// comments). That keeps them parseable by an XML parser in tests, and changes nothing for a
/// browser. No `xmlns` is set on `<html>`: an HTML5 parser does not need it, and the only URL in a
/// page is the SVG namespace.
enum HTMLPage {
    /// Styles shared by every page: system fonts, figures scaled down to the window's width.
    static let baseStyle = """
    body { font-family: \(Palette.fontFamily); color: #1f2328; background: #ffffff; margin: 24px; }
    h1 { font-size: 22px; font-weight: 600; margin: 0 0 12px 0; }
    h2 { font-size: 17px; font-weight: 600; margin: 0 0 6px 0; }
    p { line-height: 1.45; max-width: 70em; }
    svg.lensviz { max-width: 100%; height: auto; display: block; }
    .figure { margin: 0 0 36px 0; padding: 0 0 24px 0; border-bottom: 1px solid #e3e6ea; }
    .caption { color: #3d444d; margin: 8px 0 4px 0; }
    .links { font-size: 13px; color: #57606a; }
    .links a { color: #2f6db3; margin-right: 12px; white-space: nowrap; }
    .hint { color: #57606a; font-size: 13px; min-height: 1.4em; margin: 8px 0; }
    """

    /// A complete page: `<title>`, the shared style plus `style`, the `body` markup, then `script`.
    ///
    /// - Parameters:
    ///   - body: markup placed in `<main>` (an inline SVG, headings, paragraphs); already escaped.
    ///   - script: JavaScript run at the end of the body, or nil for a static page.
    static func document(title: String, body: String, style: String = "", script: String? = nil) -> String {
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(Markup.escape(title))</title>
        <style>/*<![CDATA[*/
        \(baseStyle)
        \(style)
        /*]]>*/</style>
        </head>
        <body>
        <main>
        \(body)
        </main>

        """
        if let script {
            page += "<script>//<![CDATA[\n\(script)\n//]]></script>\n"
        }
        page += "</body>\n</html>\n"
        return page
    }
}
