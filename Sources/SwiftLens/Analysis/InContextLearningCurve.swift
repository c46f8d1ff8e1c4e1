/// What ``InContextLearning/measure(_:documents:batchSize:score:hooks:)`` returns: the mean
/// next-token loss at each position of a set of documents, and the in-context-learning score
/// read off it.
public struct InContextLearningCurve: Sendable, Equatable {
    /// The mean per-token loss by position, `[length − 1]` for documents of `length` tokens:
    /// entry p is the loss of predicting token p + 1 from tokens 0 … p, averaged over documents.
    public var lossByPosition: [Float]
    /// ``InContextLearningScore/score(lossByPosition:)`` of `lossByPosition` (late − early; more
    /// negative means more in-context learning).
    public var score: Float
    /// How many documents were averaged.
    public var documentCount: Int

    public init(lossByPosition: [Float], score: Float, documentCount: Int) {
        self.lossByPosition = lossByPosition
        self.score = score
        self.documentCount = documentCount
    }

    /// The mean of `lossByPosition` over `positions` (those inside it).
    public func meanLoss(_ positions: ClosedRange<Int>) -> Float {
        let values = positions.filter { lossByPosition.indices.contains($0) }.map { lossByPosition[$0] }
        return values.reduce(0, +) / Float(max(values.count, 1))
    }
}
