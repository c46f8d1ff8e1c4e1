/// How a matrix row is stored in a GGUF file: ggml's block formats, every one a row of k values
/// cut along k into blocks of ``blockSize`` elements of ``bytesPerBlock`` bytes each.
///
/// These are the formats ``QuantizedMatrix`` keeps in memory and multiplies without expanding
/// (and ``dequantize(_:count:into:)`` expands to Float32 bit for bit as gguf-py does). Case names
/// are ggml's, as in LensFormats' `GGMLType`, whose `blockFormat` maps onto this enum. The
/// plain number formats (F32, F16, BF16) have blocks of one element, so any k is valid for them.
///
/// Layouts (offsets in bytes; `d`, `m`, `dmin` are little-endian binary16 unless stated):
///
/// | format | bytes | elements | fields |
/// |---|---|---|---|
/// | Q8_0 | 34 | 32 | d @0, qs[32] (int8) @2 |
/// | Q4_0 | 18 | 32 | d @0, qs[16] @2 (element j: low nibble of qs[j], j + 16: its high nibble) |
/// | Q4_1 | 20 | 32 | d @0, m @2, qs[16] @4 |
/// | Q5_0 | 22 | 32 | d @0, qh (u32) @2, qs[16] @6 |
/// | Q5_1 | 24 | 32 | d @0, m @2, qh (u32) @4, qs[16] @8 |
/// | Q2_K | 84 | 256 | scales[16] @0, qs[64] @16, d @80, dmin @82 |
/// | Q3_K | 110 | 256 | hmask[32] @0, qs[64] @32, scales[12] @96, d @108 |
/// | Q4_K | 144 | 256 | d @0, dmin @2, scales[12] @4, qs[128] @16 |
/// | Q5_K | 176 | 256 | d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48 |
/// | Q6_K | 210 | 256 | ql[128] @0, qh[64] @128, scales[16] (int8) @192, d @208 |
///
/// The element formulas are documented beside each decoder in `QuantizedKernels.swift`.
public enum BlockFormat: Sendable, CaseIterable, CustomStringConvertible {
    case F32, F16, BF16
    case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1
    case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K

    /// Elements per block: 1 for F32/F16/BF16, 32 for Q8_0…Q5_1, 256 for the K-quants.
    public var blockSize: Int {
        switch self {
        case .F32, .F16, .BF16: 1
        case .Q8_0, .Q4_0, .Q4_1, .Q5_0, .Q5_1: 32
        case .Q2_K, .Q3_K, .Q4_K, .Q5_K, .Q6_K: 256
        }
    }

    /// Bytes per block (ggml's `type_size`).
    public var bytesPerBlock: Int {
        switch self {
        case .F32: 4
        case .F16, .BF16: 2
        case .Q8_0: 34
        case .Q4_0: 18
        case .Q4_1: 20
        case .Q5_0: 22
        case .Q5_1: 24
        case .Q2_K: 84
        case .Q3_K: 110
        case .Q4_K: 144
        case .Q5_K: 176
        case .Q6_K: 210
        }
    }

    /// Bytes of one row of `k` elements (`k` a multiple of ``blockSize``).
    public func rowByteCount(_ k: Int) -> Int {
        precondition(k >= 0 && k % blockSize == 0, "\(self): a row of \(k) elements is not whole blocks of \(blockSize)")
        return k / blockSize * bytesPerBlock
    }

    /// ggml's name, e.g. `Q4_K`.
    public var description: String {
        switch self {
        case .F32: "F32"
        case .F16: "F16"
        case .BF16: "BF16"
        case .Q8_0: "Q8_0"
        case .Q4_0: "Q4_0"
        case .Q4_1: "Q4_1"
        case .Q5_0: "Q5_0"
        case .Q5_1: "Q5_1"
        case .Q2_K: "Q2_K"
        case .Q3_K: "Q3_K"
        case .Q4_K: "Q4_K"
        case .Q5_K: "Q5_K"
        case .Q6_K: "Q6_K"
        }
    }

    /// Expands `count` elements — whole blocks, `rowByteCount(count)` bytes at `source`, any
    /// alignment — to Float32 at `destination`.
    ///
    /// Bit-exact with gguf-py's `gguf.quants.dequantize` (and so with ggml's reference
    /// dequantisation): each value is computed with the same float32 operations in the same
    /// order, e.g. Q4_K's `(d · sc) · q − (dmin · m)`, never fused into a multiply-add (which
    /// would round once instead of twice), and binary16 scales are widened exactly, NaN payloads
    /// (signalling ones too) included. Any bit pattern is a valid block: a NaN or infinite scale
    /// gives NaN or infinite values, as in ggml.
    ///
    /// The products of ``QuantizedMatrix`` decode blocks with this same code, so a product's
    /// weights are exactly these values (only the payload of a NaN may differ).
    public func dequantize(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(count >= 0 && count % blockSize == 0, "\(self): \(count) elements are not whole blocks")
        if count == 0 { return }
        dequantizeBlocks(self, source, count: count, into: destination)
    }
}
