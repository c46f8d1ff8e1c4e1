import Foundation
import LensKernels

extension GGMLType {
    /// Converts raw data of this type — whole blocks, as stored in a GGUF file — to Float32:
    /// `destination.count` elements from exactly `byteCount(elements: destination.count)` bytes
    /// of `source`. Any bit pattern is valid input (a NaN or infinite scale gives NaN or infinite
    /// values, as in ggml).
    ///
    /// Bit-exact with gguf-py's `gguf.quants.dequantize` (the reference the fixtures in
    /// `Tests/Fixtures/gguf` were made with): each value is computed with the same float32
    /// operations in the same order — e.g. Q4_K's `(d · sc) · q − (dmin · m)` — with no fused
    /// multiply-add, which would round once instead of twice.
    ///
    /// The decoding is LensKernels' ``BlockFormat/dequantize(_:count:into:)``, the code a
    /// ``QuantizedMatrix`` product decodes its blocks with: one copy of each block layout.
    ///
    /// Rows of a quantised matrix are whole blocks (``GGUFTensorInfo/rowByteCount`` bytes), so
    /// a model that keeps weights quantised can dequantise any rows it needs on their own.
    ///
    /// Throws ``GGUFError/unsupportedType(type:tensor:path:)`` for a type outside
    /// ``dequantizable`` and ``GGUFError/blockSizeMismatch(type:elements:bytes:)`` if the sizes
    /// disagree.
    public func dequantize(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard isDequantizable else { throw GGUFError.unsupportedType(type: self, tensor: nil, path: nil) }
        guard let bytes = byteCount(elements: destination.count), bytes == source.count else {
            throw GGUFError.blockSizeMismatch(type: self, elements: destination.count, bytes: source.count)
        }
        guard let src = source.baseAddress, let dst = destination.baseAddress, destination.count > 0,
              let format = blockFormat else { return }
        format.dequantize(src, count: destination.count, into: dst)
    }

    /// The ``BlockFormat`` of a type in ``dequantizable`` (a ``QuantizedMatrix`` keeps a tensor of
    /// this type in its blocks), nil for the others.
    public var blockFormat: BlockFormat? {
        switch self {
        case .F32: .F32
        case .F16: .F16
        case .BF16: .BF16
        case .Q8_0: .Q8_0
        case .Q4_0: .Q4_0
        case .Q4_1: .Q4_1
        case .Q5_0: .Q5_0
        case .Q5_1: .Q5_1
        case .Q2_K: .Q2_K
        case .Q3_K: .Q3_K
        case .Q4_K: .Q4_K
        case .Q5_K: .Q5_K
        case .Q6_K: .Q6_K
        default: nil
        }
    }

    /// `data` (whole blocks of this type) dequantised to an array of Float32.
    public func dequantize(_ data: Data) throws -> [Float] {
        guard data.count % typeSize == 0 else {
            throw GGUFError.blockSizeMismatch(type: self, elements: data.count / typeSize * blockSize, bytes: data.count)
        }
        let count = data.count / typeSize * blockSize
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try data.withUnsafeBytes { try dequantize($0, into: buffer) }
            initialized = count
        }
    }
}
