import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LensViz
import Testing

/// Parsing and querying helpers: every figure's SVG, and every page's HTML, must be well-formed
/// XML, so the tests read them with `XMLDocument` and count elements by name and class.
struct ParsedXML {
    let document: XMLDocument
    let elements: [XMLElement]

    init(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        document = try XMLDocument(xmlString: text, options: [])
        var all: [XMLElement] = []
        func walk(_ element: XMLElement) {
            all.append(element)
            for child in element.children ?? [] {
                if let e = child as? XMLElement { walk(e) }
            }
        }
        if let root = document.rootElement() { walk(root) }
        elements = all
    }

    var root: XMLElement { document.rootElement()! }

    /// Elements with this (local) name, optionally carrying `cls` among their classes.
    func all(_ name: String, class cls: String? = nil) -> [XMLElement] {
        elements.filter { e in
            e.localName == name && (cls == nil || e.classes.contains(cls!))
        }
    }

    /// Elements of any name with this class.
    func all(class cls: String) -> [XMLElement] {
        elements.filter { $0.classes.contains(cls) }
    }

    /// The text of `text` elements with this class, without their `<title>` tooltips.
    func texts(class cls: String) -> [String] {
        all("text", class: cls).map(\.ownText)
    }
}

extension XMLElement {
    /// The attribute's value. (Looked up in `attributes` rather than with `attribute(forName:)`,
    /// which FoundationXML on Linux answers with nil inside a default namespace.)
    func attr(_ name: String) -> String? {
        attributes?.first { $0.name == name || $0.localName == name }?.stringValue
    }

    var classes: [String] { (attr("class") ?? "").split(separator: " ").map(String.init) }

    /// Direct text children only (a `<title>` child holds the tooltip, not the visible text).
    var ownText: String {
        (children ?? []).filter { $0.kind == .text }.compactMap(\.stringValue).joined()
    }

    /// The tooltip in a `<title>` child, if any.
    var tooltip: String? {
        (children ?? []).compactMap { $0 as? XMLElement }.first { $0.localName == "title" }?.stringValue
    }
}

/// Checks shared by every figure: the SVG parses, has the namespace, size and viewBox, shows the
/// title, and refers to nothing outside itself; the HTML page parses too and inlines the SVG.
@discardableResult
func checkStandalone(_ figure: some Figure, sourceLocation: SourceLocation = #_sourceLocation) throws -> ParsedXML {
    let svg = figure.svg()
    let parsed = try ParsedXML(svg)
    let root = parsed.root
    #expect(root.localName == "svg", sourceLocation: sourceLocation)
    #expect(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), sourceLocation: sourceLocation)
    for attribute in ["width", "height", "viewBox"] {
        #expect(root.attr(attribute) != nil, "svg lacks \(attribute)", sourceLocation: sourceLocation)
    }
    #expect(parsed.texts(class: "figure-title") == [figure.title], sourceLocation: sourceLocation)
    checkOffline(svg, sourceLocation: sourceLocation)

    let html = figure.html()
    let page = try ParsedXML(html)
    #expect(page.root.localName == "html", sourceLocation: sourceLocation)
    #expect(page.all("svg").count == 1, sourceLocation: sourceLocation)
    #expect(page.all("title").first?.stringValue == figure.title, sourceLocation: sourceLocation)
    #expect(html.hasPrefix("<!DOCTYPE html>"), sourceLocation: sourceLocation)
    checkOffline(html, sourceLocation: sourceLocation)
    return parsed
}

/// No URL other than the SVG namespace, and nothing loaded from outside (no `src`, `href` to a
/// stylesheet, `@import` or `url(`).
func checkOffline(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let stripped = text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
    #expect(!stripped.contains("http://"), sourceLocation: sourceLocation)
    #expect(!stripped.contains("https://"), sourceLocation: sourceLocation)
    #expect(!stripped.contains("//fonts."), sourceLocation: sourceLocation)
    #expect(!stripped.contains("src="), sourceLocation: sourceLocation)
    #expect(!stripped.contains("<link"), sourceLocation: sourceLocation)
    #expect(!stripped.contains("@import"), sourceLocation: sourceLocation)
    #expect(!stripped.contains("url("), sourceLocation: sourceLocation)
}

/// Visible numbers are short: no float noise such as 0.30000001 in any text.
func checkNumbersAreShort(_ parsed: ParsedXML, sourceLocation: SourceLocation = #_sourceLocation) {
    for text in parsed.all("text").map(\.ownText) {
        var run = 0, longest = 0
        var afterPoint = false
        for ch in text {
            if ch == "." { afterPoint = true; run = 0; continue }
            if ch.isNumber { if afterPoint { run += 1; longest = max(longest, run) } } else { afterPoint = false; run = 0 }
        }
        #expect(longest <= 4, "too many decimals in \"\(text)\"", sourceLocation: sourceLocation)
    }
}
