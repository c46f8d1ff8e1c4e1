import Foundation
import LensTokenizers
import Testing

/// GPT-2 ids equal tiktoken's (0.14.0, `gpt2.tiktoken`) on every string of the SmolLM2 fixture.
@Suite struct GPT2ParityTests {
    let tokenizer = TokenizerFixtures.gpt2

    @Test func vocabularyHasTiktokensShape() {
        #expect(tokenizer.vocabularySize == 50257)
        #expect(tokenizer.token(forID: 50256) == "<|endoftext|>")
        #expect(tokenizer.token(forID: 220) == "Ġ")
        #expect(tokenizer.id(forToken: "Ġworld") == 995)
        #expect(tokenizer.encode("Hello world") == [15496, 995])
    }

    @Test(arguments: TokenizerFixtures.cases.map(\.index))
    func idsEqualTiktoken(index: Int) {
        let c = TokenizerFixtures.cases.first { $0.index == index }!
        #expect(tokenizer.encode(c.text) == c.gpt2, "\(c.text.debugDescription)")
        #expect(tokenizer.encode(c.text, matchingAddedTokens: true) == c.gpt2AllowedSpecial, "\(c.text.debugDescription)")
        #expect(tokenizer.decode(c.gpt2) == c.text)
        #expect(tokenizer.decode(tokenizer.encode(c.text)) == c.text)
    }
}
