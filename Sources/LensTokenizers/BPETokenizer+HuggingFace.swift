import Foundation

extension BPETokenizer {
    /// The pre-token patterns a `Split` pre-tokenizer may carry to mean GPT-2's (the original and
    /// tiktoken's possessive rewrite, which split identically).
    static let gpt2Patterns: Set<String> = [
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#,
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#,
        #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#,
        #"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#,
    ]

    /// A tokenizer from a Hugging Face `tokenizer.json` of a byte-level BPE model (GPT-2, SmolLM2,
    /// …), giving the ids of `tokenizer(text)` in Python (no post-processor: a BOS that a
    /// `TemplateProcessing` post-processor would add is the caller's to add).
    ///
    /// Read: `model` (`type` BPE; `vocab`; `merges` as "a b" strings or [a, b] arrays; `unk_token`;
    /// `ignore_merges`), `added_tokens`, `pre_tokenizer` (`ByteLevel` with its regex;
    /// `Sequence[Digits(individual_digits), ByteLevel]`; `Sequence[Split(GPT-2 pattern), ByteLevel]`),
    /// `normalizer` (must be null) and `decoder` (`ByteLevel` or null). Anything else that would
    /// change the ids — an NFC normalizer, `byte_fallback`, the Llama 3 pattern, `add_prefix_space` —
    /// is refused with ``BPETokenizerError/unsupported(_:expected:found:)`` rather than tokenized
    /// differently.
    public init(huggingFaceJSON url: URL) throws(BPETokenizerError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadableFile(path: url.path, reason: "\(error)") }
        try self.init(huggingFaceJSONData: data)
    }

    /// As ``init(huggingFaceJSON:)``, from the file's bytes.
    public init(huggingFaceJSONData data: Data) throws(BPETokenizerError) {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw .malformedJSON(path: "(root)", expected: "JSON", found: "\(error)")
        }
        let root = try JSONReader.object(parsed, "(root)")
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw .unsupported("normalizer", expected: "null", found: JSONReader.describe(normalizer))
        }
        let model = try JSONReader.object(root["model"], "model")
        if let type = model["type"] {
            let name = try JSONReader.string(type, "model.type")
            guard name == "BPE" else { throw .unsupported("model.type", expected: "BPE", found: name) }
        }
        if let dropout = model["dropout"], !(dropout is NSNull), (dropout as? Double) != 0 {
            throw .unsupported("model.dropout", expected: "null", found: JSONReader.describe(dropout))
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key], !(value is NSNull), (value as? String) != "" {
                throw .unsupported("model.\(key)", expected: "null", found: JSONReader.describe(value))
            }
        }
        if try JSONReader.bool(model["byte_fallback"], "model.byte_fallback") ?? false {
            throw .unsupported("model.byte_fallback", expected: "false (byte-level BPE needs no fallback)", found: "true")
        }
        let ignoreMerges = try JSONReader.bool(model["ignore_merges"], "model.ignore_merges") ?? false

        // Vocabulary: text → id, possibly with gaps.
        let vocab = try JSONReader.object(model["vocab"], "model.vocab")
        var byID: [Int: String] = [:]
        byID.reserveCapacity(vocab.count)
        for (text, value) in vocab {
            let id = try JSONReader.id(value, "model.vocab[\(text.debugDescription)]")
            if let other = byID.updateValue(text, forKey: id) {
                throw .duplicate(what: "id in model.vocab", found: "\(id) for \(other.debugDescription) and \(text.debugDescription)")
            }
        }
        var tokens = [String?](repeating: nil, count: (byID.keys.max() ?? -1) + 1)
        for (id, text) in byID { tokens[id] = text }

        let merges = try Self.readMerges(model["merges"])
        var unknownID: Int?
        if let unk = model["unk_token"], !(unk is NSNull) {
            let text = try JSONReader.string(unk, "model.unk_token")
            guard let id = vocab[text].flatMap({ $0 as? Int }) else {
                throw .malformedJSON(path: "model.unk_token", expected: "a token of model.vocab", found: text.debugDescription)
            }
            unknownID = id
        }

        var added: [AddedToken] = []
        if let list = root["added_tokens"], !(list is NSNull) {
            for (i, item) in try JSONReader.array(list, "added_tokens").enumerated() {
                let path = "added_tokens[\(i)]"
                let entry = try JSONReader.object(item, path)
                let content = try JSONReader.string(entry["content"], "\(path).content")
                guard !content.isEmpty else { throw .malformedJSON(path: "\(path).content", expected: "non-empty text", found: "\"\"") }
                added.append(AddedToken(content, id: try JSONReader.id(entry["id"], "\(path).id"),
                                        special: try JSONReader.bool(entry["special"], "\(path).special") ?? false,
                                        leftStrip: try JSONReader.bool(entry["lstrip"], "\(path).lstrip") ?? false,
                                        rightStrip: try JSONReader.bool(entry["rstrip"], "\(path).rstrip") ?? false,
                                        singleWord: try JSONReader.bool(entry["single_word"], "\(path).single_word") ?? false,
                                        normalized: try JSONReader.bool(entry["normalized"], "\(path).normalized") ?? false))
            }
        }
        let preTokenizer = try Self.readPreTokenizer(root["pre_tokenizer"])
        if let decoder = root["decoder"], !(decoder is NSNull) {
            let node = try JSONReader.object(decoder, "decoder")
            let type = try JSONReader.string(node["type"], "decoder.type")
            guard type == "ByteLevel" else { throw .unsupported("decoder", expected: "ByteLevel or null", found: type) }
        }
        try self.init(vocabulary: tokens, merges: merges, addedTokens: added, preTokenizer: preTokenizer,
                      ignoreMerges: ignoreMerges, unknownTokenID: unknownID, matchesAddedTokens: true)
    }

    /// `model.merges`: "a b" strings (split on the single space; `#version` lines skipped) or
    /// two-element arrays.
    static func readMerges(_ value: Any?) throws(BPETokenizerError) -> [(String, String)] {
        guard let value, !(value is NSNull) else { return [] }
        var merges: [(String, String)] = []
        for (i, item) in try JSONReader.array(value, "model.merges").enumerated() {
            if let text = item as? String {
                if i == 0 && text.hasPrefix("#version") { continue }
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .malformedMerge(index: i, found: text) }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = item as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                merges.append((left, right))
            } else {
                throw .malformedJSON(path: "model.merges[\(i)]", expected: "\"left right\" or [\"left\", \"right\"]",
                                     found: JSONReader.describe(item))
            }
        }
        return merges
    }

    static func readPreTokenizer(_ value: Any?) throws(BPETokenizerError) -> BPEPreTokenizer {
        guard let value, !(value is NSNull) else {
            throw .unsupported("pre_tokenizer", expected: "ByteLevel or a Sequence ending in ByteLevel", found: "null")
        }
        let node = try JSONReader.object(value, "pre_tokenizer")
        let type = try JSONReader.string(node["type"], "pre_tokenizer.type")
        switch type {
        case "ByteLevel":
            try checkByteLevel(node, "pre_tokenizer", regex: true)
            return .gpt2
        case "Sequence":
            let steps = try JSONReader.array(node["pretokenizers"], "pre_tokenizer.pretokenizers").enumerated().map {
                (i, step) throws(BPETokenizerError) in try JSONReader.object(step, "pre_tokenizer.pretokenizers[\(i)]")
            }
            let types = try steps.enumerated().map { (i, step) throws(BPETokenizerError) in
                try JSONReader.string(step["type"], "pre_tokenizer.pretokenizers[\(i)].type")
            }
            let last = "pre_tokenizer.pretokenizers[\(steps.count - 1)]"
            switch types {
            case ["ByteLevel"]:
                try checkByteLevel(steps[0], last, regex: true)
                return .gpt2
            case ["Digits", "ByteLevel"]:
                guard try JSONReader.bool(steps[0]["individual_digits"], "pre_tokenizer.pretokenizers[0].individual_digits") == true else {
                    throw .unsupported("pre_tokenizer.pretokenizers[0]", expected: "Digits(individual_digits: true)",
                                       found: "Digits(individual_digits: false)")
                }
                try checkByteLevel(steps[1], last, regex: true)
                return .gpt2IsolatingDigits
            case ["Split", "ByteLevel"]:
                let split = steps[0]
                let pattern = try JSONReader.object(split["pattern"], "pre_tokenizer.pretokenizers[0].pattern")
                let regex = (pattern["Regex"] as? String) ?? JSONReader.describe(pattern)
                guard gpt2Patterns.contains(regex) else {
                    throw .unsupported("pre_tokenizer Split pattern", expected: "GPT-2's pattern", found: regex)
                }
                let behavior = (split["behavior"] as? String) ?? "?"
                guard behavior == "Isolated", (try JSONReader.bool(split["invert"], "pre_tokenizer.pretokenizers[0].invert") ?? false) == false else {
                    throw .unsupported("pre_tokenizer Split", expected: "behavior Isolated, invert false", found: "behavior \(behavior)")
                }
                try checkByteLevel(steps[1], last, regex: false)
                return .gpt2
            default:
                throw .unsupported("pre_tokenizer", expected: "Sequence[ByteLevel], Sequence[Digits, ByteLevel] or Sequence[Split, ByteLevel]",
                                   found: "Sequence\(types)")
            }
        default:
            throw .unsupported("pre_tokenizer", expected: "ByteLevel or Sequence", found: type)
        }
    }

    /// A `ByteLevel` step must not add a prefix space, and must (or, after a `Split`, must not)
    /// apply its own GPT-2 regex.
    static func checkByteLevel(_ node: [String: Any], _ path: String, regex: Bool) throws(BPETokenizerError) {
        if try JSONReader.bool(node["add_prefix_space"], "\(path).add_prefix_space") == true {
            throw .unsupported("\(path).add_prefix_space", expected: "false", found: "true")
        }
        let useRegex = try JSONReader.bool(node["use_regex"], "\(path).use_regex") ?? true
        if useRegex != regex {
            throw .unsupported("\(path).use_regex", expected: "\(regex)", found: "\(useRegex)")
        }
    }
}

/// Typed access to `JSONSerialization` output, each failure naming the path, what was expected
/// and what was found.
enum JSONReader {
    static func describe(_ value: Any?) -> String {
        switch value {
        case nil: "nothing"
        case is NSNull: "null"
        case let s as String: "the string \(s.prefix(60).debugDescription)"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case let n as NSNumber: "the number \(n)"
        default: "\(type(of: value!))"
        }
    }

    static func object(_ value: Any?, _ path: String) throws(BPETokenizerError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw .malformedJSON(path: path, expected: "an object", found: describe(value)) }
        return object
    }

    static func array(_ value: Any?, _ path: String) throws(BPETokenizerError) -> [Any] {
        guard let array = value as? [Any] else { throw .malformedJSON(path: path, expected: "an array", found: describe(value)) }
        return array
    }

    static func string(_ value: Any?, _ path: String) throws(BPETokenizerError) -> String {
        guard let string = value as? String else { throw .malformedJSON(path: path, expected: "a string", found: describe(value)) }
        return string
    }

    /// nil when absent or null.
    static func bool(_ value: Any?, _ path: String) throws(BPETokenizerError) -> Bool? {
        guard let value, !(value is NSNull) else { return nil }
        guard let bool = value as? Bool else { throw .malformedJSON(path: path, expected: "true or false", found: describe(value)) }
        return bool
    }

    static func id(_ value: Any?, _ path: String) throws(BPETokenizerError) -> Int {
        guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue) else {
            throw .malformedJSON(path: path, expected: "an integer id", found: describe(value))
        }
        guard id >= 0 && id < Int(Int32.max) else { throw .invalidID(what: path, found: id) }
        return id
    }
}
