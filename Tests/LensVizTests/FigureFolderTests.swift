import Foundation
import LensViz
import Testing

@Suite struct FigureFolderTests {
    func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("lensviz-\(UUID().uuidString)", isDirectory: true)
            .appendingPathComponent("figures", isDirectory: true)
    }

    @Test func writesEveryFigureAndAnIndexLinkingThem() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        var folder = try FigureFolder(directory: directory, title: "Run <42>")
        #expect(FileManager.default.fileExists(atPath: directory.path))

        let pattern = AttentionPattern(title: "head", pattern: uniformCausal(3), tokens: ["a", "b", "c"])
        let htmlURL = try folder.add(pattern, name: "attention", caption: "An attention pattern & more")
        #expect(htmlURL.lastPathComponent == "attention.html")
        try folder.add(BarChart(title: "bars", labels: ["x"], values: [1], valueLabel: "v"), name: "bars")
        try folder.add(LineChart(title: "curve", xLabel: "x", yLabel: "y", series: [.init(name: "s", y: [1, 2])]),
                       name: "curve", caption: "A curve")
        #expect(folder.names == ["attention", "bars", "curve"])

        for name in folder.names {
            for ext in ["svg", "html"] {
                let url = directory.appendingPathComponent("\(name).\(ext)")
                #expect(FileManager.default.fileExists(atPath: url.path), "\(name).\(ext) written")
                _ = try ParsedXML(try String(contentsOf: url, encoding: .utf8))
            }
        }
        let attentionPage = try String(contentsOf: htmlURL, encoding: .utf8)
        #expect(attentionPage.contains("mouseover"), "the figure's own page is the interactive one")

        let indexURL = try folder.writeIndex(intro: "Figures from run 42 & friends.")
        #expect(indexURL.lastPathComponent == "index.html")
        let indexText = try String(contentsOf: indexURL, encoding: .utf8)
        checkOffline(indexText)
        let index = try ParsedXML(indexText)
        #expect(index.all("h1").first?.stringValue == "Run <42>")
        #expect(index.all("svg").count == 3, "every figure inline")
        let hrefs = Set(index.all("a").compactMap { $0.attr("href") })
        for name in folder.names {
            #expect(hrefs.contains("\(name).html") && hrefs.contains("\(name).svg"), "index links \(name)")
        }
        let captions = index.all("p", class: "caption").compactMap(\.stringValue)
        #expect(captions == ["An attention pattern & more", "A curve"])
        #expect(indexText.contains("Figures from run 42 &amp; friends."))
        #expect(!indexText.contains("<script"), "the index is static")
    }

    @Test func addingANameAgainReplacesIt() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        var folder = try FigureFolder(directory: directory, title: "t")
        try folder.add(BarChart(title: "first", labels: ["x"], values: [1], valueLabel: "v"), name: "bars")
        try folder.add(BarChart(title: "second", labels: ["x"], values: [2], valueLabel: "v"), name: "bars")
        #expect(folder.names == ["bars"])
        let svg = try String(contentsOf: directory.appendingPathComponent("bars.svg"), encoding: .utf8)
        #expect(svg.contains("second") && !svg.contains("first"))
        let index = try ParsedXML(try String(contentsOf: try folder.writeIndex(), encoding: .utf8))
        #expect(index.all("svg").count == 1)
    }

    @Test func unsafeNamesBecomeSafeFileNames() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        var folder = try FigureFolder(directory: directory, title: "t")
        let url = try folder.add(BarChart(title: "b", labels: ["x"], values: [1], valueLabel: "v"), name: "../layer 0/heads?")
        #expect(url.deletingLastPathComponent().standardizedFileURL == directory.standardizedFileURL)
        #expect(folder.names == ["_layer_0_heads_"])
    }
}
