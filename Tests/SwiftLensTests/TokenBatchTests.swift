import Foundation
import SwiftLens
import Testing

/// Prompts of different lengths in one padded batch compute, row for row, what each computes
/// alone — learned and rotary positions, grouped-query attention, left and right padding — and
/// their losses ignore the padding.
@Suite struct TokenBatchTests {
    static func models() throws -> [HookedTransformer] {
        [try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny")),
         try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 12, dHead: 4, nHeads: 4, dMLP: 24,
                                                               dVocab: 20, actFn: .silu, normalizationType: .rms,
                                                               positionalEmbeddingType: .rotary, gatedMLP: true,
                                                               nKeyValueHeads: 2), seed: 1),
         try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))]
    }

    @Test(arguments: [TokenBatch.Padding.right, .left])
    func everyRowEqualsItsPromptAlone(padding: TokenBatch.Padding) throws {
        for model in try Self.models() {
            let vocabulary = min(model.config.dVocab, 20)
            let sequences = [[1, 5, 7, 2, 9, 3, 4], [8, 6], [3, 3, 11, 2]].map { $0.map { $0 % vocabulary } }
            let batch = TokenBatch(sequences, padding: padding, padToken: 0)
            let logits = try model.forward(batch)
            let length = batch.tokens.shape[1]
            var lossSum: Float = 0, lossCount = 0
            for (row, sequence) in sequences.enumerated() {
                let alone = try model(IntTensor([sequence]))
                let start = padding == .left ? length - sequence.count : 0
                let mine = logits[row..<(row + 1), start..<(start + sequence.count)]
                let difference = (mine - alone).abs().max().scalar
                #expect(difference < 1e-4, "\(model.config.modelName) \(padding) row \(row): \(difference)")
                if sequence.count >= 2 {
                    lossSum += try model.perTokenLoss(IntTensor([sequence])).sum().scalar
                    lossCount += sequence.count - 1
                }
            }
            let batchLoss = try model.loss(batch).scalar
            #expect(abs(batchLoss - lossSum / Float(lossCount)) < 1e-4, "\(model.config.modelName) \(padding) loss")
            // The cache of a padded batch holds the rows' activations too.
            let (_, cache) = try model.runWithCache(batch, names: [.residPost(0)])
            #expect(cache[.residPost(0)]?.shape == [3, length, model.config.dModel])
        }
    }

    @Test func paddingAndPositionsAreAsDocumented() {
        let left = TokenBatch([[4, 5, 6], [7]], padding: .left, padToken: 9)
        #expect(left.tokens.scalars == [4, 5, 6, 9, 9, 7] && left.attentionMask.scalars == [1, 1, 1, 0, 0, 1])
        let right = TokenBatch([[4, 5, 6], [7]], padding: .right, padToken: 9)
        #expect(right.tokens.scalars == [4, 5, 6, 7, 9, 9] && right.attentionMask.scalars == [1, 1, 1, 1, 0, 0])
    }
}
