import Foundation

/// A folder of figures with an index page linking every figure a run produced.
///
/// Each `add` writes `name.svg` (the static figure) and `name.html` (the figure's own page, with
/// any interactivity), and remembers the figure's SVG and caption; `writeIndex` then writes
/// `index.html` with every figure inline in the order added, its caption, and links to both
/// files. The folder is self-contained: open `index.html` from disk, offline, or zip it up with
/// the run.
///
/// Names are used as file names: characters other than letters, digits, `-`, `_` and `.` become
/// `_`. Adding a name a second time replaces the earlier figure (files and index entry).
public struct FigureFolder {
    public let directory: URL
    public let title: String

    private struct Entry {
        var name: String
        var title: String
        var caption: String
        var svg: String
    }
    private var entries: [Entry] = []

    public init(directory: URL, title: String) throws {   // creates the directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.title = title
    }

    /// The names added so far, in order.
    public var names: [String] { entries.map(\.name) }

    /// `name` made safe as a file name.
    static func fileName(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        var out = String(name.map { allowed.contains($0) ? $0 : "_" })
        while out.hasPrefix(".") { out.removeFirst() }
        return out.isEmpty ? "figure" : out
    }

    /// Writes `name`.svg and `name`.html (the interactive page); returns the HTML file's URL. `caption` is shown on the index.
    @discardableResult public mutating func add(_ figure: some Figure, name: String, caption: String = "") throws -> URL {
        let file = FigureFolder.fileName(name)
        let svg = figure.svg()
        try Data(svg.utf8).write(to: directory.appendingPathComponent(file + ".svg"), options: .atomic)
        let htmlURL = directory.appendingPathComponent(file + ".html")
        try Data(figure.html().utf8).write(to: htmlURL, options: .atomic)
        let entry = Entry(name: file, title: figure.title, caption: caption, svg: svg)
        if let i = entries.firstIndex(where: { $0.name == file }) {
            entries[i] = entry
        } else {
            entries.append(entry)
        }
        return htmlURL
    }

    /// Writes index.html: the title, then each figure inline (its SVG) with its caption and links to its .svg and .html files. Returns its URL.
    @discardableResult public func writeIndex(intro: String = "") throws -> URL {
        var body = "<h1>\(Markup.escape(title))</h1>\n"
        if !intro.isEmpty { body += "<p class=\"intro\">\(Markup.escape(intro))</p>\n" }
        if entries.isEmpty { body += "<p class=\"caption\">No figures.</p>\n" }
        if entries.count > 1 {
            body += "<p class=\"links\">"
            body += entries.map { "<a href=\"#\(Markup.escape($0.name))\">\(Markup.escape($0.name))</a>" }.joined(separator: " ")
            body += "</p>\n"
        }
        for entry in entries {
            let name = Markup.escape(entry.name)
            body += "<section class=\"figure\" id=\"\(name)\">\n"
            body += entry.svg
            if !entry.caption.isEmpty { body += "<p class=\"caption\">\(Markup.escape(entry.caption))</p>\n" }
            body += "<p class=\"links\"><a href=\"\(name).html\">\(name).html</a> <a href=\"\(name).svg\">\(name).svg</a></p>\n"
            body += "</section>\n"
        }
        let url = directory.appendingPathComponent("index.html")
        try Data(HTMLPage.document(title: title, body: body).utf8).write(to: url, options: .atomic)
        return url
    }
}
