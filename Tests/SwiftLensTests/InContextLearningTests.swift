import Foundation
import SwiftLens
import Testing

/// ``InContextLearning`` on tiny models with known answers.
struct InContextLearningTests {
    static let config = HookedTransformerConfig(nLayers: 1, dModel: 8, nCtx: 16, dHead: 4, nHeads: 2, dVocab: 11, attnOnly: true)

    @Test func windowsCutFixedLengthPiecesWithABOS() throws {
        let docs = [Array(0..<7), [1, 2], Array(10..<16)]
        #expect(try InContextLearning.windows(docs, length: 3, bos: 99) == IntTensor([[99, 0, 1, 2], [99, 10, 11, 12]]))
        #expect(try InContextLearning.windows(docs, length: 3, maxPerDocument: nil) == IntTensor([[0, 1, 2], [3, 4, 5], [10, 11, 12], [13, 14, 15]]))
        #expect(throws: AnalysisError.self) { try InContextLearning.windows(docs, length: 8) }
        #expect(throws: AnalysisError.self) { try InContextLearning.windows(docs, length: 1) }
    }

    /// A model whose unembedding is zero predicts uniformly: the loss is log d_vocab at every
    /// position, so the curve is flat and the score 0.
    @Test func uniformPredictionsGiveAFlatCurveAndZeroScore() throws {
        let model = try HookedTransformer(config: Self.config, seed: 1)
        try model.setParameter("unembed.W_U", Tensor.zeros([8, 11]))
        try model.setParameter("unembed.b_U", Tensor.zeros([11]))
        let docs = IntTensor((0..<5).map { row in (0..<12).map { (row * 3 + $0 * 7) % 11 } })
        let curve = try InContextLearning.measure(model, documents: docs, batchSize: 2,
                                                  score: InContextLearningScore(early: 1...2, late: 8...9))
        #expect(curve.documentCount == 5 && curve.lossByPosition.count == 11)
        #expect(curve.lossByPosition.allSatisfy { abs($0 - log(11)) < 1e-5 }, "\(curve.lossByPosition)")
        #expect(abs(curve.score) < 1e-5)
    }

    /// The curve is the batch mean of the per-token loss, however the documents are batched, and
    /// the score is late − early of it; hooks reach the forward passes.
    @Test func curveIsTheMeanPerTokenLossWhateverTheBatching() throws {
        let model = try HookedTransformer(config: Self.config, seed: 2)
        let docs = IntTensor((0..<7).map { row in (0..<10).map { (row * 5 + $0 * $0) % 11 } })
        let score = InContextLearningScore(early: 0...1, late: 7...8)
        for hooks in [[], [Hook.zeroAblateHead(Head(layer: 0, head: 1))]] {
            let expected = try model.perTokenLoss(docs, hooks: hooks).mean(axis: 0).scalars
            for batchSize in [1, 3, 7, 16] {
                let curve = try InContextLearning.measure(model, documents: docs, batchSize: batchSize, score: score, hooks: hooks)
                #expect(zip(curve.lossByPosition, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "batch \(batchSize)")
                let byHand = (expected[7] + expected[8]) / 2 - (expected[0] + expected[1]) / 2
                #expect(abs(curve.score - byHand) < 1e-5)
            }
        }
        let clean = try InContextLearning.measure(model, documents: docs, score: score)
        let ablated = try InContextLearning.measure(model, documents: docs, score: score, hooks: [.zeroAblateHead(Head(layer: 0, head: 0))])
        #expect(clean.lossByPosition != ablated.lossByPosition)
        let passage = try InContextLearning.tokenLoss(model, passage: docs[0].scalars, hooks: [.zeroAblateHead(Head(layer: 0, head: 0))])
        #expect(passage.clean.count == 9 && zip(passage.difference, zip(passage.ablated, passage.clean)).allSatisfy { $0 == $1.0 - $1.1 })
    }

    @Test func olssonWindowsAreTokensFiftyAndFiveHundred() {
        #expect(InContextLearningScore.olsson.early == 45...54 && InContextLearningScore.olsson.late == 495...504)
        var loss = [Float](repeating: 3, count: 600)
        for p in 495...504 { loss[p] = 1 }
        #expect(InContextLearningScore.olsson.score(lossByPosition: loss) == -2)
    }
}
