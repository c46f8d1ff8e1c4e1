import Foundation
import LensTokenizers
import Testing

@Suite struct ByteLevelAlphabetTests {
    @Test func mapsEveryByteToADistinctPrintableCharacter() {
        let characters = ByteLevelAlphabet.characters
        #expect(Set(characters).count == 256)
        #expect(characters[0x20] == "Ġ" && characters[0x0A] == "Ċ" && characters[0x00] == "\u{100}" && characters[0xAD] == "\u{143}")
        #expect(characters[0x41] == "A" && characters[0xFF] == "ÿ")
        for byte in 0..<256 {
            #expect(ByteLevelAlphabet.byte(for: characters[byte]) == UInt8(byte))
            #expect(!characters[byte].properties.isWhitespace)
        }
        #expect(ByteLevelAlphabet.byte(for: " ") == nil && ByteLevelAlphabet.byte(for: "中") == nil)
        #expect(ByteLevelAlphabet.encode(Array("Hé\n".utf8)) == "HÃ©Ċ")
        #expect(ByteLevelAlphabet.decode("HÃ©Ċ") == (Array("Hé\n".utf8), true))
        #expect(ByteLevelAlphabet.decode("a b").allInAlphabet == false)
    }
}

@Suite struct BPETokenizerTests {
    /// A four-token vocabulary: merges "a b" then "ab c" (rank order decides, not length).
    func tiny(preTokenizer: BPEPreTokenizer = .gpt2) throws -> BPETokenizer {
        let bytes = (0..<256).map { String(ByteLevelAlphabet.characters[$0]) }
        return try BPETokenizer(tokens: bytes + ["ab", "abc", "Ġab"], merges: [("a", "b"), ("ab", "c"), ("Ġ", "ab")],
                                addedTokens: [AddedToken("<|x|>", id: 259)], preTokenizer: preTokenizer)
    }

    @Test func mergesByRankFromArrays() throws {
        let tokenizer = try tiny()
        #expect(tokenizer.vocabularySize == 260)
        #expect(tokenizer.encode("abc ab") == [257, 258])
        #expect(tokenizer.pieces("abc abd") == ["abc", "Ġab", "d"])
        #expect(tokenizer.encode("ab<|x|>ab") == [256, 259, 256])
        #expect(tokenizer.encode("ab<|x|>ab", matchingAddedTokens: false).count == 7)
        #expect(tokenizer.decode([256, 259, 258, 99_999, -1]) == "ab<|x|> ab\u{FFFD}\u{FFFD}")
        #expect(tokenizer.token(forID: 258) == "Ġab" && tokenizer.id(forToken: "Ġab") == 258 && tokenizer.id(forToken: "<|x|>") == 259)
        #expect(tokenizer.encode("") == [])
    }

    @Test func isolatingDigitsSplitsEveryNumber() throws {
        #expect(try tiny(preTokenizer: .gpt2IsolatingDigits).pieces("x 12ab") == ["x", "Ġ", "1", "2", "ab"])
        #expect(try BPEPreTokenizer(ggmlName: "smollm") == .gpt2)
        #expect(try BPEPreTokenizer(ggmlName: "smollm", isolatingDigitsForSmolLM: true) == .gpt2IsolatingDigits)
        #expect(throws: BPETokenizerError.unsupported("tokenizer.ggml.pre", expected: "gpt-2, smollm, starcoder, refact or codeshell",
                                                      found: "llama-bpe")) { try BPEPreTokenizer(ggmlName: "llama-bpe") }
    }

    @Test func conformsToTextTokenizer() {
        let tokenizer: any TextTokenizer = TokenizerFixtures.gpt2
        #expect(tokenizer.vocabularySize == 50257)
        #expect(tokenizer.decode(tokenizer.encode("any tokenizer")) == "any tokenizer")
    }

    /// Copies share the tables and the cache pool; concurrent encodes give the serial ids.
    @Test func encodesConcurrently() async {
        let tokenizer = TokenizerFixtures.gpt2
        let texts = (0..<16).map { "Thread \($0): " + String(repeating: "the quick brown fox \($0) jumps; ", count: 200) }
        let serial = texts.map(tokenizer.encode)
        let parallel = await withTaskGroup(of: (Int, [Int]).self) { group in
            for (i, text) in texts.enumerated() { group.addTask { (i, tokenizer.encode(text)) } }
            var results = [[Int]](repeating: [], count: texts.count)
            for await (i, ids) in group { results[i] = ids }
            return results
        }
        #expect(parallel == serial)
    }

    /// decode(encode(s)) == s on every Swift and Markdown file of the repository.
    @Test func roundTripsTheRepository() throws {
        var files: [URL] = []
        let enumerator = FileManager.default.enumerator(at: TokenizerFixtures.packageRoot, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if url.lastPathComponent.hasPrefix(".") { enumerator?.skipDescendants(); continue }
            if ["swift", "md"].contains(url.pathExtension) { files.append(url) }
        }
        #expect(files.count > 100)
        let tokenizers = [TokenizerFixtures.gpt2] + [try TokenizerFixtures.smolLM2()].compactMap { $0 }
        var bytes = 0
        for url in files {
            let text = try String(contentsOf: url, encoding: .utf8)
            bytes += text.utf8.count
            for tokenizer in tokenizers {
                let ids = tokenizer.encode(text)
                #expect(tokenizer.decode(ids) == text, "\(url.path)")
                #expect(ids.allSatisfy { $0 >= 0 && $0 < tokenizer.vocabularySize })
            }
        }
        #expect(bytes > 1_000_000)
    }
}

@Suite struct BPETokenizerErrorTests {
    @Test func tiktokenLinesAreChecked() {
        #expect(throws: BPETokenizerError.malformedTiktokenLine(line: 2, expected: "\"base64 rank\" (two fields)", found: "\"IQ==\"")) {
            try BPETokenizer(tiktokenData: Data("Ig== 1\nIQ==\n".utf8))
        }
        #expect(throws: BPETokenizerError.malformedTiktokenLine(line: 1, expected: "a rank in 0..<2147483647", found: "\"Ig== x\"")) {
            try BPETokenizer(tiktokenData: Data("Ig== x\n".utf8))
        }
        #expect(throws: BPETokenizerError.duplicate(what: "tiktoken rank", found: "0 (line 2)")) {
            try BPETokenizer(tiktokenData: Data("Ig== 0\nIQ== 0\n".utf8))
        }
        #expect(throws: BPETokenizerError.self) { try BPETokenizer(tiktokenFile: URL(fileURLWithPath: "/nonexistent/gpt2.tiktoken")) }
    }

    @Test func tokenizerJSONRefusesWhatItCannotReproduce() {
        func load(_ json: String) throws(BPETokenizerError) -> BPETokenizer { try BPETokenizer(huggingFaceJSONData: Data(json.utf8)) }
        let model = #""model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#
        let byteLevel = #""pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}"#
        #expect(throws: BPETokenizerError.unsupported("normalizer", expected: "null", found: "an object")) {
            try load("{\(model), \(byteLevel), \"normalizer\": {\"type\": \"NFC\"}}")
        }
        #expect(throws: BPETokenizerError.unsupported("model.type", expected: "BPE", found: "WordPiece")) {
            try load(#"{"model": {"type": "WordPiece", "vocab": {}}, "pre_tokenizer": null}"#)
        }
        #expect(throws: BPETokenizerError.unsupported("pre_tokenizer.add_prefix_space", expected: "false", found: "true")) {
            try load("{\(model), \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true}}")
        }
        #expect(throws: BPETokenizerError.malformedMerge(index: 0, found: "a b c")) {
            try load(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}, "pre_tokenizer": {"type": "ByteLevel"}}"#)
        }
        #expect(throws: BPETokenizerError.mergeTokenNotInVocabulary(merge: 0, token: "c")) {
            try load(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "c"]]}, "pre_tokenizer": {"type": "ByteLevel"}}"#)
        }
        #expect(throws: BPETokenizerError.malformedJSON(path: "model.vocab[\"a\"]", expected: "an integer id", found: "the string \"0\"")) {
            try load(#"{"model": {"type": "BPE", "vocab": {"a": "0"}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}"#)
        }
        #expect(throws: BPETokenizerError.self) { try load("{\(model), \(byteLevel.replacingOccurrences(of: "ByteLevel", with: "Whitespace"))}") }
        #expect(throws: BPETokenizerError.self) { try load("[1, 2]") }
        #expect((try? load("{\(model), \(byteLevel)}"))?.encode("ab") == [2])
    }

    @Test func ggufArraysAreChecked() {
        #expect(throws: BPETokenizerError.lengthMismatch(what: "tokenizer.ggml.token_type", expected: 2, found: 1)) {
            try BPETokenizer(ggufTokens: ["a", "b"], merges: [], tokenTypes: [1], pre: "smollm")
        }
        #expect(throws: BPETokenizerError.malformedMerge(index: 0, found: "ab")) {
            try BPETokenizer(ggufTokens: ["a", "b", "ab"], merges: ["ab"], pre: "smollm")
        }
        #expect(throws: BPETokenizerError.duplicate(what: "token text", found: "\"a\" at ids 0 and 1")) {
            try BPETokenizer(ggufTokens: ["a", "a"], merges: [], pre: "gpt-2")
        }
        #expect((try? BPETokenizer(ggufTokens: ["a", "b", "ab", "<c>"], merges: ["a b"], tokenTypes: [1, 1, 1, 3], pre: "smollm"))?
            .encode("ab<c>ab") == [2, 3, 2])
    }

    @Test func errorsSayWhatWasExpectedAndFound() {
        let error = BPETokenizerError.malformedJSON(path: "model.merges[3]", expected: "\"left right\"", found: "the number 7")
        #expect(error.description == "tokenizer.json model.merges[3]: expected \"left right\", found the number 7")
    }
}
