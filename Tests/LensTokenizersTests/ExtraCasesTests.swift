import Foundation
import LensTokenizers
import Testing

/// The reference data of `Tests/Fixtures/tokenizers/extra_cases.json` (`Scripts/make_tokenizer_cases.py`):
/// long pre-tokens, every kind of white space, lossy decoding, and small Hugging Face vocabularies
/// with every added-token option.
@Suite struct ExtraCasesTests {
    nonisolated(unsafe) static let fixture: [String: Any] = {
        let data = try! Data(contentsOf: TokenizerFixtures.url("tokenizers/extra_cases.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    @Test func gpt2LongPreTokensAndWhiteSpaceMatchTiktoken() {
        let tokenizer = TokenizerFixtures.gpt2
        for item in Self.fixture["gpt2"] as! [[String: Any]] {
            let text = item["text"] as! String
            #expect(tokenizer.encode(text) == item["ids"] as! [Int], "\(text.prefix(40).debugDescription)")
            #expect(tokenizer.encode(text, matchingAddedTokens: true) == item["ids_allowed_special_all"] as! [Int],
                    "\(text.prefix(40).debugDescription)")
            #expect(tokenizer.decode(tokenizer.encode(text)) == text)
        }
    }

    /// Cutting a sequence inside a character gives U+FFFD where tiktoken's `errors="replace"` does.
    @Test func gpt2LossyDecodingMatchesTiktoken() {
        for item in Self.fixture["gpt2_decode"] as! [[String: Any]] {
            let ids = item["ids"] as! [Int]
            #expect(TokenizerFixtures.gpt2.decode(ids) == item["text"] as! String, "\(ids)")
        }
    }

    @Test(arguments: ["arrays", "strings", "digits"])
    func huggingFaceJSONMatchesTokenizers(variant: String) throws {
        let spec = (Self.fixture["hf"] as! [[String: Any]]).first { $0["name"] as! String == variant }!
        let tokenizer = try BPETokenizer(huggingFaceJSONData: Data((spec["tokenizer_json"] as! String).utf8))
        #expect(tokenizer.preTokenizer == (variant == "digits" ? .gpt2IsolatingDigits : .gpt2))
        for item in spec["cases"] as! [[String: Any]] {
            let text = item["text"] as! String
            let ids = item["ids"] as! [Int]
            #expect(tokenizer.encode(text) == ids, "\(variant): \(text.debugDescription)")
            #expect(tokenizer.decode(ids) == item["decode"] as! String, "\(variant): \(text.debugDescription)")
        }
    }

    /// The strip options swallow white space into the added token, so only texts without them round-trip.
    @Test func addedTokensSplitTheText() throws {
        let spec = (Self.fixture["hf"] as! [[String: Any]]).first { $0["name"] as! String == "arrays" }!
        let tokenizer = try BPETokenizer(huggingFaceJSONData: Data((spec["tokenizer_json"] as! String).utf8))
        let end = try #require(tokenizer.id(forToken: "<|endoftext|>"))
        #expect(tokenizer.encode("a<|endoftext|>b").contains(end))
        #expect(!tokenizer.encode("a<|endoftext|>b", matchingAddedTokens: false).contains(end))
        #expect(tokenizer.decode(tokenizer.encode("x<|endoftext|>y"), skippingSpecialTokens: true) == "xy")
        #expect(tokenizer.decode(tokenizer.encode("x<|endoftext|>y")) == "x<|endoftext|>y")
    }
}
