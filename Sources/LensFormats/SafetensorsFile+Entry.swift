extension SafetensorsFile {
    /// Where one tensor lives in the data section, as validated when the file was opened: the
    /// dtype is known, `shape`'s element count times the dtype size equals the byte range's
    /// length (computed without overflow), and the range lies inside the file.
    public struct Entry: Sendable, Equatable {
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let byteRange: Range<Int>

        /// Number of elements (the product of `shape`; 1 for a scalar).
        public var elementCount: Int { shape.reduce(1, *) }
    }
}
