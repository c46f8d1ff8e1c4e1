/// In-context learning on real text (Olsson et al. 2022): how the next-token loss falls with the
/// position in a document, averaged over many documents, and the score late − early read off
/// that curve — with hooks, so the same measurement runs with heads ablated.
///
/// Documents are cut into windows of one fixed length (``windows(_:length:bos:maxPerDocument:)``)
/// so that every position is averaged over the same documents; ``measure(_:documents:batchSize:score:hooks:)``
/// runs them a few at a time and averages the per-token loss over all of them.
///
/// ```swift
/// let texts: [String] = …                                    // documents of ≥ 600 tokens
/// let docs = try InContextLearning.windows(texts.map { try model.toTokens($0).scalars },
///                                          length: 600, bos: model.tokenizer?.bosTokenID)
/// let clean = try InContextLearning.measure(model, documents: docs)
/// let ablated = try InContextLearning.measure(model, documents: docs,
///                                             hooks: [.zeroAblateHead(Head(layer: 18, head: 6))])
/// print(clean.score, ablated.score)                          // loss at token 500 − loss at token 50
/// ```
public enum InContextLearning {
    /// Windows of exactly `length` tokens cut from each document (token ids, no BOS), each with
    /// `bos` in front when given (so a window is `1 + length` tokens, and per-token-loss position
    /// p predicts the window's document token p). A document yields its consecutive,
    /// non-overlapping windows, at most `maxPerDocument` of them (nil: all); a shorter remainder
    /// and documents shorter than `length` are dropped.
    /// - Returns: [windows, length] (or [windows, 1 + length] with a BOS).
    /// - Throws: ``AnalysisError/invalidShape(what:expected:found:)`` when no document has `length`
    ///   tokens, ``AnalysisError/invalidArgument(_:)`` for a length below 2.
    public static func windows(_ documents: [[Int]], length: Int, bos: Int? = nil, maxPerDocument: Int? = 1) throws -> IntTensor {
        guard length > 1 else {
            throw AnalysisError.invalidArgument("windows need at least 2 tokens each (a context and a target); found length \(length)")
        }
        var rows: [[Int]] = []
        for document in documents {
            var start = 0
            while start + length <= document.count, start / length < (maxPerDocument ?? Int.max) {
                rows.append((bos.map { [$0] } ?? []) + document[start ..< start + length])
                start += length
            }
        }
        guard !rows.isEmpty else {
            throw AnalysisError.invalidShape(what: "the documents", expected: "at least one of ≥ \(length) tokens",
                                             found: [documents.map(\.count).max() ?? 0])
        }
        return IntTensor(rows)
    }

    /// The mean per-token loss by position over `documents` [n, length] and its ICL score,
    /// running `batchSize` documents per forward pass with `hooks` attached.
    /// - Parameter score: the windows compared; the default ``InContextLearningScore/olsson``
    ///   (around token 500 vs around token 50) needs documents of more than 505 tokens.
    /// - Returns: ``InContextLearningCurve/lossByPosition`` of `[length − 1]`.
    public static func measure(_ model: HookedTransformer, documents: IntTensor, batchSize: Int = 4,
                               score: InContextLearningScore = .olsson, hooks: [Hook] = []) throws -> InContextLearningCurve {
        guard documents.rank == 2, documents.shape[0] > 0, documents.shape[1] >= 2 else {
            throw AnalysisError.invalidShape(what: "the documents", expected: "[n, length] with n ≥ 1, length ≥ 2", found: documents.shape)
        }
        let (count, length) = (documents.shape[0], documents.shape[1])
        var sum = [Double](repeating: 0, count: length - 1)
        var start = 0
        while start < count {
            let stop = min(start + max(batchSize, 1), count)
            let loss = try model.perTokenLoss(documents[start ..< stop], hooks: hooks).scalars
            for (i, value) in loss.enumerated() { sum[i % (length - 1)] += Double(value) }
            start = stop
        }
        let curve = sum.map { Float($0 / Double(count)) }
        return InContextLearningCurve(lossByPosition: curve, score: score.score(lossByPosition: curve), documentCount: count)
    }

    /// The per-token loss of one passage [tokens − 1], clean and with `hooks`, and their
    /// difference (with − clean): where the ablated components helped (positive) or hurt.
    /// Entry p is the loss of predicting token p + 1.
    public static func tokenLoss(_ model: HookedTransformer, passage tokens: [Int], hooks: [Hook])
        throws -> (clean: [Float], ablated: [Float], difference: [Float]) {
        let clean = try model.perTokenLoss(IntTensor([tokens]), hooks: []).scalars
        let ablated = try model.perTokenLoss(IntTensor([tokens]), hooks: hooks).scalars
        return (clean, ablated, zip(ablated, clean).map { $0 - $1 })
    }
}
