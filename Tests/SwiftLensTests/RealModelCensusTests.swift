import Foundation
import SwiftLens
import Testing

/// The census of SmolLM2-135M-Instruct (see ``RealModel``) with a BOS and grouped-query
/// attention (9 query heads share 3 key-value heads per layer): one forward pass on BOS +
/// 2×50 repeated random tokens gives every score; the copying scores read each query head's own
/// output and its own key-value head's W_V.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelCensusTests {
    @Test func smolLM2CensusWithABOSAndGroupedQueryHeads() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2(), keepQuantized: true)
        let c = model.config
        #expect(c.nHeads == 9 && c.keyValueHeads == 3)
        let bos = try #require(model.tokenizer?.bosTokenID)
        let length = 50
        let tokens = RepeatedRandomTokens.batch(count: 2, length: length, vocabularySize: c.dVocab, seed: 1, bos: bos)
        let layer = 17
        let names: [HookName] = (0..<c.nLayers).flatMap { [HookName.pattern($0), .result($0)] } + [.finalScale, .v(layer), .z(layer)]
        let cache = try model.cache(tokens, names: .only(names))
        let census = HeadScores(patterns: try (0..<c.nLayers).map { try cache.tensor(.pattern($0)) }, prefix: 1)
        let copying = try LogitCopyingScore.measure(model, repeatedTokens: tokens, prefix: 1, cache: cache)
        let detected = try HeadDetector.measure(model, tokens: tokens, pattern: .induction, cache: cache)
        func ranked(_ t: Tensor) -> [Head] {
            let v = t.scalars
            return v.indices.sorted { v[$0] > v[$1] }.map { Head(layer: $0 / c.nHeads, head: $0 % c.nHeads) }
        }
        let induction = ranked(census.induction)
        let inductionHeads = induction.filter { census.induction[$0.layer, $0.head].scalar > 0.4 }
        print("SmolLM2 census (BOS + 2×50, 2 sequences): induction heads " + inductionHeads.map {
            "\($0) \(String(format: "%.2f", census.induction[$0.layer, $0.head].scalar)) copy \(String(format: "%+.3f", copying[$0.layer, $0.head].scalar))"
        }.joined(separator: ", "))
        #expect(Set(induction.prefix(3)) == [Head(layer: 18, head: 6), Head(layer: 17, head: 3), Head(layer: 17, head: 4)])
        // detect_head with the BOS in the sequence ranks the heads in the same order: its "mul"
        // induction score is ours × L/(2L + 1).
        #expect(ranked(detected).prefix(8) == induction.prefix(8))
        #expect(detected.maxAbsoluteDifference(census.induction * (Float(length) / Float(2 * length + 1))) < 1e-5)
        // The induction heads after layer 17 copy: they raise the logit of the token they attend to.
        let late = inductionHeads.filter { $0.layer >= 18 }
        #expect(late.count >= 4 && late.allSatisfy { copying[$0.layer, $0.head].scalar > 0.1 }, "\(copying)")
        #expect(copying[23, 2].scalar > 0.5)

        // Grouped-query attention: query head h of layer 17 reads key-value head h / 3. Its z is its
        // own pattern applied to that head's values, and its result — what the copying score reads —
        // is that z through its own slice of W_O.
        let (v, z, pattern) = (try cache.tensor(.v(layer)), try cache.tensor(.z(layer)), try cache.tensor(.pattern(layer)))
        #expect(v.shape == [2, 2 * length + 1, 3, c.dHead] && z.shape == [2, 2 * length + 1, 9, c.dHead])
        let wO = try model.parameter("blocks.\(layer).attn.W_O")
        let results = try cache.tensor(.result(layer))
        for head in 0..<c.nHeads {
            let expectedZ = pattern.selecting([.all, .at(head)]).matmul(v.selecting([.all, .all, .at(head / 3)]))     // [batch, pos, d_head]
            #expect(z.selecting([.all, .all, .at(head)]).maxAbsoluteDifference(expectedZ) < 1e-3, "L\(layer)H\(head) z")
            let expectedResult = expectedZ.matmul(wO[head])
            #expect(results.selecting([.all, .all, .at(head)]).maxAbsoluteDifference(expectedResult) < 2e-3 * max(1, expectedResult.abs().max().scalar),
                    "L\(layer)H\(head) result")
        }
        // The OV circuit of query head h is W_V of key-value head h / 3 times its own W_O, and its
        // eigenvalue score from the small product equals that of the full 49,152-token circuit
        // W_E·W_V·W_O·W_U built for one head.
        let wV = try model.parameter("blocks.\(layer).attn._W_V")
        let ov = model.OV
        let scores = try model.ovCopyingScores(topOneAccuracy: false)
        let (wE, wU) = (try model.parameter("embed.W_E"), try model.parameter("unembed.W_U"))
        for head in [3, 5] {
            #expect(try ov[layer, head].A.maxAbsoluteDifference(wV[head / 3]) == 0 && ov[layer, head].B.maxAbsoluteDifference(wO[head]) == 0)
            let full = try FactoredMatrix(wE.matmul(wV[head / 3]), wO[head].matmul(wU))
            let (re, im) = try full.eigenvalues
            let eigenvalues = zip(re.scalars, im.scalars).map { (real: Double($0), imaginary: Double($1)) }
            let expected = Float(OVCopyingScores.eigenvalueScore(eigenvalues))
            #expect(abs(scores.eigenvalueScore[layer, head].scalar - expected) < 1e-3, "L\(layer)H\(head): \(scores.eigenvalueScore[layer, head].scalar) vs \(expected)")
        }
    }
}
