import LensViz
import Testing

@Suite struct HeatmapTests {
    let values: [[Float]] = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]

    @Test func threeByFourHasTwelveCellsAndAllLabels() throws {
        let map = Heatmap(title: "Scores", values: values, rowLabels: ["a", "b", "c"], columnLabels: ["w", "x", "y", "z"],
                          rowAxis: "layer", columnAxis: "head")
        let svg = try checkStandalone(map)
        #expect(svg.all("rect", class: "cell").count == 12)
        #expect(svg.texts(class: "row-label") == ["a", "b", "c"])
        #expect(svg.texts(class: "col-label") == ["w", "x", "y", "z"])
        #expect(svg.texts(class: "axis-label").sorted() == ["head", "layer"])
        #expect(svg.all("g", class: "color-bar").count == 1)
        #expect(svg.texts(class: "tick-label").count >= 3, "colour bar has ticks")
        // Small matrices print their values by default.
        #expect(svg.texts(class: "cell-value").count == 12)
        #expect(svg.texts(class: "cell-value").contains("11"))
        checkNumbersAreShort(svg)
    }

    @Test func extremesMapToTheEndsOfTheScale() throws {
        let map = Heatmap(title: "t", values: values, rowLabels: ["a", "b", "c"], columnLabels: ["w", "x", "y", "z"])
        let cells = try ParsedXML(map.svg()).all("rect", class: "cell")
        #expect(cells.first?.attr("fill") == ColorScale.sequential.lowColor.hex)
        #expect(cells.last?.attr("fill") == ColorScale.sequential.highColor.hex)
        #expect(cells.first?.tooltip?.contains("a") == true)
    }

    @Test func divergingCentreIsWhite() throws {
        let map = Heatmap(title: "patching", values: [[-2, 0, 1]], rowLabels: ["r"], columnLabels: ["p", "q", "s"],
                          colorScale: .diverging(center: 0))
        let fills = try ParsedXML(map.svg()).all("rect", class: "cell").map { $0.attr("fill") }
        let scale = ColorScale.diverging(center: 0)
        #expect(fills == [scale.lowColor.hex, ColorScale.white.hex, scale.color(for: 1, domain: -2...2).hex])
    }

    @Test func givenDomainIsUsedAndNaNIsGrey() throws {
        let map = Heatmap(title: "t", values: [[0.5, .nan, 2]], rowLabels: ["r"], columnLabels: ["a", "b", "c"],
                          domain: 0...1, showValues: false)
        let svg = try ParsedXML(map.svg())
        let fills = svg.all("rect", class: "cell").map { $0.attr("fill") }
        #expect(fills == [ColorScale.sequential.color(for: 0.5, domain: 0...1).hex, ColorScale.missingColor.hex,
                          ColorScale.sequential.highColor.hex])
        #expect(svg.texts(class: "cell-value").isEmpty)
    }

    @Test func largeMatricesHideValuesAndThinLabels() throws {
        let n = 100
        let big = (0..<20).map { r in (0..<n).map { c in Float(r * c) } }
        let map = Heatmap(title: "big", values: big, rowLabels: (0..<20).map { "row \($0)" },
                          columnLabels: (0..<n).map { "col \($0)" })
        let svg = try checkStandalone(map)
        #expect(svg.all("rect", class: "cell").count == 20 * n)
        #expect(svg.texts(class: "cell-value").isEmpty)
        let columnLabels = svg.all("text", class: "col-label")
        #expect(columnLabels.count <= 40 && columnLabels.count >= 20)
        for label in columnLabels {
            let size = Double(label.attr("font-size") ?? "") ?? 0
            #expect(size >= 8 && size <= 12)
            #expect(label.attr("transform")?.hasPrefix("rotate(") == true, "dense column labels are rotated")
        }
    }

    @Test func numbersInCellsShareTheFiguresDecimals() throws {
        // One number of decimals per figure, from the colour scale's span: the cells line up,
        // and float noise next to real effects reads 0.00 (a patching grid on −1…1).
        let patching = Heatmap(title: "t", values: [[-1.6e-8, 0.3, 0.00261, -0.5]], rowLabels: ["r"], columnLabels: ["a", "b", "c", "d"],
                               colorScale: .diverging(center: 0), domain: -1...1)
        #expect(try ParsedXML(patching.svg()).texts(class: "cell-value") == ["0.00", "0.30", "0.00", "\u{2212}0.50"])
        let wide = Heatmap(title: "t", values: [[0.123456, 1234.5678, 12.5, -40.25]], rowLabels: ["r"], columnLabels: ["a", "b", "c", "d"])
        #expect(try ParsedXML(wide.svg()).texts(class: "cell-value") == ["0", "1235", "13", "\u{2212}40"])
        let small = Heatmap(title: "t", values: [[0.0012, 0.0034]], rowLabels: ["r"], columnLabels: ["a", "b"], domain: 0...0.005)
        #expect(try ParsedXML(small.svg()).texts(class: "cell-value") == ["0.0012", "0.0034"])
        let counts = Heatmap(title: "t", values: [[3, 12]], rowLabels: ["r"], columnLabels: ["a", "b"])
        #expect(try ParsedXML(counts.svg()).texts(class: "cell-value") == ["3", "12"])
    }

    @Test func labelsAreEscaped() throws {
        let map = Heatmap(title: "a < b & \"c\"", values: [[1]], rowLabels: ["<row>"], columnLabels: ["'&'"])
        let raw = map.svg()
        #expect(!raw.contains("<row>"))
        let svg = try checkStandalone(map)
        #expect(svg.texts(class: "row-label") == ["<row>"])
        #expect(svg.texts(class: "col-label") == ["'&'"])
    }

    @Test func emptyInputSaysNoData() throws {
        for map in [Heatmap(title: "empty", values: [], rowLabels: [], columnLabels: []),
                    Heatmap(title: "empty rows", values: [[], []], rowLabels: ["a", "b"], columnLabels: [])] {
            let svg = try checkStandalone(map)
            #expect(svg.texts(class: "no-data") == ["no data"])
            #expect(svg.all("rect", class: "cell").isEmpty)
        }
    }
}
