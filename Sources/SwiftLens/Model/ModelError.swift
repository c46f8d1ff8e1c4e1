/// What went wrong running or loading a model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case emptyInput(shape: [Int])
    case sequenceTooLong(length: Int, contextLength: Int)
    /// A cached pass would run past the context: `cached` positions plus `new` ones > n_ctx.
    case contextExceeded(cached: Int, new: Int, contextLength: Int)
    case tokenOutOfRange(token: Int, batch: Int, position: Int, vocabulary: Int)
    case invalidTokensShape([Int])
    case invalidResidual(expected: [Int], found: [Int])
    case invalidLayerRange(start: Int, stop: Int, layers: Int)
    case lossNeedsTwoPositions(length: Int)
    case unknownParameter(String, available: [String])
    case missingParameter(String)
    case parameterShape(String, expected: [Int], found: [Int])
    case unsupportedCheckpoint(String)
    case invalidLossShape([Int])
    case noMLP(model: String)
    /// Two token batches that must have one shape (clean and corrupted, resample source) do not.
    case tokensShapeMismatch(purpose: String, expected: [Int], found: [Int])
    case io(String)
    /// Text was given to a model without a tokenizer.
    case noTokenizer
    /// BOS was asked for and the tokenizer has no BOS token.
    case noBOSToken
    /// `toSingleToken` on text that is not exactly one token.
    case notOneToken(String, count: Int)

    public var description: String {
        switch self {
        case let .emptyInput(shape): "empty input: tokens of shape \(shape); expected at least one sequence of one token"
        case let .sequenceTooLong(length, n): "sequence of \(length) tokens is longer than the model's context n_ctx = \(n)"
        case let .contextExceeded(cached, new, n):
            "\(cached) cached positions + \(new) new ones = \(cached + new) exceed the model's context n_ctx = \(n)"
        case let .tokenOutOfRange(token, b, p, v): "token id \(token) at batch \(b), position \(p) is outside the vocabulary 0..<\(v)"
        case let .invalidTokensShape(s): "tokens must be [batch, pos] (or [pos]); found shape \(s)"
        case let .invalidResidual(e, f): "residual input must have shape \(e); found \(f)"
        case let .invalidLayerRange(start, stop, n): "layer range \(start)..<\(stop) is not within 0...\(n)"
        case let .lossNeedsTwoPositions(length): "the next-token loss needs at least 2 positions; found \(length)"
        case let .unknownParameter(name, available):
            "no parameter named \"\(name)\" (this model has \(available.count): \(available.prefix(6).joined(separator: ", "))…)"
        case let .missingParameter(name): "state dict is missing the parameter \"\(name)\""
        case let .parameterShape(name, e, f): "parameter \"\(name)\" has shape \(f); this model expects \(e)"
        case let .unsupportedCheckpoint(reason): "unsupported checkpoint: \(reason)"
        case let .invalidLossShape(shape): "gradients need a scalar (one-element) value to differentiate; found shape \(shape)"
        case let .noMLP(model): "model \(model) has no MLP layers (attention-only)"
        case let .tokensShapeMismatch(purpose, e, f): "\(purpose) tokens must have the shape \(e); found \(f)"
        case let .io(reason): reason
        case .noTokenizer:
            "this model has no tokenizer (its checkpoint carries none): pass token ids, or set model.tokenizer"
        case .noBOSToken: "a BOS token was asked for, but the tokenizer has none"
        case let .notOneToken(text, count): "\"\(text)\" is \(count) tokens, not one"
        }
    }
}
