import LensSIMD

// The block decoders of every `BlockFormat` and the kernels built on them: expansion to Float32
// (`BlockFormat.dequantize`), the few-row product that dequantises inside the dot products, and
// the panel filler through which the packed GEMM multiplies many rows by a quantised matrix.
//
// One file on purpose: debug builds compile one file at a time and neither inline nor specialise
// across files, so the decoders and the generic kernels that inline them must sit together.
//
// Each decoder turns one 32-element chunk of a block into four `Float8` (elements 0–7, 8–15,
// 16–23, 24–31) with the float32 operations of gguf-py's `quants.py`, in its order: separate
// multiplies and adds (Swift never contracts `a * b + c`), per-sub-block products such as
// `d * Float(scale)` rounded first, integer offsets (−8, −16, −32, −4) applied before the
// conversion to float. Dequantisation and products therefore see the same weights; only the
// `exact` flag differs: on, binary16 scales are widened by integer code that keeps NaN payloads
// bit for bit (numpy keeps signalling NaNs signalling) and `d · q + m` returns `d · q`'s NaN;
// off (products), the scales go through the F16C conversion, which may quiet a NaN — a NaN weight
// gives a NaN product either way.
//
// Multi-byte fields are read little-endian, the byte order of GGUF files and of every platform
// this library runs on (x86_64, arm64); vector loads of F16/BF16/F32 elements assume it.

/// Elements 0–7, 8–15, 16–23 and 24–31 of a 32-element chunk.
struct Chunk {
    var a: Float8, b: Float8, c: Float8, d: Float8
}

/// One block format's decoder. `chunks` 32-element chunks make a block of `blockBytes` bytes;
/// plain number formats (F32, F16, BF16) use 32-element pseudo-blocks and decode a row's last
/// `k % 32` elements one by one with `element`.
///
/// A block's scales are decoded once (`header`) and used by each of its chunks: a K-quant's
/// eight or sixteen sub-block scales, already multiplied by the block's `d` (and `dmin`), come
/// out of a few vector operations instead of scalar work in every chunk (measured on one-row
/// products: Q3_K 1.24×, Q4_K 1.07×, Q2_K 1.06×; Q5_K and Q6_K are bound by their bit
/// unpacking instead).
protocol BlockCodec {
    associatedtype Header
    static var blockBytes: Int { get }
    static var chunks: Int { get }
    static var isPlain: Bool { get }
    /// The scales of the block at `p`.
    static func header(_ p: UnsafeRawPointer, exact: Bool) -> Header
    /// Chunk `c` (elements 32c ..< 32c + 32) of the block at `p`, whose header is `h`.
    static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: Header, exact: Bool) -> Chunk
    /// Element `i` of the row at `p` (plain formats only).
    static func element(_ p: UnsafeRawPointer, _ i: Int, exact: Bool) -> Float
}

extension BlockCodec {
    static var isPlain: Bool { false }
    static var blockElements: Int { 32 * chunks }
    static func element(_ p: UnsafeRawPointer, _ i: Int, exact: Bool) -> Float { preconditionFailure("not a plain format") }
}

/// The header of the formats whose chunks need nothing decoded beforehand.
struct NoHeader {}

/// A 32-element block's scale `d` and offset `m` (0 when the format has none).
struct BlockScales {
    var d: Float, m: Float
}

// MARK: - Helpers

/// binary16 → binary32, exactly: normal numbers by re-biasing the exponent, infinities and NaNs
/// (payload kept, signalling NaNs stay signalling) by setting the exponent to all ones, zeros and
/// subnormals as the exact product `mantissa · 2⁻²⁴`. Selects, not branches, so it vectorises.
@inline(__always) private func exactHalf(_ h16: UInt16) -> Float {
    let h = UInt32(h16), magnitude = h & 0x7FFF
    let normal = (magnitude &<< 13) &+ 0x3800_0000
    let special = normal | 0x7F80_0000
    let small = (Float(Int32(bitPattern: magnitude)) * 0x1p-24).bitPattern
    let bits = magnitude < 0x0400 ? small : magnitude >= 0x7C00 ? special : normal
    return Float(bitPattern: bits | ((h & 0x8000) &<< 16))
}

/// Eight binary16 values widened exactly (as `exactHalf`).
@inline(__always) private func exactHalf8(_ h16: SIMD8<UInt16>) -> Float8 {
    let h = widen(h16), magnitude = h & 0x7FFF
    let normal = (magnitude &<< 13) &+ 0x3800_0000
    let special = normal | 0x7F80_0000
    let small = unsafeBitCast(float(unsafeBitCast(magnitude, to: SIMD8<Int32>.self)) * 0x1p-24, to: SIMD8<UInt32>.self)
    var bits = normal.replacing(with: special, where: magnitude .>= 0x7C00)
    bits.replace(with: small, where: magnitude .< 0x0400)
    return unsafeBitCast(bits | ((h & 0x8000) &<< 16), to: Float8.self)
}

// `Float16` is unavailable on Intel macOS; elsewhere it is the hardware conversion (F16C on x86).
#if os(macOS) && arch(x86_64)
@inline(__always) private func fastHalf(_ h: UInt16) -> Float { exactHalf(h) }
@inline(__always) private func fastHalf8(_ h: SIMD8<UInt16>) -> Float8 { exactHalf8(h) }
#else
@inline(__always) private func fastHalf(_ h: UInt16) -> Float { Float(Float16(bitPattern: h)) }
@inline(__always) private func fastHalf8(_ h: SIMD8<UInt16>) -> Float8 {
    let f = unsafeBitCast(h, to: SIMD8<Float16>.self)
    return Float8(Float(f[0]), Float(f[1]), Float(f[2]), Float(f[3]), Float(f[4]), Float(f[5]), Float(f[6]), Float(f[7]))
}
#endif

/// The little-endian binary16 at byte `offset` of `p`, widened.
@inline(__always) private func half(_ p: UnsafeRawPointer, _ offset: Int, _ exact: Bool) -> Float {
    let h = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    return exact ? exactHalf(h) : fastHalf(h)
}

// Lane conversions written lane by lane: LLVM turns each into one instruction (vpmovzxbd,
// vpmovsxbd, vcvtdq2ps, vcvtph2ps). The standard library's generic `init(truncatingIfNeeded:)`
// and `init(_:)` of SIMD types are the same code, but the SIL inliner stops inlining them into a
// large kernel, which then calls them out of line (measured, with all four few-row tiles in one
// function: Q8_0's one-row product at 2.9 instead of 16 G weights/s).

@inline(__always) private func widen(_ v: SIMD8<UInt8>) -> SIMD8<Int32> {
    SIMD8<Int32>(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
}

@inline(__always) private func widen(_ v: SIMD8<Int8>) -> SIMD8<Int32> {
    SIMD8<Int32>(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
}

@inline(__always) private func widen(_ v: SIMD4<UInt8>) -> SIMD4<Int32> {
    SIMD4<Int32>(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]))
}

@inline(__always) private func widen(_ v: SIMD8<UInt16>) -> SIMD8<UInt32> {
    SIMD8<UInt32>(UInt32(v[0]), UInt32(v[1]), UInt32(v[2]), UInt32(v[3]), UInt32(v[4]), UInt32(v[5]), UInt32(v[6]),
                  UInt32(v[7]))
}

@inline(__always) private func float(_ v: SIMD8<Int32>) -> Float8 {
    Float8(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
}

/// Eight unsigned bytes at `offset`, zero-extended.
@inline(__always) private func bytes8(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD8<Int32> {
    widen(p.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt8>.self))
}

@inline(__always) private func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
    p.load(fromByteOffset: offset, as: UInt8.self)
}


/// `d · q + m` rounded twice, as numpy computes it. Exact mode returns `d · q`'s NaN when both
/// terms are NaN (the first operand's, as x86 and ARM propagate it: LLVM may swap the operands
/// of `+`, which would return `m`'s payload instead).
@inline(__always) private func scaledPlusMin(_ d: Float, _ q: Float8, _ m: Float, _ exact: Bool) -> Float8 {
    let dq = d * q
    var sum = dq + m
    if exact { sum.replace(with: dq, where: dq .!= dq) }
    return sum
}

/// Lane i holds `first + i`.
@inline(__always) private func laneIndices(_ first: UInt32) -> SIMD8<UInt32> {
    SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7) &+ first
}

/// Bits `first …< first + 8` of `qh` as 0 or 16 (the fifth bit of Q5_0/Q5_1 elements).
@inline(__always) private func fifthBits(_ qh: UInt32, _ first: UInt32) -> SIMD8<Int32> {
    unsafeBitCast(((SIMD8<UInt32>(repeating: qh) &>> laneIndices(first)) & 1) &<< 4, to: SIMD8<Int32>.self)
}

// MARK: - Plain numbers (32-element pseudo-blocks)

struct F32Codec: BlockCodec {
    static var blockBytes: Int { 128 }
    static var chunks: Int { 1 }
    static var isPlain: Bool { true }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> NoHeader { NoHeader() }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: NoHeader, exact: Bool) -> Chunk {
        Chunk(a: p.loadUnaligned(as: Float8.self), b: p.loadUnaligned(fromByteOffset: 32, as: Float8.self),
              c: p.loadUnaligned(fromByteOffset: 64, as: Float8.self), d: p.loadUnaligned(fromByteOffset: 96, as: Float8.self))
    }
    @inline(__always) static func element(_ p: UnsafeRawPointer, _ i: Int, exact: Bool) -> Float {
        Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
    }
}

struct F16Codec: BlockCodec {
    static var blockBytes: Int { 64 }
    static var chunks: Int { 1 }
    static var isPlain: Bool { true }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> NoHeader { NoHeader() }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: NoHeader, exact: Bool) -> Chunk {
        @inline(__always) func eight(_ offset: Int) -> Float8 {
            let h = p.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt16>.self)
            return exact ? exactHalf8(h) : fastHalf8(h)
        }
        return Chunk(a: eight(0), b: eight(16), c: eight(32), d: eight(48))
    }
    @inline(__always) static func element(_ p: UnsafeRawPointer, _ i: Int, exact: Bool) -> Float {
        half(p, 2 * i, exact)
    }
}

/// bfloat16 is the top half of a binary32.
struct BF16Codec: BlockCodec {
    static var blockBytes: Int { 64 }
    static var chunks: Int { 1 }
    static var isPlain: Bool { true }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> NoHeader { NoHeader() }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: NoHeader, exact: Bool) -> Chunk {
        @inline(__always) func eight(_ offset: Int) -> Float8 {
            unsafeBitCast(widen(p.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt16>.self)) &<< 16, to: Float8.self)
        }
        return Chunk(a: eight(0), b: eight(16), c: eight(32), d: eight(48))
    }
    @inline(__always) static func element(_ p: UnsafeRawPointer, _ i: Int, exact: Bool) -> Float {
        Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) &<< 16)
    }
}

// MARK: - 32-element blocks

/// Q8_0 (34 bytes): `d @0`, `qs[32] (int8) @2`; value `qs · d`.
struct Q8_0Codec: BlockCodec {
    static var blockBytes: Int { 34 }
    static var chunks: Int { 1 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> BlockScales {
        BlockScales(d: half(p, 0, exact), m: 0)
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: BlockScales, exact: Bool) -> Chunk {
        @inline(__always) func eight(_ offset: Int) -> Float8 {
            float(widen(p.loadUnaligned(fromByteOffset: offset, as: SIMD8<Int8>.self))) * h.d
        }
        return Chunk(a: eight(2), b: eight(10), c: eight(18), d: eight(26))
    }
}

/// Q4_0 (18 bytes): `d @0`, `qs[16] @2`; element j from the low nibble of `qs[j]`, element
/// j + 16 from its high nibble; value `d · (q − 8)`.
struct Q4_0Codec: BlockCodec {
    static var blockBytes: Int { 18 }
    static var chunks: Int { 1 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> BlockScales {
        BlockScales(d: half(p, 0, exact), m: 0)
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: BlockScales, exact: Bool) -> Chunk {
        let q0 = bytes8(p, 2), q1 = bytes8(p, 10)
        return Chunk(a: h.d * float((q0 & 0x0F) &- 8), b: h.d * float((q1 & 0x0F) &- 8),
                     c: h.d * float((q0 &>> 4) &- 8), d: h.d * float((q1 &>> 4) &- 8))
    }
}

/// Q4_1 (20 bytes): `d @0`, `m @2`, `qs[16] @4`; q as Q4_0's; value `d · q + m`.
struct Q4_1Codec: BlockCodec {
    static var blockBytes: Int { 20 }
    static var chunks: Int { 1 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> BlockScales {
        BlockScales(d: half(p, 0, exact), m: half(p, 2, exact))
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: BlockScales, exact: Bool) -> Chunk {
        let q0 = bytes8(p, 4), q1 = bytes8(p, 12)
        return Chunk(a: scaledPlusMin(h.d, float(q0 & 0x0F), h.m, exact), b: scaledPlusMin(h.d, float(q1 & 0x0F), h.m, exact),
                     c: scaledPlusMin(h.d, float(q0 &>> 4), h.m, exact), d: scaledPlusMin(h.d, float(q1 &>> 4), h.m, exact))
    }
}

/// Q5_0 (22 bytes): `d @0`, `qh (u32) @2`, `qs[16] @6`; q is Q4_0's nibble plus bit e of `qh`
/// as its fifth bit; value `d · (q − 16)`.
struct Q5_0Codec: BlockCodec {
    static var blockBytes: Int { 22 }
    static var chunks: Int { 1 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> BlockScales {
        BlockScales(d: half(p, 0, exact), m: 0)
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: BlockScales, exact: Bool) -> Chunk {
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let q0 = bytes8(p, 6), q1 = bytes8(p, 14), d = h.d
        return Chunk(a: d * float(((q0 & 0x0F) | fifthBits(qh, 0)) &- 16), b: d * float(((q1 & 0x0F) | fifthBits(qh, 8)) &- 16),
                     c: d * float(((q0 &>> 4) | fifthBits(qh, 16)) &- 16), d: d * float(((q1 &>> 4) | fifthBits(qh, 24)) &- 16))
    }
}

/// Q5_1 (24 bytes): `d @0`, `m @2`, `qh (u32) @4`, `qs[16] @8`; q as Q5_0's; value `d · q + m`.
struct Q5_1Codec: BlockCodec {
    static var blockBytes: Int { 24 }
    static var chunks: Int { 1 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> BlockScales {
        BlockScales(d: half(p, 0, exact), m: half(p, 2, exact))
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: BlockScales, exact: Bool) -> Chunk {
        let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let q0 = bytes8(p, 8), q1 = bytes8(p, 16)
        return Chunk(a: scaledPlusMin(h.d, float((q0 & 0x0F) | fifthBits(qh, 0)), h.m, exact),
                     b: scaledPlusMin(h.d, float((q1 & 0x0F) | fifthBits(qh, 8)), h.m, exact),
                     c: scaledPlusMin(h.d, float((q0 &>> 4) | fifthBits(qh, 16)), h.m, exact),
                     d: scaledPlusMin(h.d, float((q1 &>> 4) | fifthBits(qh, 24)), h.m, exact))
    }
}

// MARK: - 256-element K-quant super-blocks (eight chunks each)

/// Sixteen per-sub-block factors of a K-quant with 16-element sub-blocks (Q2_K, Q3_K, Q6_K):
/// `scale[s]` multiplies q, `offset[s]` is subtracted (0 when the format has no min).
struct SixteenScales {
    var scale: SIMD16<Float>, offset: SIMD16<Float>
}

/// Eight per-sub-block factors of Q4_K and Q5_K (32-element sub-blocks): `d · sc` and `dmin · m`.
struct EightScales {
    var scale: Float8, offset: Float8
}

/// Sixteen bytes widened to sixteen `Int32` lanes.
@inline(__always) private func widen16(_ v: SIMD16<UInt8>) -> SIMD16<Int32> {
    SIMD16<Int32>(lowHalf: widen(v.lowHalf), highHalf: widen(v.highHalf))
}

@inline(__always) private func float16(_ v: SIMD16<Int32>) -> SIMD16<Float> {
    SIMD16<Float>(lowHalf: float(v.lowHalf), highHalf: float(v.highHalf))
}

/// Q2_K (84 bytes): `scales[16] @0`, `qs[64] @16`, `d @80`, `dmin @82`. Element
/// e = 128n + 32j + l is bits 2j…2j+1 of `qs[32n + l]`; its 16-element sub-block s = e / 16 has
/// scale `lo(scales[s])` and min `hi(scales[s])`; value `(d · sc) · q − (dmin · min)`.
struct Q2_KCodec: BlockCodec {
    static var blockBytes: Int { 84 }
    static var chunks: Int { 8 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> SixteenScales {
        let d = half(p, 80, exact), dmin = half(p, 82, exact)
        let sc = p.loadUnaligned(as: SIMD16<UInt8>.self)
        return SixteenScales(scale: d * float16(widen16(sc & 0x0F)), offset: dmin * float16(widen16(sc &>> 4)))
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: SixteenScales, exact: Bool) -> Chunk {
        let n = c >> 2, j = c & 3, s = 2 * c
        let dl0 = h.scale[s], ml0 = h.offset[s], dl1 = h.scale[s + 1], ml1 = h.offset[s + 1]
        @inline(__always) func q(_ l: Int) -> Float8 { float((bytes8(p, 16 + 32 * n + l) &>> Int32(2 * j)) & 3) }
        return Chunk(a: dl0 * q(0) - ml0, b: dl0 * q(8) - ml0, c: dl1 * q(16) - ml1, d: dl1 * q(24) - ml1)
    }
}

/// Q3_K (110 bytes): `hmask[32] @0`, `qs[64] @32`, `scales[12] @96`, `d @108`. The 2 low bits
/// are addressed as in Q2_K; the high bit of element e is bit e / 32 of `hmask[e % 32]`, and a
/// clear bit subtracts 4. Sub-block s has the 6-bit scale `low4 | high2 << 4` (low4 from nibble
/// s / 8 of `scales[s % 8]`, high2 from bits 2(s / 4) of `scales[8 + s % 4]`), minus 32; value
/// `(d · scale) · q`.
struct Q3_KCodec: BlockCodec {
    static var blockBytes: Int { 110 }
    static var chunks: Int { 8 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> SixteenScales {
        let d = half(p, 108, exact)
        // Lane s: low4 from byte s % 8, nibble s / 8; high2 from byte 8 + s % 4, bits 2(s / 4).
        let low = widen16(SIMD16<UInt8>(
            lowHalf: p.loadUnaligned(fromByteOffset: 96, as: SIMD8<UInt8>.self),
            highHalf: p.loadUnaligned(fromByteOffset: 96, as: SIMD8<UInt8>.self)))
        let lowShift = SIMD16<Int32>(0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4)
        let high4 = widen(p.loadUnaligned(fromByteOffset: 104, as: SIMD4<UInt8>.self))
        let high = SIMD16<Int32>(lowHalf: SIMD8(lowHalf: high4, highHalf: high4), highHalf: SIMD8(lowHalf: high4, highHalf: high4))
        let highShift = SIMD16<Int32>(0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6)
        let scale = (((low &>> lowShift) & 0x0F) | (((high &>> highShift) & 0x03) &<< 4)) &- 32
        return SixteenScales(scale: d * float16(scale), offset: SIMD16<Float>())
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: SixteenScales, exact: Bool) -> Chunk {
        let n = c >> 2, j = c & 3
        let dl0 = h.scale[2 * c], dl1 = h.scale[2 * c + 1]
        @inline(__always) func q(_ l: Int) -> Float8 {
            let q2 = (bytes8(p, 32 + 32 * n + l) &>> Int32(2 * j)) & 3
            let hbit = (bytes8(p, l) &>> Int32(4 * n + j)) & 1
            return float(q2 &- ((hbit ^ 1) &<< 2))
        }
        return Chunk(a: dl0 * q(0), b: dl0 * q(8), c: dl1 * q(16), d: dl1 * q(24))
    }
}

/// The eight 6-bit scales and mins packed in the 12 bytes at `S` (Q4_K, Q5_K), times `d` and
/// `dmin`. Sub-block s < 4: scale `S[s] & 63`, min `S[s + 4] & 63`; s ≥ 4: scale
/// `lo(S[s + 4]) | (S[s − 4] >> 6) << 4`, min `hi(S[s + 4]) | (S[s] >> 6) << 4`.
@inline(__always) private func eightScales(_ S: UnsafeRawPointer, d: Float, dmin: Float) -> EightScales {
    let a = widen(S.loadUnaligned(as: SIMD4<UInt8>.self))                        // S[0..<4]
    let b = widen(S.loadUnaligned(fromByteOffset: 4, as: SIMD4<UInt8>.self))     // S[4..<8]
    let c = widen(S.loadUnaligned(fromByteOffset: 8, as: SIMD4<UInt8>.self))     // S[8..<12]
    let scale = SIMD8<Int32>(lowHalf: a & 63, highHalf: (c & 0x0F) | ((a &>> 6) &<< 4))
    let min = SIMD8<Int32>(lowHalf: b & 63, highHalf: (c &>> 4) | ((b &>> 6) &<< 4))
    return EightScales(scale: d * float(scale), offset: dmin * float(min))
}

/// Q4_K (144 bytes): `d @0`, `dmin @2`, `scales[12] @4`, `qs[128] @16`. Each 32-byte piece i of
/// `qs` gives 64 elements: sub-block 2i from the low nibbles, 2i + 1 from the high ones; value
/// `(d · sc) · q − (dmin · m)`.
struct Q4_KCodec: BlockCodec {
    static var blockBytes: Int { 144 }
    static var chunks: Int { 8 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> EightScales {
        eightScales(p + 4, d: half(p, 0, exact), dmin: half(p, 2, exact))
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: EightScales, exact: Bool) -> Chunk {
        let ds = h.scale[c], dm = h.offset[c]
        let base = 16 + 32 * (c >> 1), shift = Int32(4 * (c & 1))
        @inline(__always) func q(_ l: Int) -> Float8 { float((bytes8(p, base + l) &>> shift) & 0x0F) }
        return Chunk(a: ds * q(0) - dm, b: ds * q(8) - dm, c: ds * q(16) - dm, d: ds * q(24) - dm)
    }
}

/// Q5_K (176 bytes): `d @0`, `dmin @2`, `scales[12] @4`, `qh[32] @16`, `qs[128] @48`. As Q4_K,
/// plus bit s of `qh[e % 32]` as the fifth bit of element e in sub-block s.
struct Q5_KCodec: BlockCodec {
    static var blockBytes: Int { 176 }
    static var chunks: Int { 8 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> EightScales {
        eightScales(p + 4, d: half(p, 0, exact), dmin: half(p, 2, exact))
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: EightScales, exact: Bool) -> Chunk {
        let ds = h.scale[c], dm = h.offset[c]
        let base = 48 + 32 * (c >> 1), shift = Int32(4 * (c & 1))
        @inline(__always) func q(_ l: Int) -> Float8 {
            float(((bytes8(p, base + l) &>> shift) & 0x0F) | (((bytes8(p, 16 + l) &>> Int32(c)) & 1) &<< 4))
        }
        return Chunk(a: ds * q(0) - dm, b: ds * q(8) - dm, c: ds * q(16) - dm, d: ds * q(24) - dm)
    }
}

/// Q6_K (210 bytes): `ql[128] @0`, `qh[64] @128`, `scales[16] (int8) @192`, `d @208`. Element
/// e = 128n + 32k + l: low 4 bits from `ql[64n + 32(k % 2) + l]` (low nibble for k < 2, high for
/// k ≥ 2), high 2 bits from bits 2k of `qh[32n + l]`; value `(d · scales[e / 16]) · (q − 32)`.
struct Q6_KCodec: BlockCodec {
    static var blockBytes: Int { 210 }
    static var chunks: Int { 8 }
    @inline(__always) static func header(_ p: UnsafeRawPointer, exact: Bool) -> SixteenScales {
        let d = half(p, 208, exact)
        let scales = SIMD16<Int32>(lowHalf: widen(p.loadUnaligned(fromByteOffset: 192, as: SIMD8<Int8>.self)),
                                   highHalf: widen(p.loadUnaligned(fromByteOffset: 200, as: SIMD8<Int8>.self)))
        return SixteenScales(scale: d * float16(scales), offset: SIMD16<Float>())
    }
    @inline(__always) static func chunk(_ p: UnsafeRawPointer, _ c: Int, _ h: SixteenScales, exact: Bool) -> Chunk {
        let n = c >> 2, k = c & 3
        let ds0 = h.scale[2 * c], ds1 = h.scale[2 * c + 1]
        let lowBase = 64 * n + 32 * (k & 1), lowShift = Int32(4 * (k >> 1))
        @inline(__always) func q(_ l: Int) -> Float8 {
            let low = (bytes8(p, lowBase + l) &>> lowShift) & 0x0F
            let high = (bytes8(p, 128 + 32 * n + l) &>> Int32(2 * k)) & 0x03
            return float((low | high &<< 4) &- 32)
        }
        return Chunk(a: ds0 * q(0), b: ds0 * q(8), c: ds1 * q(16), d: ds1 * q(24))
    }
}

// MARK: - Dequantisation

/// Elements `p0 ..< p0 + count` of the row at `row` to `out`. `p0` is a multiple of the block
/// size (every k-block start is: 256 is a multiple of each), and so is `p0 + count` unless the
/// format is plain and the range ends the row.
@inline(__always)
private func decodeRange<D: BlockCodec>(_: D.Type, _ row: UnsafeRawPointer, from p0: Int, count: Int,
                                        into out: UnsafeMutablePointer<Float>, exact: Bool) {
    let end = p0 + count
    var b = p0 / D.blockElements
    let blocks = end / D.blockElements
    var o = out
    while b < blocks {
        let p = row + b * D.blockBytes
        let h = D.header(p, exact: exact)
        for c in 0..<D.chunks {
            let v = D.chunk(p, c, h, exact: exact)
            store8(v.a, o); store8(v.b, o + 8); store8(v.c, o + 16); store8(v.d, o + 24)
            o += 32
        }
        b += 1
    }
    if D.isPlain {
        for i in (blocks * D.blockElements)..<end {
            o.pointee = D.element(row, i, exact: exact)
            o += 1
        }
    }
}

/// `BlockFormat.dequantize`: `count` elements (whole blocks) at `source`, bit-exact.
func dequantizeBlocks(_ format: BlockFormat, _ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
    func run<D: BlockCodec>(_ d: D.Type) { decodeRange(d, source, from: 0, count: count, into: destination, exact: true) }
    switch format {
    case .F32:
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: 4 * count)
    case .F16: run(F16Codec.self)
    case .BF16: run(BF16Codec.self)
    case .Q8_0: run(Q8_0Codec.self)
    case .Q4_0: run(Q4_0Codec.self)
    case .Q4_1: run(Q4_1Codec.self)
    case .Q5_0: run(Q5_0Codec.self)
    case .Q5_1: run(Q5_1Codec.self)
    case .Q2_K: run(Q2_KCodec.self)
    case .Q3_K: run(Q3_KCodec.self)
    case .Q4_K: run(Q4_KCodec.self)
    case .Q5_K: run(Q5_KCodec.self)
    case .Q6_K: run(Q6_KCodec.self)
    }
}

// MARK: - Few-row products (decode)

/// Where a few-row product reads and writes: `y[i, j] = alpha · x[i, :] · W[j, :] + beta · y[i, j]`
/// for the x rows `0 ..< m` and the W rows handed to one call.
struct QuantizedOperands: @unchecked Sendable {
    let w: UnsafeRawPointer, rowBytes: Int, n: Int, k: Int
    let x: UnsafePointer<Float>, lda: Int, m: Int
    let alpha: Float, beta: Float
    let y: UnsafeMutablePointer<Float>, ldc: Int

    /// W's row j, or its last row for j ≥ n (tiles past the end compute on a real row and
    /// drop the result).
    @inline(__always) func row(_ j: Int) -> UnsafeRawPointer { w + min(j, n - 1) * rowBytes }
    /// x's row i, or row 0 for i ≥ m.
    @inline(__always) func xRow(_ i: Int) -> UnsafePointer<Float> { x + (i < m ? i * lda : 0) }

    /// Writes `alpha · (Σ acc + tail) + beta · y` at (i, j) if it is inside y.
    @inline(__always) func finish(_ acc: Float8, tail: Float, _ i: Int, _ j: Int) {
        guard i < m, j < n else { return }
        let value = alpha * (horizontalSum(acc) + tail)
        let out = y + i * ldc + j
        out.pointee = beta == 0 ? value : value + beta * out.pointee
    }

    /// The scalar part of a plain format's row past its last whole 32-element chunk.
    @inline(__always) func tail<D: BlockCodec>(_: D.Type, _ j: Int, _ i: Int) -> Float {
        guard D.isPlain else { return 0 }
        let row = row(j), x = xRow(i)
        var s: Float = 0
        for p in (k / 32 * 32)..<k { s = s.addingProduct(D.element(row, p, exact: false), x[p]) }
        return s
    }
}

/// `a += Σ chunk · x` over the chunk's 32 elements as four FMAs on one chain: four W rows in
/// flight (`product1`) hide the 4 × 4-cycle latency.
@inline(__always) private func accumulate(_ a: inout Float8, _ v: Chunk, _ x: UnsafePointer<Float>) {
    a = a.addingProduct(v.a, load8(x)).addingProduct(v.b, load8(x + 8))
        .addingProduct(v.c, load8(x + 16)).addingProduct(v.d, load8(x + 24))
}

/// W rows `rows` against every x row, `m` ≤ 8. One x row: four W rows at a time share each x
/// load; 2 rows: four W rows × 2; 3–4 rows: two W rows × 4; 5–8 rows: one W row × 8, each
/// decoded chunk reused by every x row. Eight accumulators at most, so that with the four
/// decoded vectors they (nearly) fit the 16 AVX registers. Each shape is a function of its own:
/// the SIL inliner stops inlining into a caller past a size limit, and one function for all four
/// shapes passed it.
///
/// Measured on one Zen 3 core (576 × 1536 weights): one x row at 12.5 G weights/s in Q4_1, 17.5
/// in Q8_0, 8.6 in Q4_K, 5–6 in Q5_K/Q6_K; four x rows at ~26 G weight·rows/s in Q4_1. Two
/// threads give 1.9–2×.
private func smallProduct<D: BlockCodec>(_: D.Type, _ o: QuantizedOperands, rows: Range<Int>) {
    switch o.m {
    case 1: product1(D.self, o, rows: rows)
    case 2: product2(D.self, o, rows: rows)
    case 3, 4: product4(D.self, o, rows: rows)
    default:
        precondition(o.m <= 8, "smallProduct: at most 8 rows of x")
        product8(D.self, o, rows: rows)
    }
}

/// One x row, four W rows at a time: rows i, i + q, i + 2q, i + 3q of the range (q a quarter of
/// it), so that the weights stream from memory as four long sequential runs. (Four adjacent rows
/// read side by side are one run read in a 4-row zigzag, which the hardware prefetcher follows
/// poorly: Q8_0's 1×576 → 49152 product streamed its 30 MB at 5 GB/s instead of 17.)
private func product1<D: BlockCodec>(_: D.Type, _ o: QuantizedOperands, rows: Range<Int>) {
    let blocks = o.k / D.blockElements
    let quarter = (rows.count + 3) / 4
    let last = rows.upperBound - 1
    for i in 0..<quarter {
        let j0 = rows.lowerBound + i, j1 = j0 + quarter, j2 = j1 + quarter, j3 = j2 + quarter
        let w0 = o.row(j0), w1 = o.row(min(j1, last)), w2 = o.row(min(j2, last)), w3 = o.row(min(j3, last))
        var a0 = Float8(), a1 = Float8(), a2 = Float8(), a3 = Float8()
        var x = o.x, offset = 0
        for _ in 0..<blocks {
            let h0 = D.header(w0 + offset, exact: false), h1 = D.header(w1 + offset, exact: false)
            let h2 = D.header(w2 + offset, exact: false), h3 = D.header(w3 + offset, exact: false)
            for c in 0..<D.chunks {
                let xc = x + 32 * c
                accumulate(&a0, D.chunk(w0 + offset, c, h0, exact: false), xc)
                accumulate(&a1, D.chunk(w1 + offset, c, h1, exact: false), xc)
                accumulate(&a2, D.chunk(w2 + offset, c, h2, exact: false), xc)
                accumulate(&a3, D.chunk(w3 + offset, c, h3, exact: false), xc)
            }
            x += D.blockElements
            offset += D.blockBytes
        }
        o.finish(a0, tail: o.tail(D.self, j0, 0), 0, j0)
        if j1 <= last { o.finish(a1, tail: o.tail(D.self, j1, 0), 0, j1) }
        if j2 <= last { o.finish(a2, tail: o.tail(D.self, j2, 0), 0, j2) }
        if j3 <= last { o.finish(a3, tail: o.tail(D.self, j3, 0), 0, j3) }
    }
}

/// Two x rows, four W rows at a time.
private func product2<D: BlockCodec>(_: D.Type, _ o: QuantizedOperands, rows: Range<Int>) {
    let blocks = o.k / D.blockElements
    let x0 = o.xRow(0), x1 = o.xRow(1)
    var j = rows.lowerBound
    while j < rows.upperBound {
        let w0 = o.row(j), w1 = o.row(j + 1), w2 = o.row(j + 2), w3 = o.row(j + 3)
        var a00 = Float8(), a10 = Float8(), a20 = Float8(), a30 = Float8()
        var a01 = Float8(), a11 = Float8(), a21 = Float8(), a31 = Float8()
        var e = 0, offset = 0
        for _ in 0..<blocks {
            let h0 = D.header(w0 + offset, exact: false), h1 = D.header(w1 + offset, exact: false)
            let h2 = D.header(w2 + offset, exact: false), h3 = D.header(w3 + offset, exact: false)
            for c in 0..<D.chunks {
                let p = e + 32 * c
                var v = D.chunk(w0 + offset, c, h0, exact: false)
                accumulate(&a00, v, x0 + p); accumulate(&a01, v, x1 + p)
                v = D.chunk(w1 + offset, c, h1, exact: false)
                accumulate(&a10, v, x0 + p); accumulate(&a11, v, x1 + p)
                v = D.chunk(w2 + offset, c, h2, exact: false)
                accumulate(&a20, v, x0 + p); accumulate(&a21, v, x1 + p)
                v = D.chunk(w3 + offset, c, h3, exact: false)
                accumulate(&a30, v, x0 + p); accumulate(&a31, v, x1 + p)
            }
            e += D.blockElements
            offset += D.blockBytes
        }
        o.finish(a00, tail: o.tail(D.self, j, 0), 0, j); o.finish(a01, tail: o.tail(D.self, j, 1), 1, j)
        o.finish(a10, tail: o.tail(D.self, j + 1, 0), 0, j + 1); o.finish(a11, tail: o.tail(D.self, j + 1, 1), 1, j + 1)
        o.finish(a20, tail: o.tail(D.self, j + 2, 0), 0, j + 2); o.finish(a21, tail: o.tail(D.self, j + 2, 1), 1, j + 2)
        o.finish(a30, tail: o.tail(D.self, j + 3, 0), 0, j + 3); o.finish(a31, tail: o.tail(D.self, j + 3, 1), 1, j + 3)
        j += 4
    }
}

/// Three or four x rows (a missing fourth aliases the first), two W rows at a time.
private func product4<D: BlockCodec>(_: D.Type, _ o: QuantizedOperands, rows: Range<Int>) {
    let blocks = o.k / D.blockElements
    let x0 = o.xRow(0), x1 = o.xRow(1), x2 = o.xRow(2), x3 = o.xRow(3)
    var j = rows.lowerBound
    while j < rows.upperBound {
        let w0 = o.row(j), w1 = o.row(j + 1)
        var a00 = Float8(), a01 = Float8(), a02 = Float8(), a03 = Float8()
        var a10 = Float8(), a11 = Float8(), a12 = Float8(), a13 = Float8()
        var e = 0, offset = 0
        for _ in 0..<blocks {
            let h0 = D.header(w0 + offset, exact: false), h1 = D.header(w1 + offset, exact: false)
            for c in 0..<D.chunks {
                let p = e + 32 * c
                var v = D.chunk(w0 + offset, c, h0, exact: false)
                accumulate(&a00, v, x0 + p); accumulate(&a01, v, x1 + p)
                accumulate(&a02, v, x2 + p); accumulate(&a03, v, x3 + p)
                v = D.chunk(w1 + offset, c, h1, exact: false)
                accumulate(&a10, v, x0 + p); accumulate(&a11, v, x1 + p)
                accumulate(&a12, v, x2 + p); accumulate(&a13, v, x3 + p)
            }
            e += D.blockElements
            offset += D.blockBytes
        }
        o.finish(a00, tail: o.tail(D.self, j, 0), 0, j); o.finish(a10, tail: o.tail(D.self, j + 1, 0), 0, j + 1)
        o.finish(a01, tail: o.tail(D.self, j, 1), 1, j); o.finish(a11, tail: o.tail(D.self, j + 1, 1), 1, j + 1)
        o.finish(a02, tail: o.tail(D.self, j, 2), 2, j); o.finish(a12, tail: o.tail(D.self, j + 1, 2), 2, j + 1)
        o.finish(a03, tail: o.tail(D.self, j, 3), 3, j); o.finish(a13, tail: o.tail(D.self, j + 1, 3), 3, j + 1)
        j += 2
    }
}

/// Five to eight x rows (missing ones alias the first), one W row at a time.
private func product8<D: BlockCodec>(_: D.Type, _ o: QuantizedOperands, rows: Range<Int>) {
    let blocks = o.k / D.blockElements
    let x0 = o.xRow(0), x1 = o.xRow(1), x2 = o.xRow(2), x3 = o.xRow(3)
    let x4 = o.xRow(4), x5 = o.xRow(5), x6 = o.xRow(6), x7 = o.xRow(7)
    for j in rows {
        let w0 = o.row(j)
        var a0 = Float8(), a1 = Float8(), a2 = Float8(), a3 = Float8()
        var a4 = Float8(), a5 = Float8(), a6 = Float8(), a7 = Float8()
        var e = 0, offset = 0
        for _ in 0..<blocks {
            let h0 = D.header(w0 + offset, exact: false)
            for c in 0..<D.chunks {
                let p = e + 32 * c
                let v = D.chunk(w0 + offset, c, h0, exact: false)
                accumulate(&a0, v, x0 + p); accumulate(&a1, v, x1 + p)
                accumulate(&a2, v, x2 + p); accumulate(&a3, v, x3 + p)
                accumulate(&a4, v, x4 + p); accumulate(&a5, v, x5 + p)
                accumulate(&a6, v, x6 + p); accumulate(&a7, v, x7 + p)
            }
            e += D.blockElements
            offset += D.blockBytes
        }
        o.finish(a0, tail: o.tail(D.self, j, 0), 0, j); o.finish(a1, tail: o.tail(D.self, j, 1), 1, j)
        o.finish(a2, tail: o.tail(D.self, j, 2), 2, j); o.finish(a3, tail: o.tail(D.self, j, 3), 3, j)
        o.finish(a4, tail: o.tail(D.self, j, 4), 4, j); o.finish(a5, tail: o.tail(D.self, j, 5), 5, j)
        o.finish(a6, tail: o.tail(D.self, j, 6), 6, j); o.finish(a7, tail: o.tail(D.self, j, 7), 7, j)
    }
}

/// The few-row product over W rows `rows` (see `smallProduct`), dispatched on the format.
func quantizedSmallProduct(_ format: BlockFormat, _ o: QuantizedOperands, rows: Range<Int>) {
    switch format {
    case .F32: smallProduct(F32Codec.self, o, rows: rows)
    case .F16: smallProduct(F16Codec.self, o, rows: rows)
    case .BF16: smallProduct(BF16Codec.self, o, rows: rows)
    case .Q8_0: smallProduct(Q8_0Codec.self, o, rows: rows)
    case .Q4_0: smallProduct(Q4_0Codec.self, o, rows: rows)
    case .Q4_1: smallProduct(Q4_1Codec.self, o, rows: rows)
    case .Q5_0: smallProduct(Q5_0Codec.self, o, rows: rows)
    case .Q5_1: smallProduct(Q5_1Codec.self, o, rows: rows)
    case .Q2_K: smallProduct(Q2_KCodec.self, o, rows: rows)
    case .Q3_K: smallProduct(Q3_KCodec.self, o, rows: rows)
    case .Q4_K: smallProduct(Q4_KCodec.self, o, rows: rows)
    case .Q5_K: smallProduct(Q5_KCodec.self, o, rows: rows)
    case .Q6_K: smallProduct(Q6_KCodec.self, o, rows: rows)
    }
}

// MARK: - Panels for the packed GEMM (prefill)

/// Fills the B panels of the packed GEMM (see `packB`) for op(B) = Wᵀ: for the k range
/// `p0 ..< p0 + kc` and the W rows `j0 ..< j0 + nc`, panel c holds, for each p, the 16 values
/// W[j0 + 16c ..< j0 + 16c + 16, p] (missing rows zero). Sixteen W rows are decoded into an
/// L1-resident [16, kc] scratch, then turned into the panel by 8×8 register transposes.
private func fillPanels<D: BlockCodec>(_: D.Type, w: UnsafeRawPointer, rowBytes: Int, dst: UnsafeMutablePointer<Float>,
                                       p0: Int, kc: Int, j0: Int, nc: Int) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * kc) { buffer in
        let s = buffer.baseAddress!
        var panel = 0
        while panel < nc {
            let rowsHere = min(16, nc - panel)
            for r in 0..<rowsHere {
                decodeRange(D.self, w + (j0 + panel + r) * rowBytes, from: p0, count: kc, into: s + r * kc, exact: false)
            }
            let out = dst + panel * kc
            if rowsHere == 16 {
                let k8 = kc / 8 * 8
                var p = 0
                while p < k8 {
                    transpose8(s + p, kc, out + p * 16)
                    transpose8(s + 8 * kc + p, kc, out + p * 16 + 8)
                    p += 8
                }
                while p < kc {
                    for r in 0..<16 { out[p * 16 + r] = s[r * kc + p] }
                    p += 1
                }
            } else {
                for p in 0..<kc {
                    for r in 0..<16 { out[p * 16 + r] = r < rowsHere ? s[r * kc + p] : 0 }
                }
            }
            panel += 16
        }
    }
}

/// Reads 8 rows of 8 floats (`source`, row stride `ld`) and writes their transpose as 8 rows of
/// 8 floats at `target`, 16 floats apart (one half of 8 consecutive panel rows): four 4×4
/// transposes of 128-bit halves (unpack, then move low/high pairs — lane selections LLVM
/// matches to vunpcklps/vunpckhps/vmovlhps/vmovhlps), joined by `SIMD8(lowHalf:highHalf:)`.
@inline(__always) private func transpose8(_ source: UnsafeMutablePointer<Float>, _ ld: Int, _ target: UnsafeMutablePointer<Float>) {
    typealias F4 = SIMD4<Float>
    @inline(__always) func transpose4(_ a: F4, _ b: F4, _ c: F4, _ d: F4) -> (F4, F4, F4, F4) {
        let t0 = F4(a[0], b[0], a[1], b[1]), t1 = F4(a[2], b[2], a[3], b[3])
        let t2 = F4(c[0], d[0], c[1], d[1]), t3 = F4(c[2], d[2], c[3], d[3])
        return (F4(t0[0], t0[1], t2[0], t2[1]), F4(t0[2], t0[3], t2[2], t2[3]),
                F4(t1[0], t1[1], t3[0], t3[1]), F4(t1[2], t1[3], t3[2], t3[3]))
    }
    let r0 = load8(source), r1 = load8(source + ld), r2 = load8(source + 2 * ld), r3 = load8(source + 3 * ld)
    let r4 = load8(source + 4 * ld), r5 = load8(source + 5 * ld), r6 = load8(source + 6 * ld), r7 = load8(source + 7 * ld)
    let a = transpose4(r0.lowHalf, r1.lowHalf, r2.lowHalf, r3.lowHalf)
    let b = transpose4(r4.lowHalf, r5.lowHalf, r6.lowHalf, r7.lowHalf)
    let c = transpose4(r0.highHalf, r1.highHalf, r2.highHalf, r3.highHalf)
    let d = transpose4(r4.highHalf, r5.highHalf, r6.highHalf, r7.highHalf)
    store8(Float8(lowHalf: a.0, highHalf: b.0), target); store8(Float8(lowHalf: a.1, highHalf: b.1), target + 16)
    store8(Float8(lowHalf: a.2, highHalf: b.2), target + 32); store8(Float8(lowHalf: a.3, highHalf: b.3), target + 48)
    store8(Float8(lowHalf: c.0, highHalf: d.0), target + 64); store8(Float8(lowHalf: c.1, highHalf: d.1), target + 80)
    store8(Float8(lowHalf: c.2, highHalf: d.2), target + 96); store8(Float8(lowHalf: c.3, highHalf: d.3), target + 112)
}

/// `fillPanels` dispatched on the format.
func quantizedFillPanels(_ format: BlockFormat, w: UnsafeRawPointer, rowBytes: Int, dst: UnsafeMutablePointer<Float>,
                         p0: Int, kc: Int, j0: Int, nc: Int) {
    switch format {
    case .F32: fillPanels(F32Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .F16: fillPanels(F16Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .BF16: fillPanels(BF16Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q8_0: fillPanels(Q8_0Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q4_0: fillPanels(Q4_0Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q4_1: fillPanels(Q4_1Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q5_0: fillPanels(Q5_0Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q5_1: fillPanels(Q5_1Codec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q2_K: fillPanels(Q2_KCodec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q3_K: fillPanels(Q3_KCodec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q4_K: fillPanels(Q4_KCodec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q5_K: fillPanels(Q5_KCodec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    case .Q6_K: fillPanels(Q6_KCodec.self, w: w, rowBytes: rowBytes, dst: dst, p0: p0, kc: kc, j0: j0, nc: nc)
    }
}
