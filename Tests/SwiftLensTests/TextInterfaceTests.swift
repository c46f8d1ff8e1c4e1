import Foundation
import SwiftLens
import Testing

/// Text in, text out: `toTokens`, `toStrTokens`, `toString`, `toSingleToken` and the text
/// forms of the forward calls, with the tokenizer's own BOS policy as the default.
@Suite struct TextInterfaceTests {
    static func model(prependsBOS: Bool) throws -> HookedTransformer {
        let model = try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))
        let tokenizer = CharacterTokenizer(corpus: "abcdefghijklmnopqrstuvwxyz .")
        model.tokenizer = TokenizerBinding(tokenizer, bosTokenID: 63, prependsBOS: prependsBOS)
        return model
    }

    @Test func textBecomesTheTokensTheTokenizerGivesAndBack() throws {
        let model = try Self.model(prependsBOS: false)
        let text = "the cat sat. the cat"
        let ids = model.tokenizer!.tokenizer.encode(text)
        #expect(try model.toTokens(text) == IntTensor(shape: [1, ids.count], values: ids))
        #expect(try model.toTokens(text, prependBOS: true).scalars == [63] + ids)
        #expect(try model.toStrTokens(text) == text.map(String.init))
        #expect(try model.toString(ids) == text)
        #expect(try model.toSingleToken("c") == ids[4])
        #expect(throws: ModelError.notOneToken("ca", count: 2)) { try model.toSingleToken("ca") }
        // The text forms equal the token forms.
        #expect(try model(text) == model(model.toTokens(text)))
        #expect(try model.loss(text).scalar == model.loss(model.toTokens(text)).scalar)
        let (logits, cache) = try model.runWithCache(text, names: [.pattern(1)])
        #expect(logits == (try model(text)) && cache[.pattern(1)]?.shape == [1, 4, ids.count, ids.count])
    }

    @Test func theDefaultBOSPolicyIsTheTokenizers() throws {
        let adds = try Self.model(prependsBOS: true)
        #expect(try adds.toTokens("ab").scalars.first == 63)
        #expect(try adds.toTokens("ab", prependBOS: false).scalars.count == 2)
        adds.tokenizer?.bosTokenID = nil
        #expect(throws: ModelError.noBOSToken) { try adds.toTokens("ab") }
        let none = try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))
        #expect(throws: ModelError.noTokenizer) { try none.toTokens("ab") }
        #expect(throws: ModelError.emptyInput(shape: [1, 0])) { try Self.model(prependsBOS: false).toTokens("") }
    }
}
