/// One tensor of a GGUF file, as validated when the file was opened: its type is known, its
/// innermost dimension is a whole number of blocks, its byte count is computed without overflow,
/// its offset is aligned, and its bytes lie inside the data section without overlapping another
/// tensor's.
///
/// GGUF stores dimensions in ggml order, innermost (contiguous) first: a PyTorch `[out, in]`
/// weight is stored as `dimensions == [in, out]`. ``shape`` is the reverse, the row-major shape
/// numpy (gguf-py) and Hugging Face use, and the shape ``GGUFFile/tensor(named:)`` returns.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml's `ne`, innermost first, as stored (at most 4; empty for a scalar).
    public let dimensions: [Int]
    /// Row-major shape: `dimensions` reversed.
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the first byte relative to the data section (a multiple of the file's alignment).
    public let offset: Int
    /// Offset of the first byte from the start of the file.
    public let fileOffset: Int
    /// Bytes of data: `elementCount / type.blockSize * type.typeSize`.
    public let byteCount: Int
    /// Product of the dimensions (1 for a scalar).
    public let elementCount: Int

    /// Bytes of one row (`dimensions[0]` elements; a row is a whole number of blocks).
    public var rowByteCount: Int { (dimensions.first ?? 1) / type.blockSize * type.typeSize }

    /// Byte range relative to the data section.
    public var byteRange: Range<Int> { offset..<(offset + byteCount) }

    init(name: String, dimensions: [Int], type: GGMLType, offset: Int, fileOffset: Int, byteCount: Int, elementCount: Int) {
        self.name = name
        self.dimensions = dimensions
        shape = dimensions.reversed()
        self.type = type
        self.offset = offset
        self.fileOffset = fileOffset
        self.byteCount = byteCount
        self.elementCount = elementCount
    }
}
