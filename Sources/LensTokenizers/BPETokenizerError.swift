/// Why a byte-level BPE vocabulary could not be loaded; each case names what was expected and
/// what was found, and where.
public enum BPETokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadableFile(path: String, reason: String)
    /// A line of a `.tiktoken` file is not "base64 rank".
    case malformedTiktokenLine(line: Int, expected: String, found: String)
    /// A `tokenizer.json` value (at a dotted path such as `model.merges[3]`) has the wrong shape.
    case malformedJSON(path: String, expected: String, found: String)
    /// A feature this tokenizer does not implement (a `WordPiece` model, an NFC normalizer,
    /// the Llama 3 pattern, …): refused rather than silently tokenizing differently.
    case unsupported(_ feature: String, expected: String, found: String)
    /// A merge names a token that is not in the vocabulary (or its concatenation is not).
    case mergeTokenNotInVocabulary(merge: Int, token: String)
    /// A merge string is not "left right" with both parts non-empty.
    case malformedMerge(index: Int, found: String)
    /// Two entries claim the same id, or the same token text appears twice.
    case duplicate(what: String, found: String)
    /// An id is negative or too large (≥ 2³¹ − 1).
    case invalidID(what: String, found: Int)
    /// Parallel arrays (tokens and token types) disagree in length.
    case lengthMismatch(what: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): "cannot read \(path): \(reason)"
        case let .malformedTiktokenLine(line, expected, found): "tiktoken line \(line): expected \(expected), found \(found)"
        case let .malformedJSON(path, expected, found): "tokenizer.json \(path): expected \(expected), found \(found)"
        case let .unsupported(feature, expected, found): "unsupported \(feature): expected \(expected), found \(found)"
        case let .mergeTokenNotInVocabulary(merge, token): "merge \(merge): token \(token.debugDescription) is not in the vocabulary"
        case let .malformedMerge(index, found): "merge \(index): expected \"left right\", found \(found.debugDescription)"
        case let .duplicate(what, found): "duplicate \(what): \(found)"
        case let .invalidID(what, found): "\(what): expected an id in 0..<2147483647, found \(found)"
        case let .lengthMismatch(what, expected, found): "\(what): expected \(expected) entries, found \(found)"
        }
    }
}
