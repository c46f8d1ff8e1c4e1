/// A checkpoint whose tensors disagree with its config, found from the file's header before any
/// weight is read. Every message names the file and the tensor and says what the config implies
/// and what the header holds.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The config implies a tensor (under any of `names`) that the file lacks.
    case missingTensor(names: [String], file: String)
    /// A tensor's shape in the header differs from the one the config implies (even when the
    /// element count is the same: a transposed or reshaped weight is refused, not reinterpreted).
    case shapeMismatch(name: String, file: String, expected: [Int], found: [Int])
    /// A weight stored with an integer or boolean dtype.
    case notFloatingPoint(name: String, file: String, dtype: String)
    /// The file holds tensors the conversion would not use (a config of a different model, or a
    /// feature the config does not enable): every one is named.
    case unexpectedTensors(names: [String], file: String)

    public var description: String {
        switch self {
        case let .missingTensor(names, file):
            "\(file) has no tensor \"\(names[0])\"\(names.count > 1 ? " (nor \(names.dropFirst().map { "\"\($0)\"" }.joined(separator: ", ")))" : ""), which the config requires"
        case let .shapeMismatch(name, file, expected, found):
            "tensor \"\(name)\" in \(file) has shape \(found); the config implies \(expected)"
        case let .notFloatingPoint(name, file, dtype):
            "tensor \"\(name)\" in \(file) has dtype \(dtype); expected a floating-point weight (F32, F16, BF16 or F64)"
        case let .unexpectedTensors(names, file):
            "\(file) holds \(names.count == 1 ? "a tensor" : "\(names.count) tensors") that the config has no parameter for "
                + "(a config of a different model?): \(names.prefix(10).map { "\"\($0)\"" }.joined(separator: ", "))\(names.count > 10 ? ", …" : "")"
        }
    }
}
