/// A checkpoint whose tensors disagree with its config, found from the file's header before any
/// weight is read. Every message names the file and the tensor and says what the config implies
/// and what the header holds.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The config implies a tensor (under any of `names`) that the file lacks.
    case missingTensor(names: [String], file: String)
    /// A tensor's shape in the header differs from the one the config implies.
    case shapeMismatch(name: String, file: String, expected: [Int], found: [Int])
    /// A TransformerLens-layout file holds a tensor the config has no parameter for.
    case unexpectedTensor(name: String, file: String)

    public var description: String {
        switch self {
        case let .missingTensor(names, file):
            "\(file) has no tensor \"\(names[0])\"\(names.count > 1 ? " (nor \(names.dropFirst().map { "\"\($0)\"" }.joined(separator: ", ")))" : ""), which the config requires"
        case let .shapeMismatch(name, file, expected, found):
            "tensor \"\(name)\" in \(file) has shape \(found); the config implies \(expected)"
        case let .unexpectedTensor(name, file):
            "\(file) holds a tensor \"\(name)\" that the config has no parameter for (a config of a different model?)"
        }
    }
}
