import Foundation
import LensViz
import Testing

@Suite struct LineChartTests {
    let steps: [Float] = (0..<50).map(Float.init)

    @Test func twoSeriesTwoPathsAndALegend() throws {
        let chart = LineChart(title: "Loss", xLabel: "step", yLabel: "loss",
                              series: [.init(name: "train", x: steps, y: steps.map { 5 - $0 / 20 }),
                                       .init(name: "test <held out>", x: steps, y: steps.map { 5.2 - $0 / 25 })],
                              markedRegion: 20...30, markLabel: "phase change")
        let svg = try checkStandalone(chart)
        let paths = svg.all("path", class: "series")
        #expect(paths.count == 2)
        #expect(paths.map { $0.attr("stroke") }.count == Set(paths.map { $0.attr("stroke") }).count, "distinct colours")
        #expect(svg.all("g", class: "legend").count == 1)
        #expect(svg.texts(class: "legend-label") == ["train", "test <held out>"])
        #expect(svg.all("rect", class: "marked-region").count == 1)
        #expect(svg.texts(class: "mark-label") == ["phase change"])
        #expect(svg.texts(class: "axis-label").sorted() == ["loss", "step"])
        #expect(svg.texts(class: "tick-label").count >= 6)
        checkNumbersAreShort(svg)
    }

    @Test func legendIsBelowThePlot() throws {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "a", y: [1, 2, 3])])
        let svg = try ParsedXML(chart.svg())
        let legendY = svg.all("text", class: "legend-label").compactMap { Double($0.attr("y") ?? "") }
        let tickY = svg.all("text", class: "tick-label").compactMap { Double($0.attr("y") ?? "") }
        #expect(legendY.allSatisfy { y in tickY.allSatisfy { y > $0 } }, "legend under every tick label, never over data")
    }

    @Test func secondaryAxisSeriesAreDashedAndLabelled() throws {
        let chart = LineChart(title: "t", xLabel: "step", yLabel: "loss",
                              series: [.init(name: "loss", x: steps, y: steps.map { 6 - $0 / 10 }),
                                       .init(name: "score", x: steps, y: steps.map { $0 / 50 })],
                              secondaryYLabel: "induction score", secondarySeries: ["score"])
        let svg = try checkStandalone(chart)
        let paths = svg.all("path", class: "series")
        #expect(paths.first { $0.attr("data-series") == "score" }?.attr("stroke-dasharray") != nil)
        #expect(paths.first { $0.attr("data-series") == "loss" }?.attr("stroke-dasharray") == nil)
        #expect(svg.texts(class: "axis-label").contains("induction score"))
        #expect(svg.texts(class: "legend-label").contains("score (right axis)"))
    }

    @Test func nonFiniteValuesBreakTheLine() throws {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                              series: [.init(name: "a", x: [0, 1, 2, 3, 4], y: [1, 2, .nan, 3, .infinity])])
        let path = try ParsedXML(chart.svg()).all("path", class: "series")[0]
        let d = path.attr("d") ?? ""
        #expect(d.filter { $0 == "M" }.count == 2)
        #expect(!d.contains("nan") && !d.contains("inf"))
    }

    @Test func emptyChartsSayNoData() throws {
        for chart in [LineChart(title: "none", xLabel: "x", yLabel: "y", series: []),
                      LineChart(title: "all nan", xLabel: "x", yLabel: "y", series: [.init(name: "a", y: [.nan, .nan])])] {
            let svg = try checkStandalone(chart)
            #expect(svg.texts(class: "no-data") == ["no data"])
        }
    }

    @Test func longSeriesAreThinned() throws {
        let n = 100_000
        let x = (0..<n).map(Float.init)
        let chart = LineChart(title: "long", xLabel: "x", yLabel: "y",
                              series: [.init(name: "a", x: x, y: x.map { sin($0 / 1000) })])
        let d = try ParsedXML(chart.svg()).all("path", class: "series")[0].attr("d") ?? ""
        #expect(d.filter { $0 == "L" }.count < 5000)
    }
}

@Suite struct ScatterPlotTests {
    @Test func pointsGroupsLabelsAndLegend() throws {
        let points: [ScatterPlot.Point] = [
            .init(x: 0, y: 0, label: "origin", group: "a"),
            .init(x: 5, y: 3, label: "far <&>", group: "b"),
            .init(x: -4, y: 2, group: "a"),
            .init(x: .nan, y: 1, label: "skipped"),
        ]
        let svg = try checkStandalone(ScatterPlot(title: "PCA", xLabel: "PC 1", yLabel: "PC 2", points: points))
        let circles = svg.all("circle", class: "point")
        #expect(circles.count == 3)
        #expect(circles[0].attr("fill") == circles[2].attr("fill"), "same group, same colour")
        #expect(circles[0].attr("fill") != circles[1].attr("fill"))
        #expect(Set(svg.texts(class: "point-label")) == ["origin", "far <&>"])
        #expect(svg.texts(class: "legend-label") == ["a", "b"])
        #expect(svg.all("path", class: "trajectory").isEmpty)
        checkNumbersAreShort(svg)
    }

    @Test func connectDrawsATrajectory() throws {
        let points = (0..<10).map { ScatterPlot.Point(x: Float($0), y: Float($0 * $0)) }
        let svg = try checkStandalone(ScatterPlot(title: "path", xLabel: "x", yLabel: "y", points: points, connect: true))
        let path = svg.all("path", class: "trajectory")
        #expect(path.count == 1)
        #expect((path[0].attr("d") ?? "").filter { $0 == "L" }.count == 9)
        #expect(svg.all("g", class: "legend").isEmpty, "no groups, no legend")
    }

    @Test func overlappingLabelsAreDropped() throws {
        let points = (0..<30).map { ScatterPlot.Point(x: 1 + Float($0) * 1e-4, y: 1, label: "label \($0)") }
        let svg = try ParsedXML(ScatterPlot(title: "crowd", xLabel: "x", yLabel: "y",
                                            points: points + [.init(x: 0, y: 0), .init(x: 2, y: 2)]).svg())
        #expect(svg.all("circle", class: "point").count == 32)
        #expect(svg.texts(class: "point-label").count < 10)
    }

    @Test func emptySaysNoData() throws {
        let svg = try checkStandalone(ScatterPlot(title: "none", xLabel: "x", yLabel: "y", points: []))
        #expect(svg.texts(class: "no-data") == ["no data"])
    }
}

@Suite struct BarChartTests {
    @Test func barsValuesAndReferenceLine() throws {
        let chart = BarChart(title: "Ablation", labels: ["L0H0", "L0H1", "L1H0", "L1H1", "<none>"],
                             values: [2.1, 2.0, 3.5, -0.5, 1.9], valueLabel: "loss",
                             referenceLine: 1.95, referenceLabel: "clean loss")
        let svg = try checkStandalone(chart)
        let bars = svg.all("rect", class: "bar")
        #expect(bars.count == 5)
        #expect(svg.texts(class: "bar-label") == ["L0H0", "L0H1", "L1H0", "L1H1", "<none>"])
        #expect(svg.all("line", class: "reference-line").count == 1)
        #expect(svg.texts(class: "reference-label") == ["clean loss"])
        #expect(svg.texts(class: "bar-value") == ["2.10", "2.00", "3.50", "\u{2212}0.50", "1.90"], "one number of decimals for all bars")
        #expect(svg.texts(class: "axis-label") == ["loss"])
        // The negative bar hangs below the zero line.
        let positive = bars[0], negative = bars[3]
        let zeroY = Double(positive.attr("y")!)! + Double(positive.attr("height")!)!
        #expect(abs(Double(negative.attr("y")!)! - zeroY) < 0.02)
        #expect(bars[3].attr("fill") != bars[0].attr("fill"))
        checkNumbersAreShort(svg)
    }

    @Test func manyBarsThinTheirLabels() throws {
        let labels = (0..<144).map { "L\($0 / 12)H\($0 % 12)" }
        let svg = try checkStandalone(BarChart(title: "GPT-2", labels: labels, values: labels.indices.map { Float($0) },
                                               valueLabel: "loss"))
        #expect(svg.all("rect", class: "bar").count == 144)
        #expect(svg.texts(class: "bar-label").count <= 40)
        #expect(svg.texts(class: "bar-value").isEmpty, "no per-bar numbers when crowded")
    }

    @Test func nanGetsNoBar() throws {
        let svg = try ParsedXML(BarChart(title: "t", labels: ["a", "b"], values: [1, .nan], valueLabel: "v").svg())
        #expect(svg.all("rect", class: "bar").count == 1)
        #expect(svg.all("text", class: "bar-missing").count == 1)
    }

    @Test func emptySaysNoData() throws {
        let svg = try checkStandalone(BarChart(title: "none", labels: [], values: [], valueLabel: "v"))
        #expect(svg.texts(class: "no-data") == ["no data"])
    }
}

@Suite struct TokenStripTests {
    @Test func oneColouredBoxPerToken() throws {
        let tokens = ["<|endoftext|>", " The", " cat", "\n", "<b>&\""]
        let strip = TokenStrip(title: "Loss per token", tokens: tokens, values: [.nan, 4, 0, 2, 1], valueLabel: "loss")
        let svg = try checkStandalone(strip)
        let boxes = svg.all("rect", class: "token-box")
        #expect(boxes.count == 5)
        #expect(svg.texts(class: "token-text") == ["<|endoftext|>", " The", " cat", "\u{21B5}", "<b>&\""])
        #expect(boxes[0].attr("fill") == ColorScale.missingColor.hex)
        #expect(boxes[1].attr("fill") == ColorScale.sequential.highColor.hex)
        #expect(boxes[2].attr("fill") == ColorScale.sequential.lowColor.hex)
        // Hover text: position, token and value.
        let tooltips = svg.all("g", class: "token").compactMap(\.tooltip)
        #expect(tooltips.count == 5)
        #expect(tooltips[1].contains("1") && tooltips[1].contains("The") && tooltips[1].hasSuffix(": 4"))
        #expect(svg.all("g", class: "color-bar").count == 1)
        #expect(svg.texts(class: "axis-label") == ["loss"])
        checkNumbersAreShort(svg)
    }

    @Test func longSequencesWrap() throws {
        let tokens = (0..<300).map { " word\($0)" }
        let svg = try ParsedXML(TokenStrip(title: "wrap", tokens: tokens, values: tokens.indices.map { Float($0) }).svg())
        let ys = Set(svg.all("rect", class: "token-box").compactMap { $0.attr("y") })
        #expect(ys.count > 5, "several lines")
        let widths = svg.all("rect", class: "token-box").compactMap { Double($0.attr("x") ?? "") }
        #expect(widths.allSatisfy { $0 < 920 })
    }

    @Test func divergingStripIsWhiteAtCentre() throws {
        let strip = TokenStrip(title: "dla", tokens: ["a", "b", "c"], values: [-1, 0, 3], colorScale: .diverging(center: 0))
        let fills = try ParsedXML(strip.svg()).all("rect", class: "token-box").map { $0.attr("fill") }
        #expect(fills[1] == ColorScale.white.hex)
        #expect(fills[2] == ColorScale.diverging().highColor.hex)
    }

    @Test func emptySaysNoData() throws {
        let svg = try checkStandalone(TokenStrip(title: "none", tokens: [], values: []))
        #expect(svg.texts(class: "no-data") == ["no data"])
    }
}
