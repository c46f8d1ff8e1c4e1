import Foundation
import LensFormats
import Testing

/// Dequantisation, bit for bit against gguf-py's `gguf.quants.dequantize` on random blocks of
/// every supported type (random bytes are valid blocks: NaN and infinite scales included), and
/// every half-precision bit pattern.
@Suite struct GGUFDequantizationTests {
    @Test(arguments: GGMLType.dequantizable)
    func matchesGGUFPyBitForBit(_ type: GGMLType) throws {
        let raw = try GGUFFixtures.data("blocks/\(type.name).bin")
        let expected = try GGUFFixtures.floats("blocks/\(type.name).f32")
        #expect(raw.count / type.typeSize * type.blockSize == expected.count)
        let values = try type.dequantize(raw)
        let diff = GGUFFixtures.firstBitDifference(values, expected)
        #expect(diff == nil, "\(type): element \(diff ?? -1): \(diff.map { "\(values[$0]) (0x\(String(values[$0].bitPattern, radix: 16))) vs \(expected[$0]) (0x\(String(expected[$0].bitPattern, radix: 16)))" } ?? "")")
    }
}
