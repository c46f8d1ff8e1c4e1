/// Named Float tensors whose names and shapes are known before any data is read — a
/// safetensors file, or a GGUF file seen under Hugging Face's names (``GGUFArchive``) — so that
/// ``CheckedCheckpoint`` can check a checkpoint against its config before reading a weight,
/// whatever the file format.
protocol TensorArchive {
    /// The file, for messages.
    var path: String { get }
    /// Every tensor name.
    var tensorNames: [String] { get }
    /// The shape of tensor `name` (row-major, as numpy and PyTorch see it); nil if absent.
    func shape(of name: String) -> [Int]?
    /// The stored element type of tensor `name`, when it is not a floating-point one (nil: it is).
    func nonFloatingType(of name: String) -> String?
    /// Tensor `name` as Float32.
    func tensor(_ name: String) throws -> Tensor
}

extension SafetensorsFile: TensorArchive {
    var tensorNames: [String] { names }
    func shape(of name: String) -> [Int]? { entries[name]?.shape }
    func nonFloatingType(of name: String) -> String? {
        guard let dtype = entries[name]?.dtype, !dtype.isFloatingPoint else { return nil }
        return dtype.rawValue
    }
}
