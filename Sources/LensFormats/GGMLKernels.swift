/// The dequantisation kernels behind ``GGMLType/dequantize(_:into:)``: one function per type,
/// over whole blocks, written with SIMD16 vectors (one vector is half of a 32-element block, or
/// a 16-element K-quant sub-block).
///
/// Block layouts are ggml's (`ggml-common.h`); the arithmetic repeats gguf-py's `quants.py`
/// operation for operation, so results are bit-identical: separate multiplies and adds (Swift
/// never contracts `a * b + c` into a fused multiply-add), the per-sub-block products such as
/// `d * Float(scale)` rounded first exactly as numpy rounds them, and integer offsets (−8, −16,
/// −32, −4) applied before the conversion to float.
///
/// Block sizes and offsets below are the ggml struct layouts: e.g. Q4_1 is
/// `d: f16 @0, m: f16 @2, qs[16] @4`, 20 bytes for 32 elements.
enum GGMLKernels {
    typealias Source = UnsafeRawPointer
    typealias Destination = UnsafeMutablePointer<Float>

    // MARK: Helpers

    /// The little-endian binary16 at byte `offset`, widened exactly.
    @inline(__always) static func half(_ p: Source, _ offset: Int) -> Float {
        SafetensorsCodec.halfToFloat(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always) static func bytes16(_ p: Source, _ offset: Int) -> SIMD16<UInt8> {
        p.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
    }

    @inline(__always) static func store(_ v: SIMD16<Float>, _ p: Destination) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Unsigned bytes → Int32 lanes.
    @inline(__always) static func widen(_ v: SIMD16<UInt8>) -> SIMD16<Int32> { SIMD16<Int32>(truncatingIfNeeded: v) }

    @inline(__always) static func float(_ v: SIMD16<Int32>) -> SIMD16<Float> { SIMD16<Float>(v) }

    /// `d · q + m` rounded twice, as numpy computes it; when both products are NaN the result is
    /// the NaN of `d · q` (the first operand, as x86 and ARM propagate it). LLVM treats `+` as
    /// commutative and may swap the operands, which would return `m`'s NaN payload instead.
    @inline(__always) static func scaledPlusMin(_ d: Float, _ q: SIMD16<Float>, _ m: Float) -> SIMD16<Float> {
        let dq = d * q
        var sum = dq + m
        sum.replace(with: dq, where: dq .!= dq)
        return sum
    }

    /// Lane i holds i (shift amounts for the 32 high bits of Q5_0/Q5_1).
    static let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    // MARK: Plain numbers

    static func f32(_ src: Source, _ count: Int, _ dst: Destination) {
        #if _endian(little)
        UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: 4 * count)
        #else
        for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        #endif
    }

    /// binary16 → binary32 without branches: normal numbers by re-biasing the
    /// exponent, infinities and NaNs (payload kept, signalling NaNs stay signalling, as numpy's
    /// `astype(float32)` does) by setting the exponent to all ones, zeros and subnormals as the
    /// exact product `mantissa · 2⁻²⁴`.
    static func f16(_ src: Source, _ count: Int, _ dst: Destination) {
        // Written per element with selects, not branches, so that LLVM vectorises the loop.
        for i in 0..<count {
            let h = UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            let magnitude = h & 0x7FFF
            let normal = (magnitude &<< 13) &+ 0x3800_0000                   // exponent + (127 − 15)
            let special = normal | 0x7F80_0000
            let small = (Float(Int32(bitPattern: magnitude)) * 0x1p-24).bitPattern
            let bits = magnitude < 0x0400 ? small : magnitude >= 0x7C00 ? special : normal
            dst[i] = Float(bitPattern: bits | ((h & 0x8000) &<< 16))
        }
    }

    /// bfloat16 is the top half of a binary32.
    static func bf16(_ src: Source, _ count: Int, _ dst: Destination) {
        var i = 0
        while i + 8 <= count {
            let h = SIMD8<UInt32>(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self))
            UnsafeMutableRawPointer(dst + i).storeBytes(of: unsafeBitCast(h &<< 16, to: SIMD8<Float>.self), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            i += 1
        }
    }

    // MARK: 32-element blocks

    /// Q8_0 (34 bytes): `d @0`, `qs[32] (int8) @2`; value `qs · d`.
    static func q8_0(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 34 * b, out = dst + 32 * b
            let d = half(p, 0)
            for h in 0..<2 {
                let q = p.loadUnaligned(fromByteOffset: 2 + 16 * h, as: SIMD16<Int8>.self)
                store(float(SIMD16<Int32>(truncatingIfNeeded: q)) * d, out + 16 * h)
            }
        }
    }

    /// Q4_0 (18 bytes): `d @0`, `qs[16] @2`; element j from the low nibble of `qs[j]`, element
    /// j + 16 from its high nibble; value `d · (q − 8)`.
    static func q4_0(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 18 * b, out = dst + 32 * b
            let d = half(p, 0)
            let qs = bytes16(p, 2)
            store(d * float(widen(qs & 0x0F) &- 8), out)
            store(d * float(widen(qs &>> 4) &- 8), out + 16)
        }
    }

    /// Q4_1 (20 bytes): `d @0`, `m @2`, `qs[16] @4`; value `d · q + m`.
    static func q4_1(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 20 * b, out = dst + 32 * b
            let d = half(p, 0), m = half(p, 2)
            let qs = bytes16(p, 4)
            store(scaledPlusMin(d, float(widen(qs & 0x0F)), m), out)
            store(scaledPlusMin(d, float(widen(qs &>> 4)), m), out + 16)
        }
    }

    /// The 5-bit values of a Q5_0/Q5_1 block: nibbles as Q4_0, plus bit e of the u32 `qh` as
    /// the fifth bit of element e.
    @inline(__always) static func fiveBit(_ qs: SIMD16<UInt8>, _ qh: UInt32) -> (SIMD16<Int32>, SIMD16<Int32>) {
        let high = SIMD16<UInt32>(repeating: qh)
        let lo = widen(qs & 0x0F) | SIMD16<Int32>(truncatingIfNeeded: ((high &>> lanes) & 1) &<< 4)
        let hi = widen(qs &>> 4) | SIMD16<Int32>(truncatingIfNeeded: ((high &>> (lanes &+ 16)) & 1) &<< 4)
        return (lo, hi)
    }

    /// Q5_0 (22 bytes): `d @0`, `qh (u32) @2`, `qs[16] @6`; value `d · (q − 16)`.
    static func q5_0(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 22 * b, out = dst + 32 * b
            let d = half(p, 0)
            let (lo, hi) = fiveBit(bytes16(p, 6), UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
            store(d * float(lo &- 16), out)
            store(d * float(hi &- 16), out + 16)
        }
    }

    /// Q5_1 (24 bytes): `d @0`, `m @2`, `qh (u32) @4`, `qs[16] @8`; value `d · q + m`.
    static func q5_1(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 24 * b, out = dst + 32 * b
            let d = half(p, 0), m = half(p, 2)
            let (lo, hi) = fiveBit(bytes16(p, 8), UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
            store(scaledPlusMin(d, float(lo), m), out)
            store(scaledPlusMin(d, float(hi), m), out + 16)
        }
    }

    // MARK: 256-element K-quant super-blocks

    /// Q2_K (84 bytes): `scales[16] @0`, `qs[64] @16`, `d @80`, `dmin @82`. Element
    /// e = 128n + 32j + l is bits 2j…2j+1 of `qs[32n + l]`; its 16-element sub-block s = e / 16
    /// has scale `lo(scales[s])` and min `hi(scales[s])`; value `(d · sc) · q − (dmin · min)`.
    static func q2_K(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 84 * b, out = dst + 256 * b
            let d = half(p, 80), dmin = half(p, 82)
            for n in 0..<2 {
                for j in 0..<4 {
                    for h in 0..<2 {
                        let s = 8 * n + 2 * j + h
                        let sc = p.load(fromByteOffset: s, as: UInt8.self)
                        let dl = d * Float(sc & 0x0F), ml = dmin * Float(sc >> 4)
                        let q = (bytes16(p, 16 + 32 * n + 16 * h) &>> UInt8(2 * j)) & 3
                        store(dl * float(widen(q)) - ml, out + 128 * n + 32 * j + 16 * h)
                    }
                }
            }
        }
    }

    /// Q3_K (110 bytes): `hmask[32] @0`, `qs[64] @32`, `scales[12] @96`, `d @108`. The 2 low bits
    /// are addressed as in Q2_K; the high bit of element e is bit e / 32 of `hmask[e % 32]`, and
    /// a clear bit subtracts 4. Sub-block s has the 6-bit scale `low4 | high2 << 4` (low4 from
    /// nibble s / 8 of `scales[s % 8]`, high2 from bits 2(s / 4) of `scales[8 + s % 4]`), minus
    /// 32; value `(d · scale) · q`.
    static func q3_K(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 110 * b, out = dst + 256 * b
            let d = half(p, 108)
            for n in 0..<2 {
                for j in 0..<4 {
                    for h in 0..<2 {
                        let s = 8 * n + 2 * j + h
                        let low4 = (p.load(fromByteOffset: 96 + s % 8, as: UInt8.self) >> UInt8(4 * (s / 8))) & 0x0F
                        let high2 = (p.load(fromByteOffset: 104 + s % 4, as: UInt8.self) >> UInt8(2 * (s / 4))) & 0x03
                        let dl = d * Float(Int32(low4 | high2 << 4) - 32)
                        let q2 = widen((bytes16(p, 32 + 32 * n + 16 * h) &>> UInt8(2 * j)) & 3)
                        let hbit = widen((bytes16(p, 16 * h) &>> UInt8(4 * n + j)) & 1)
                        store(dl * float(q2 &- ((hbit ^ 1) &<< 2)), out + 128 * n + 32 * j + 16 * h)
                    }
                }
            }
        }
    }

    /// The 6-bit scale and min of sub-block s (0…7) packed in the 12 bytes at `S` (Q4_K, Q5_K).
    @inline(__always) static func scaleMin(_ S: Source, _ s: Int) -> (Float, Float) {
        func byte(_ i: Int) -> UInt8 { S.load(fromByteOffset: i, as: UInt8.self) }
        if s < 4 { return (Float(byte(s) & 63), Float(byte(s + 4) & 63)) }
        return (Float((byte(s + 4) & 0x0F) | ((byte(s - 4) >> 6) << 4)), Float((byte(s + 4) >> 4) | ((byte(s) >> 6) << 4)))
    }

    /// Q4_K (144 bytes): `d @0`, `dmin @2`, `scales[12] @4`, `qs[128] @16`. Each 32-byte chunk c
    /// of `qs` gives 64 elements: sub-block 2c from the low nibbles, 2c + 1 from the high ones;
    /// value `(d · sc) · q − (dmin · m)`.
    static func q4_K(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 144 * b, out = dst + 256 * b
            let d = half(p, 0), dmin = half(p, 2)
            for c in 0..<4 {
                let (sc0, m0) = scaleMin(p + 4, 2 * c), (sc1, m1) = scaleMin(p + 4, 2 * c + 1)
                let d0 = d * sc0, dm0 = dmin * m0, d1 = d * sc1, dm1 = dmin * m1
                for h in 0..<2 {
                    let qs = bytes16(p, 16 + 32 * c + 16 * h)
                    store(d0 * float(widen(qs & 0x0F)) - dm0, out + 64 * c + 16 * h)
                    store(d1 * float(widen(qs &>> 4)) - dm1, out + 64 * c + 32 + 16 * h)
                }
            }
        }
    }

    /// Q5_K (176 bytes): `d @0`, `dmin @2`, `scales[12] @4`, `qh[32] @16`, `qs[128] @48`. As
    /// Q4_K, plus bit s of `qh[e % 32]` as the fifth bit of element e in sub-block s.
    static func q5_K(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 176 * b, out = dst + 256 * b
            let d = half(p, 0), dmin = half(p, 2)
            for c in 0..<4 {
                let (sc0, m0) = scaleMin(p + 4, 2 * c), (sc1, m1) = scaleMin(p + 4, 2 * c + 1)
                let d0 = d * sc0, dm0 = dmin * m0, d1 = d * sc1, dm1 = dmin * m1
                for h in 0..<2 {
                    let qs = bytes16(p, 48 + 32 * c + 16 * h), qh = bytes16(p, 16 + 16 * h)
                    let lo = widen((qs & 0x0F) | (((qh &>> UInt8(2 * c)) & 1) &<< 4))
                    let hi = widen((qs &>> 4) | (((qh &>> UInt8(2 * c + 1)) & 1) &<< 4))
                    store(d0 * float(lo) - dm0, out + 64 * c + 16 * h)
                    store(d1 * float(hi) - dm1, out + 64 * c + 32 + 16 * h)
                }
            }
        }
    }

    /// Q6_K (210 bytes): `ql[128] @0`, `qh[64] @128`, `scales[16] (int8) @192`, `d @208`. Element
    /// e = 128n + 32k + l: low 4 bits from `ql[64n + 32(k % 2) + l]` (low nibble for k < 2, high
    /// for k ≥ 2), high 2 bits from bits 2k of `qh[32n + l]`; value `(d · scales[e / 16]) · (q − 32)`.
    static func q6_K(_ src: Source, _ blocks: Int, _ dst: Destination) {
        for b in 0..<blocks {
            let p = src + 210 * b, out = dst + 256 * b
            let d = half(p, 208)
            for n in 0..<2 {
                for k in 0..<4 {
                    for h in 0..<2 {
                        let e = 128 * n + 32 * k + 16 * h
                        let ds = d * Float(p.load(fromByteOffset: 192 + e / 16, as: Int8.self))
                        let low = (bytes16(p, 64 * n + 32 * (k % 2) + 16 * h) &>> UInt8(4 * (k / 2))) & 0x0F
                        let high = (bytes16(p, 128 + 32 * n + 16 * h) &>> UInt8(2 * k)) & 0x03
                        store(ds * float(widen(low | high &<< 4) &- 32), out + e)
                    }
                }
            }
        }
    }
}
