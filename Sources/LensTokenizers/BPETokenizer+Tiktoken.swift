import Foundation

extension BPETokenizer {
    /// GPT-2's tokenizer from a tiktoken `.tiktoken` file (`gpt2.tiktoken`, as shipped in
    /// `openai-whisper`), giving tiktoken's `gpt2` / `r50k_base` ids.
    ///
    /// The file holds one token per line: its bytes in base64, a space, its rank (blank lines are
    /// skipped). The rank is the id. tiktoken merges any two adjacent parts whose concatenated
    /// bytes are a token, lowest rank first, and emits a pre-token that is itself a token directly;
    /// both rules are reproduced (see `BPECore.Merges.concatenationRanks`). Special tokens are not
    /// in the file.
    ///
    /// - Parameters:
    ///   - url: the `.tiktoken` file.
    ///   - specialTokens: text → id of the special tokens; nil means GPT-2's: `<|endoftext|>` with
    ///     the id after the last rank (50,256 for `gpt2.tiktoken`).
    ///   - matchesAddedTokens: the default of ``matchesAddedTokens``; off, as tiktoken's reference
    ///     ids are `encode_ordinary`.
    /// - Throws: ``BPETokenizerError/unreadableFile(path:reason:)``,
    ///   ``BPETokenizerError/malformedTiktokenLine(line:expected:found:)`` or a duplicate rank/token.
    public init(tiktokenFile url: URL, specialTokens: [String: Int]? = nil, matchesAddedTokens: Bool = false) throws(BPETokenizerError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadableFile(path: url.path, reason: "\(error)") }
        try self.init(tiktokenData: data, specialTokens: specialTokens, matchesAddedTokens: matchesAddedTokens)
    }

    /// As ``init(tiktokenFile:specialTokens:matchesAddedTokens:)``, from the file's bytes.
    public init(tiktokenData data: Data, specialTokens: [String: Int]? = nil, matchesAddedTokens: Bool = false) throws(BPETokenizerError) {
        var byRank: [Int: [UInt8]] = [:]
        var seen = Set<[UInt8]>()
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty { continue }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            let text = String(decoding: line.prefix(80), as: UTF8.self).debugDescription
            guard parts.count == 2 else {
                throw .malformedTiktokenLine(line: lineNumber, expected: "\"base64 rank\" (two fields)", found: text)
            }
            guard let bytes = Data(base64Encoded: Data(parts[0])), !bytes.isEmpty else {
                throw .malformedTiktokenLine(line: lineNumber, expected: "non-empty base64 token bytes", found: text)
            }
            guard let rank = Int(String(decoding: parts[1], as: UTF8.self)), rank >= 0, rank < Int(Int32.max) else {
                throw .malformedTiktokenLine(line: lineNumber, expected: "a rank in 0..<2147483647", found: text)
            }
            let token = [UInt8](bytes)
            guard byRank.updateValue(token, forKey: rank) == nil else {
                throw .duplicate(what: "tiktoken rank", found: "\(rank) (line \(lineNumber))")
            }
            guard seen.insert(token).inserted else {
                throw .duplicate(what: "tiktoken token", found: "\(ByteLevelAlphabet.encode(token).debugDescription) (line \(lineNumber))")
            }
        }
        let rankCount = (byRank.keys.max() ?? -1) + 1
        var tokenBytes = [[UInt8]?](repeating: nil, count: rankCount)
        for (rank, bytes) in byRank { tokenBytes[rank] = bytes }
        let specials = specialTokens ?? ["<|endoftext|>": rankCount]
        var added: [AddedToken] = []
        for (text, id) in specials.sorted(by: { $0.value < $1.value }) {
            guard id >= 0 && id < Int(Int32.max) else { throw .invalidID(what: "special token \(text.debugDescription)", found: id) }
            if id < rankCount && tokenBytes[id] != nil {
                throw .duplicate(what: "id", found: "special token \(text.debugDescription) reuses rank \(id)")
            }
            added.append(AddedToken(text, id: id, special: true))
        }
        let texts = tokenBytes.map { $0.map(ByteLevelAlphabet.encode) }
        // tiktoken decodes a special token to its UTF-8 text (BPECore's default for added tokens).
        let core = try BPECore(tokenBytes: tokenBytes, tokenTexts: texts, decodeAs: tokenBytes, merges: .concatenationRanks,
                               addedTokens: added, preTokenizer: .gpt2, ignoreMerges: true, unknownID: nil)
        self.init(core: core, matchesAddedTokens: matchesAddedTokens)
    }
}
