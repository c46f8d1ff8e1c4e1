import Foundation
import LensTokenizers
import Testing

/// SmolLM2 ids equal Hugging Face `tokenizers`' (0.23.3, as transformers reads the GGUF) on every
/// string of the fixture: from the GGUF metadata arrays (the path a GGUF reader takes) and from
/// a `tokenizer.json` of the same vocabulary. Runs when `Scripts/fetch_smollm2_vocab.sh` has
/// fetched the vocabulary; otherwise each test is skipped, saying how to fetch it.
@Suite struct SmolLM2ParityTests {
    static let fetched = FileManager.default.fileExists(atPath: TokenizerFixtures.smolLM2VocabURL.path)

    @Test(.enabled(if: fetched, Comment(rawValue: TokenizerFixtures.howToFetchSmolLM2)))
    func ggufArraysGiveHuggingFaceIds() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2())
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.preTokenizer == .gpt2)
        #expect(tokenizer.addedTokens.count == 17)
        #expect(tokenizer.encode("The capital of France is") == [504, 3575, 282, 4649, 314])
        for c in TokenizerFixtures.cases {
            #expect(tokenizer.encode(c.text) == c.smol, "case \(c.index) \(c.text.debugDescription)")
            #expect(tokenizer.pieces(c.text) == c.smolPieces, "case \(c.index)")
            #expect(tokenizer.encode(c.text, matchingAddedTokens: false) == c.smolSplitSpecial, "case \(c.index)")
            #expect(tokenizer.decode(c.smol) == c.text, "case \(c.index)")
        }
    }

    @Test(.enabled(if: fetched, Comment(rawValue: TokenizerFixtures.howToFetchSmolLM2)))
    func llamaCppPreTokenizerIsolatesDigits() throws {
        let tokenizer = try #require(try TokenizerFixtures.smolLM2(isolatingDigits: true))
        #expect(tokenizer.preTokenizer == .gpt2IsolatingDigits)
        // real-models.md §4.2: one id per digit, the space before them alone (216 = "Ġ").
        #expect(tokenizer.encode("Hello world! 123") == [19556, 905, 17, 216, 33, 34, 35])
        #expect(tokenizer.encode("  multiple   spaces\n\nx") == [216, 2701, 256, 5600, 198, 198, 104])
        for c in TokenizerFixtures.cases {
            #expect(tokenizer.encode(c.text) == c.smolLlamaCpp, "case \(c.index) \(c.text.debugDescription)")
        }
    }

    @Test(.enabled(if: fetched, Comment(rawValue: TokenizerFixtures.howToFetchSmolLM2)))
    func tokenizerJSONGivesTheSameIds() throws {
        let tokenizer = try BPETokenizer(huggingFaceJSON: TokenizerFixtures.smolLM2TokenizerJSONURL)
        #expect(tokenizer.vocabularySize == 49152)
        for c in TokenizerFixtures.cases {
            #expect(tokenizer.encode(c.text) == c.smol, "case \(c.index) \(c.text.debugDescription)")
            #expect(tokenizer.decode(c.smol) == c.text, "case \(c.index)")
        }
    }
}
