import Foundation
import LensFormats
import LensKernels
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

    /// The same fixture blocks held as a ``QuantizedMatrix`` (two blocks a row, or 64 elements
    /// for the plain types) dequantise to gguf-py's values bit for bit: NaN and infinite scales
    /// included.
    @Test(arguments: GGMLType.dequantizable)
    func quantizedMatrixMatchesGGUFPyBitForBit(_ type: GGMLType) throws {
        let raw = try GGUFFixtures.data("blocks/\(type.name).bin")
        let expected = try GGUFFixtures.floats("blocks/\(type.name).f32")
        let format = try #require(type.blockFormat)
        let k = format.blockSize == 1 ? 64 : 2 * format.blockSize, n = expected.count / k
        #expect(n * k == expected.count && n * format.rowByteCount(k) == raw.count)
        let matrix = raw.withUnsafeBytes { QuantizedMatrix(format: format, n: n, k: k, bytes: $0.baseAddress!) }
        var values = [Float](repeating: 0, count: n * k)
        values.withUnsafeMutableBufferPointer { matrix.dequantize(into: $0.baseAddress!) }
        let diff = GGUFFixtures.firstBitDifference(values, expected)
        #expect(diff == nil, "\(type): element \(diff ?? -1)")
        #expect(Set(GGMLType.allCases.filter { $0.blockFormat != nil }) == Set(GGMLType.dequantizable))
    }
}
