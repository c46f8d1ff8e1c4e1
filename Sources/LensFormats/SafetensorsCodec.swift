import Foundation
import LensTensor

/// Element conversions between safetensors' little-endian dtypes and `Float` / `Int`.
///
/// Half-precision conversions are written out with bit operations rather than `Float16`, which
/// is unavailable on macOS x86_64.
enum SafetensorsCodec {
    /// Decodes `count` elements of `dtype` at `src` into floats.
    static func decodeFloats(_ src: UnsafeRawPointer, dtype: SafetensorsDType, count: Int, into dst: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .F32:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .F64:
            for i in 0..<count {
                dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .F16:
            for i in 0..<count { dst[i] = halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .BF16:
            for i in 0..<count {
                dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            }
        case .I64, .I32, .I16, .I8, .U8, .BOOL:
            let ints = decodeIntegers(src, dtype: dtype, count: count)
            for i in 0..<count { dst[i] = Float(ints[i]) }
        }
    }

    /// Decodes `count` integer (or boolean) elements.
    static func decodeIntegers(_ src: UnsafeRawPointer, dtype: SafetensorsDType, count: Int) -> [Int] {
        (0..<count).map { i in
            switch dtype {
            case .I64: Int(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            case .I32: Int(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            case .I16: Int(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
            case .I8: Int(src.loadUnaligned(fromByteOffset: i, as: Int8.self))
            case .U8: Int(src.loadUnaligned(fromByteOffset: i, as: UInt8.self))
            case .BOOL: src.loadUnaligned(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
            case .F64, .F32, .F16, .BF16: 0
            }
        }
    }

    /// The bytes of one tensor in its target dtype.
    static func encode(_ value: SafetensorsValue) -> Data {
        switch value {
        case let .float(t, dtype):
            let v = t.scalars
            switch dtype {
            case .F64: return littleEndianBytes(v.map { Double($0).bitPattern })
            case .F16: return littleEndianBytes(v.map(floatToHalf))
            case .BF16: return littleEndianBytes(v.map(floatToBFloat16))
            default: return littleEndianBytes(v.map(\.bitPattern))
            }
        case let .int(t, dtype):
            let v = t.scalars
            switch dtype {
            case .I32: return littleEndianBytes(v.map { Int32(truncatingIfNeeded: $0) })
            case .I16: return littleEndianBytes(v.map { Int16(truncatingIfNeeded: $0) })
            case .I8: return Data(v.map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0)) })
            case .U8: return Data(v.map { UInt8(truncatingIfNeeded: $0) })
            case .BOOL: return Data(v.map { $0 != 0 ? 1 : 0 })
            default: return littleEndianBytes(v.map { Int64($0) })
            }
        }
    }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
        values.map(\.littleEndian).withUnsafeBytes { Data($0) }
    }

    /// IEEE binary16 → binary32 (exact).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
    }

    /// binary32 → binary16, rounding to nearest even; overflow gives ±inf, NaN stays NaN.
    static func floatToHalf(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if f.isNaN { return sign | 0x7E00 }
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        let mantissa = bits & 0x7F_FFFF
        if exponent >= 31 { return sign | 0x7C00 }
        if exponent <= 0 {
            if exponent < -10 { return sign }
            let m = mantissa | 0x80_0000
            let shift = UInt32(14 - exponent)
            var half = m >> shift
            let remainder = m & ((1 << shift) - 1), halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(exponent) << 10 | mantissa >> 13
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
        if half >= 0x7C00 { return sign | 0x7C00 }
        return sign | UInt16(half)
    }

    /// binary32 → bfloat16, rounding to nearest even; NaN stays NaN.
    static func floatToBFloat16(_ f: Float) -> UInt16 {
        if f.isNaN { return UInt16(f.bitPattern >> 16) | 0x0040 }
        let bits = f.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }
}
