import Foundation
import SwiftLens
import Testing

/// The README's quick start compiles and runs (on a fixture model).
@Suite struct ReadmeSnippetTests {
    @Test func quickStart() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/attn2l"))
        let tokens = IntTensor([[3, 14, 15, 9, 26, 5, 3, 14, 15, 9, 26, 5]])

        let logits = try model(tokens)
        let loss = try model.loss(tokens)
        let (_, cache) = try model.runWithCache(tokens)
        let pattern = cache["pattern", 1]!
        let z = cache[.z(0)]!
        let ablated = try model.loss(tokens, hooks: [
            .zeroAblateHead(layer: 1, head: 2),
            .knockOutScores(layer: 1, head: 0, pairs: (1..<12).map { ($0, $0 - 1) }),
            Hook(.residPost(0)) { resid, context in resid * 0.5 },
        ])
        #expect(logits.shape == [1, 12, 50] && pattern.shape == [1, 4, 12, 12] && z.shape == [1, 12, 4, 16])
        #expect(loss.scalar.isFinite && ablated.scalar != loss.scalar)
    }
}
