import Foundation

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
        guard let src = source.baseAddress, let dst = destination.baseAddress, destination.count > 0 else { return }
        let count = destination.count, blocks = count / blockSize
        switch self {
        case .F32: GGMLKernels.f32(src, count, dst)
        case .F16: GGMLKernels.f16(src, count, dst)
        case .BF16: GGMLKernels.bf16(src, count, dst)
        case .Q8_0: GGMLKernels.q8_0(src, blocks, dst)
        case .Q4_0: GGMLKernels.q4_0(src, blocks, dst)
        case .Q4_1: GGMLKernels.q4_1(src, blocks, dst)
        case .Q5_0: GGMLKernels.q5_0(src, blocks, dst)
        case .Q5_1: GGMLKernels.q5_1(src, blocks, dst)
        case .Q2_K: GGMLKernels.q2_K(src, blocks, dst)
        case .Q3_K: GGMLKernels.q3_K(src, blocks, dst)
        case .Q4_K: GGMLKernels.q4_K(src, blocks, dst)
        case .Q5_K: GGMLKernels.q5_K(src, blocks, dst)
        case .Q6_K: GGMLKernels.q6_K(src, blocks, dst)
        default: throw GGUFError.unsupportedType(type: self, tensor: nil, path: nil)
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
