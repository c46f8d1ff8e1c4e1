/// A batch of in-context prompts and the token each should be continued with: what
/// ``FunctionVector`` measures accuracies and head effects on. Left-padded, so every row's
/// last token — where the answer is predicted and where heads are read and patched — sits at
/// the last position.
public struct ICLPromptSet: Sendable {
    /// Why a prompt set cannot be built.
    public enum PromptSetError: Error, CustomStringConvertible, Equatable {
        case empty
        case answerCount(prompts: Int, answers: Int)
        case answerOutOfVocabulary(row: Int, token: Int, vocabulary: Int)
        case notLeftPadded(row: Int)

        public var description: String {
            switch self {
            case .empty: "a prompt set needs at least one prompt"
            case let .answerCount(prompts, answers): "\(prompts) prompts but \(answers) answers; one answer token per prompt is expected"
            case let .answerOutOfVocabulary(row, token, vocabulary): "answer \(row) is token \(token), outside the vocabulary 0..<\(vocabulary)"
            case let .notLeftPadded(row): "row \(row)'s last position is padding: the prompts must be left-padded, so every last token is real"
            }
        }
    }

    /// The prompts, left-padded: [batch, pos] tokens and mask.
    public let tokens: TokenBatch
    /// [batch]: the first token of each prompt's correct continuation.
    public let answers: [Int]
    /// The prompts' texts (empty when built from tokens).
    public let texts: [String]
    /// The query pair of each prompt (empty when built from tokens).
    public let queries: [ICLTask.Pair]

    /// Prompts from token ids: `sequences` left-padded with `padToken`, `answers` one token each.
    /// - Throws: ``PromptSetError`` for no prompt, an empty prompt, a count mismatch, an answer
    ///   outside `vocabulary`.
    public init(sequences: [[Int]], answers: [Int], vocabulary: Int, padToken: Int = 0) throws {
        guard !sequences.isEmpty else { throw PromptSetError.empty }
        guard sequences.count == answers.count else { throw PromptSetError.answerCount(prompts: sequences.count, answers: answers.count) }
        if let row = sequences.firstIndex(where: \.isEmpty) { throw PromptSetError.notLeftPadded(row: row) }
        if let row = answers.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
            throw PromptSetError.answerOutOfVocabulary(row: row, token: answers[row], vocabulary: vocabulary)
        }
        self.init(tokens: TokenBatch(sequences, padding: .left, padToken: padToken), answers: answers, texts: [], queries: [])
    }

    /// Prompts from texts, tokenised by `model` (no BOS unless its tokenizer adds one); each
    /// answer is the first token of " " + the query's output.
    init(model: HookedTransformer, texts: [String], queries: [ICLTask.Pair]) throws {
        let answers = try queries.map { try model.toTokens(" " + $0.output, prependBOS: false).scalars[0] }
        self.init(tokens: try model.toTokens(texts, padding: .left), answers: answers, texts: texts, queries: queries)
    }

    private init(tokens: TokenBatch, answers: [Int], texts: [String], queries: [ICLTask.Pair]) {
        self.tokens = tokens
        self.answers = answers
        self.texts = texts
        self.queries = queries
    }

    /// Rows.
    public var count: Int { answers.count }
}
