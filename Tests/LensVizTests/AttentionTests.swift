import LensViz
import Testing

/// A causal pattern over `n` tokens: query q spreads its weight uniformly over keys 0...q.
func uniformCausal(_ n: Int) -> [[Float]] {
    (0..<n).map { q in (0..<n).map { k in k <= q ? 1 / Float(q + 1) : 0 } }
}

@Suite struct AttentionPatternTests {
    let tokens = ["<bos>", " The", " cat", " sat", "."]

    @Test func fiveTokensGiveTwentyFiveCellsAndFiveLabelsPerAxis() throws {
        let figure = AttentionPattern(title: "L0H0", pattern: uniformCausal(5), tokens: tokens)
        let svg = try checkStandalone(figure)
        let cells = svg.all("rect", class: "cell")
        #expect(cells.count == 25)
        #expect(svg.texts(class: "row-label") == tokens)
        #expect(svg.texts(class: "col-label") == tokens)
        #expect(svg.texts(class: "axis-label").sorted() == ["attention weight", "key", "query"])
        // Query rows, key columns, addressed for the hover script.
        #expect(cells[7].attr("data-q") == "1" && cells[7].attr("data-k") == "2")
        #expect(cells[0].attr("fill") == ColorScale.sequential.highColor.hex, "weight 1 is the darkest colour")
        #expect(cells[1].attr("fill") == ColorScale.white.hex, "masked positions are white")
        #expect(svg.all("g", class: "color-bar").count == 1)
        checkNumbersAreShort(svg)
    }

    @Test func htmlIsInteractive() throws {
        let figure = AttentionPattern(title: "L0H0", pattern: uniformCausal(5), tokens: tokens)
        let html = figure.html()
        let page = try ParsedXML(html)
        #expect(page.all("svg").count == 1)
        #expect(page.all("script").count == 1)
        #expect(html.contains("addEventListener('mouseover'"))
        #expect(html.contains("data-q"))
        #expect(page.elements.contains { $0.attr("id") == "lensviz-info" })
        #expect(html.contains("\" cat\""), "tokens are embedded for the info line")
    }

    @Test func tokensAreEscapedEverywhere() throws {
        let nasty = ["<b>&\"", "</script>", "]]>", "a\u{1}b", "\n"]
        let figure = AttentionPattern(title: "<title> & \"quotes\"", pattern: uniformCausal(5), tokens: nasty)
        let raw = figure.svg()
        #expect(!raw.contains("<b>"))
        #expect(raw.contains("&lt;b&gt;&amp;&quot;"))
        let svg = try checkStandalone(figure)
        let labels = svg.texts(class: "row-label")
        #expect(labels[0] == "<b>&\"")
        #expect(labels[1] == "</script>")
        #expect(labels[3] == "a\u{2401}b", "control characters become visible control pictures")
        #expect(labels[4] == "\u{21B5}", "a newline token shows as ↵")
        let html = figure.html()
        #expect(!html.contains("</script>\",") && html.components(separatedBy: "</script>").count == 2,
                "a token cannot close the script element")
        _ = try ParsedXML(html)
    }

    @Test func longSequencesThinAndShrinkLabels() throws {
        let n = 200
        let figure = AttentionPattern(title: "long", pattern: uniformCausal(n), tokens: (0..<n).map { " tok\($0)" })
        let svg = try ParsedXML(figure.svg())
        #expect(svg.all("rect", class: "cell").count == n * n)
        for cls in ["row-label", "col-label"] {
            let labels = svg.all("text", class: cls)
            #expect(labels.count <= 40 && labels.count >= 25, "\(cls): \(labels.count)")
            let sizes = labels.compactMap { Double($0.attr("font-size") ?? "") }
            #expect(sizes.allSatisfy { $0 >= 8 && $0 < 12 }, "font shrinks for long sequences: \(sizes.first ?? 0)")
        }
        let short = try ParsedXML(AttentionPattern(title: "short", pattern: uniformCausal(5), tokens: tokens).svg())
        #expect(short.all("text", class: "row-label").first?.attr("font-size") == "12")
    }

    @Test func emptyPatternSaysNoData() throws {
        let svg = try checkStandalone(AttentionPattern(title: "nothing", pattern: [], tokens: []))
        #expect(svg.texts(class: "no-data") == ["no data"])
        #expect(!AttentionPattern(title: "nothing", pattern: [], tokens: []).html().contains("<script>"))
    }
}

@Suite struct AttentionGridTests {
    @Test func allHeadsAreDrawnWithTokensOnEachPanel() throws {
        let tokens = ["a", "b", "c", "d"]
        let grid = AttentionGrid(title: "Layer 0", patterns: [uniformCausal(4), uniformCausal(4), uniformCausal(4)],
                                 tokens: tokens, headLabels: ["H0", "H1", "H2"])
        let svg = try checkStandalone(grid)
        #expect(svg.all("g", class: "panel").count == 3)
        #expect(svg.all("rect", class: "cell").count == 48)
        #expect(svg.texts(class: "head-label") == ["H0", "H1", "H2"])
        #expect(svg.texts(class: "row-label") == tokens + tokens + tokens)
        #expect(svg.texts(class: "col-label") == tokens + tokens + tokens)
        #expect(svg.all("rect", class: "cell").filter { $0.attr("data-h") == "2" }.count == 16)
        #expect(svg.all("g", class: "color-bar").count == 1, "one shared colour bar")
    }

    @Test func htmlHighlightsAcrossHeads() throws {
        let grid = AttentionGrid(title: "Layer 0", patterns: [uniformCausal(3), uniformCausal(3)], tokens: ["x", "y", "z"],
                                 headLabels: ["L0H0", "L0H1"])
        let html = grid.html()
        let page = try ParsedXML(html)
        #expect(page.all("script").count == 1)
        #expect(html.contains("mouseover"))
        #expect(html.contains("\"L0H1\""))
        #expect(page.all("g", class: "panel").count == 2)
    }

    @Test func manyHeadsWrapOntoRows() throws {
        let patterns = Array(repeating: uniformCausal(6), count: 12)
        let grid = AttentionGrid(title: "12 heads", patterns: patterns, tokens: (0..<6).map { "t\($0)" },
                                 headLabels: (0..<12).map { "H\($0)" })
        let svg = try ParsedXML(grid.svg())
        let panels = svg.all("g", class: "panel")
        #expect(panels.count == 12)
        let xs = Set(panels.compactMap { $0.attr("data-x") })
        let ys = Set(panels.compactMap { $0.attr("data-y") })
        #expect(xs.count == 4 && ys.count == 3, "4 panels per row, 3 rows")
    }

    @Test func emptyGridSaysNoData() throws {
        let svg = try checkStandalone(AttentionGrid(title: "none", patterns: [], tokens: [], headLabels: []))
        #expect(svg.texts(class: "no-data") == ["no data"])
    }
}
