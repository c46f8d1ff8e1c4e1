import LensViz
import Testing

@Suite struct ColorScaleTests {
    @Test func sequentialRunsFromWhiteToDarkBlue() {
        let scale = ColorScale.sequential
        #expect(scale.lowColor == ColorScale.white)
        #expect(scale.color(for: 2, domain: 2...6) == scale.lowColor)
        #expect(scale.color(for: 6, domain: 2...6) == scale.highColor)
        let high = scale.highColor
        #expect(high.blue > high.red && high.blue > high.green && high.red < 60, "high end is a dark blue: \(high)")
        // Monotone darkening in between.
        let mid = scale.color(for: 4, domain: 2...6)
        #expect(mid.red < 255 && mid.red > high.red)
    }

    @Test func divergingIsWhiteAtTheCentreBlueBelowRedAbove() {
        let scale = ColorScale.diverging(center: 1)
        #expect(scale.color(for: 1, domain: -3...5) == ColorScale.white)
        #expect(scale.color(for: -3, domain: -3...5) == scale.lowColor)
        #expect(scale.color(for: 5, domain: -3...5) == scale.highColor)
        #expect(scale.lowColor.blue > scale.lowColor.red, "low end is blue: \(scale.lowColor)")
        #expect(scale.highColor.red > scale.highColor.blue, "high end is red: \(scale.highColor)")
        #expect(ColorScale.diverging().color(for: 0, domain: -1...1) == ColorScale.white)
    }

    @Test func automaticDivergingDomainIsSymmetric() {
        let domain = ColorScale.diverging(center: 0).domain(for: [-1, 0.5, 3])
        #expect(domain == -3...3)
        let shifted = ColorScale.diverging(center: 10).domain(for: [9, 12])
        #expect(shifted == 8...12)
        #expect(ColorScale.sequential.domain(for: [3, -2, 7, .nan, .infinity]) == -2...7)
    }

    @Test func nanIsGreyAndInfinitiesAreClamped() {
        for scale in [ColorScale.sequential, .diverging(center: 0)] {
            #expect(scale.color(for: .nan, domain: -1...1) == ColorScale.missingColor)
            #expect(scale.color(for: .infinity, domain: -1...1) == scale.highColor)
            #expect(scale.color(for: -.infinity, domain: -1...1) == scale.lowColor)
            #expect(scale.color(for: 100, domain: -1...1) == scale.highColor)
            #expect(scale.color(for: -100, domain: -1...1) == scale.lowColor)
        }
        let grey = ColorScale.missingColor
        #expect(grey.red == grey.green && grey.green == grey.blue && grey.red < 255)
    }

    @Test func degenerateInputsGiveUsableDomains() {
        #expect(ColorScale.sequential.domain(for: []) == 0...1)
        let constant = ColorScale.sequential.domain(for: [5, 5])
        #expect(constant.contains(5) && constant.lowerBound < constant.upperBound)
        #expect(ColorScale.diverging().domain(for: [0, 0]) == -1...1)
    }

    @Test func hexIsLowerCaseSixDigits() {
        #expect(RGBColor(red: 255, green: 10, blue: 0).hex == "#ff0a00")
        #expect(ColorScale.white.hex == "#ffffff")
    }
}
