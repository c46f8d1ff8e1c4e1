import Foundation
import LensCommandLine
import SwiftLens

/// The token ids of `lens cache --tokens`, read and checked where they are read.
///
/// Accepted: a JSON array of rows of integer ids (inline, or a `.json` file of at most
/// ``maximumJSONBytes``), or a `.safetensors` file whose `tokens` entry has an integer dtype.
/// Either may also be one flat sequence (`[1, 2, 3]`, a 1-D `tokens` entry), read as a batch of
/// one. Refused, each with a message naming the source, the row and position, what was expected
/// and what was found: anything but an integer (a fraction, a boolean, a string, null, a number
/// too large for `Int`), ragged rows, no rows or empty rows, other ranks, a sequence longer than
/// the model's context and ids outside its vocabulary.
///
/// A safetensors file's shape is known from its header, so ``shape`` is checked (and the
/// request sized) before a single id is read.
struct TokenInput {
    /// Largest JSON token file read (a `.safetensors` file takes any size): JSON costs far more
    /// memory per id while it is parsed than the ids themselves.
    static let maximumJSONBytes = 64 << 20

    /// Where the ids come from, for messages: the file's path, or `--tokens`.
    let source: String
    /// [batch, positions].
    let shape: [Int]
    private let ids: IntTensor?
    private let file: SafetensorsFile?

    /// Reads `argument`: an existing file (`.safetensors`, else JSON), or inline JSON.
    init(_ argument: String) throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory)
        guard exists else {
            guard let first = argument.trimmingCharacters(in: .whitespacesAndNewlines).first, "[{".contains(first) else {
                throw UsageError(description: "--tokens: no file \(argument), and not inline JSON (expected a file, or an array such as [[1, 2, 3]])")
            }
            source = "--tokens"
            ids = try Self.parseJSON(Data(argument.utf8), source: source)
            shape = ids!.shape
            file = nil
            return
        }
        guard !isDirectory.boolValue else { throw UsageError(description: "--tokens: \(argument) is a directory; expected a .json or .safetensors file") }
        source = argument
        if argument.hasSuffix(".safetensors") {
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: argument))
            guard let entry = file.entries["tokens"] else {
                throw UsageError(description: "\(argument) has no \"tokens\" entry; expected an integer tensor [batch, positions] named \"tokens\" "
                                 + "(it has \(file.names.count): \(file.names.prefix(5).joined(separator: ", "))\(file.names.count > 5 ? ", …" : ""))")
            }
            guard !entry.dtype.isFloatingPoint && entry.dtype != .BOOL else {
                throw UsageError(description: "\(argument): \"tokens\" has dtype \(entry.dtype.rawValue); expected integer token ids (I64, I32, I16, I8 or U8)")
            }
            shape = try Self.batchShape(entry.shape, source: "\(argument) (\"tokens\")")
            self.file = file
            ids = nil
            return
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: argument))?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= Self.maximumJSONBytes else {
            throw UsageError(description: "\(argument) is \(CacheEstimate.describe(bytes: size)); expected a JSON token file of at most "
                             + "\(CacheEstimate.describe(bytes: Self.maximumJSONBytes)) (store larger batches as a .safetensors file with an integer \"tokens\" entry)")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: argument)) } catch {
            throw UsageError(description: "cannot read \(argument): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
        ids = try Self.parseJSON(data, source: argument)
        shape = ids!.shape
        file = nil
    }

    /// Ids already at hand (a tokenized `--prompt`), [batch, positions].
    init(tokens: IntTensor, source: String) {
        self.source = source
        ids = tokens
        shape = tokens.shape
        file = nil
    }

    /// The ids as [batch, positions], read now for a safetensors file, each checked to lie in
    /// `0 ..< vocabulary`.
    func tokens(vocabulary: Int) throws -> IntTensor {
        var tokens: IntTensor
        if let ids { tokens = ids } else {
            tokens = try file!.intTensor("tokens")
            if tokens.rank == 1 { tokens = tokens.reshaped([1, -1]) }
        }
        let length = shape[1]
        for (i, id) in tokens.scalars.enumerated() where id < 0 || id >= vocabulary {
            throw UsageError(description: "\(source): token id \(id) at row \(i / length), position \(i % length) is outside the vocabulary 0..<\(vocabulary) of the model")
        }
        return tokens
    }

    /// `shape` as [batch, positions]: 1-D is one sequence; anything else but 2-D, or an empty
    /// batch or sequence, is refused.
    static func batchShape(_ shape: [Int], source: String) throws -> [Int] {
        let batch: [Int]
        switch shape.count {
        case 1: batch = [1, shape[0]]
        case 2: batch = shape
        default:
            throw UsageError(description: "\(source): expected token ids of shape [batch, positions] (or [positions]), found shape \(shape)")
        }
        guard batch[0] > 0, batch[1] > 0 else {
            throw UsageError(description: "\(source): expected at least one sequence of at least one token, found shape \(shape)")
        }
        return batch
    }

    /// Rows of integer ids from strict JSON (see ``TokenInput``).
    static func parseJSON(_ data: Data, source: String) throws -> IntTensor {
        let json: JSONValue
        do { json = try JSONValue.parse(data, origin: source, maximumDepth: 2) } catch let error as JSONParseError {
            throw UsageError(description: "\(error) (expected a JSON array of token-id arrays, e.g. [[1, 2, 3]])")
        }
        guard let top = json.array else {
            throw UsageError(description: "\(source): expected a JSON array of token-id arrays, e.g. [[1, 2, 3]], found \(json.summary)")
        }
        guard !top.isEmpty else { throw UsageError(description: "\(source): expected at least one sequence, found an empty array") }
        func id(_ value: JSONValue, row: Int, position: Int) throws -> Int {
            guard let id = value.integer else {
                throw UsageError(description: "\(source): expected an integer token id at row \(row), position \(position), found \(value.summary)")
            }
            return id
        }
        // One flat sequence.
        if top.allSatisfy({ $0.array == nil }) {
            return IntTensor(shape: [1, top.count], values: try top.enumerated().map { try id($1, row: 0, position: $0) })
        }
        var values: [Int] = []
        var length: Int?
        for (r, row) in top.enumerated() {
            guard let items = row.array else {
                throw UsageError(description: "\(source): expected row \(r) to be an array of token ids (like row 0), found \(row.summary)")
            }
            guard !items.isEmpty else { throw UsageError(description: "\(source): row \(r) is empty; expected at least one token id") }
            if let length, items.count != length {
                throw UsageError(description: "\(source): row \(r) has \(items.count) token id\(items.count == 1 ? "" : "s"), row 0 has \(length); expected rows of one length (a batch holds equal-length sequences)")
            }
            length = items.count
            if values.isEmpty { values.reserveCapacity(top.count * items.count) }
            for (p, item) in items.enumerated() { values.append(try id(item, row: r, position: p)) }
        }
        return IntTensor(shape: [top.count, length!], values: values)
    }
}

extension TokenInput {
    /// `--prepend-bos`, shared by every command that takes a prompt.
    static let prependBOSOption = CommandOption.flag("--prepend-bos", help: "with a prompt: prepend BOS even if the tokenizer would not")

    /// The ids of exactly one of two forms of one input: `tokens` (token ids, read by
    /// ``TokenInput``) or `prompt` (text, tokenized by the model's own tokenizer; BOS as the
    /// tokenizer's policy says, or always with `--prepend-bos`). Nil when neither is given; both
    /// are refused, and so is a prompt for a model without a tokenizer.
    static func ids(_ args: ParsedArguments, tokens: String, prompt: String, model: HookedTransformer) throws -> IntTensor? {
        let text = args.string(ifGiven: prompt), argument = args.string(ifGiven: tokens)
        guard text == nil || argument == nil else { throw UsageError(description: "give \(tokens) or \(prompt), not both") }
        if let text {
            guard model.tokenizer != nil else {
                throw UsageError(description: "\(prompt) needs a tokenizer, and this model has none (its checkpoint carries none); pass token ids with \(tokens)")
            }
            let bos = args.isGiven("--prepend-bos") ? true : nil
            let ids = try model.toTokens(text, prependBOS: bos)
            guard ids.shape[1] <= model.config.nCtx else {
                throw UsageError(description: "\(prompt): \(ids.shape[1]) tokens are longer than the model's context n_ctx = \(model.config.nCtx)")
            }
            return ids
        }
        return try argument.map(CacheCommand.readTokens)
    }
}
