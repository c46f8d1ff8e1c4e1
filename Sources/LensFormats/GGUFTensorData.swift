import Foundation

/// The raw bytes of one GGUF tensor (its quantised blocks, or plain numbers), in place in the
/// file's memory mapping: getting them copies nothing, and holding them keeps the mapping alive
/// after the ``GGUFFile`` itself is gone.
///
/// This is how a model keeps weights quantised in memory: hold the tensor's data, and dequantise
/// the rows it needs with ``GGMLType/dequantize(_:into:)``. The bytes are read-only (the mapping
/// is `PROT_READ`); ``data`` makes a copy to own.
///
/// ```swift
/// let blocks = try file.rawBytes(named: "blk.0.attn_q.weight")       // Q4_1, no copy
/// let row = 7, rowBytes = blocks.info.rowByteCount
/// var out = [Float](repeating: 0, count: blocks.info.dimensions[0])
/// try blocks.withUnsafeBytes { all in
///     try out.withUnsafeMutableBufferPointer {
///         try blocks.info.type.dequantize(UnsafeRawBufferPointer(rebasing: all[(row * rowBytes)..<((row + 1) * rowBytes)]), into: $0)
///     }
/// }
/// ```
public struct GGUFTensorData: Sendable {
    /// The tensor these bytes belong to.
    public let info: GGUFTensorInfo
    let storage: GGUFStorage

    init(info: GGUFTensorInfo, storage: GGUFStorage) {
        self.info = info
        self.storage = storage
    }

    /// Number of bytes (`info.byteCount`).
    public var count: Int { info.byteCount }

    /// Calls `body` with the bytes in place. The pointer is valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let all = storage.bytes
        return try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(rebasing: all[info.fileOffset..<(info.fileOffset + info.byteCount)]))
        }
    }

    /// Returns the bytes' pages of the mapping to the system (they read back from the file if
    /// touched again): for a caller that has copied what it needs, so the model's memory is not
    /// counted twice.
    public func releasePages() {
        storage.releasePages(info.fileOffset..<(info.fileOffset + info.byteCount))
    }

    /// A copy of the bytes.
    public var data: Data { withUnsafeBytes { Data($0) } }
}
