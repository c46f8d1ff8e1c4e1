import Synchronization

/// The immutable tables of a ``BPETokenizer`` and its encode loop, shared by every copy of the
/// tokenizer (a class so that copying the struct copies one reference).
///
/// `@unchecked Sendable`: every stored table is written in `init` and only read afterwards; the
/// one mutable part, the pool of ``EncodeState``s, is behind a `Mutex`, and each state is used
/// by one `encode` call at a time.
final class BPECore: @unchecked Sendable {
    /// Where the merges come from, which decides which adjacent pairs merge.
    enum Merges {
        /// A merge list in rank order (Hugging Face, GGUF): pair (left id, right id) → rank =
        /// its index, result = the id of the concatenated text.
        case pairs([(left: Int32, right: Int32)])
        /// tiktoken: any two adjacent parts whose concatenated bytes are a token merge, with
        /// that token's rank (= its id). Equivalent to a pair table holding every split of every
        /// token into two tokens, which is what is built.
        case concatenationRanks
    }

    let vocabularySize: Int
    let preTokenizer: BPEPreTokenizer
    let ignoreMerges: Bool
    let unknownID: Int32?
    let addedTokens: [AddedToken]
    let matcher: AddedTokenMatcher
    /// Token text by id, as the vocabulary spells it (byte-level alphabet; added tokens verbatim).
    let tokenTexts: [String?]
    /// Ids of special added tokens, for decoding with `skippingSpecialTokens`.
    let specialIDs: Set<Int>

    /// Mergeable token bytes → id.
    let vocabulary: ByteStringTable
    let merges: PairMergeTable
    /// The id of each single byte (−1 when the vocabulary lacks it).
    let byteSymbols: UnsafeMutablePointer<Int32>
    /// Whether some byte has no token (never for GPT-2 or SmolLM2).
    let lacksSomeByte: Bool
    /// Decoded bytes of every id: `decodedBytes[decodedOffsets[id] ..< decodedOffsets[id + 1]]`;
    /// `hasBytes[id]` is false for ids no token has.
    let decodedBytes: [UInt8]
    let decodedOffsets: [Int]
    let hasBytes: [Bool]

    private let pool = Mutex<[EncodeState]>([])

    /// - Parameters:
    ///   - tokenBytes: by id, the bytes each mergeable token stands for (nil for ids that are not
    ///     mergeable tokens: gaps, or tokens whose text lies outside the byte alphabet).
    ///   - tokenTexts: by id, each token's text (may be longer than `tokenBytes`).
    ///   - decodeAs: by id, the bytes decoding produces (nil: no such token).
    init(tokenBytes: [[UInt8]?], tokenTexts: [String?], decodeAs: [[UInt8]?], merges: Merges, addedTokens: [AddedToken],
         preTokenizer: BPEPreTokenizer, ignoreMerges: Bool, unknownID: Int?) throws(BPETokenizerError) {
        let size = max(tokenBytes.count, tokenTexts.count, decodeAs.count, (addedTokens.map(\.id).max() ?? -1) + 1)
        vocabularySize = size
        self.preTokenizer = preTokenizer
        self.ignoreMerges = ignoreMerges
        self.unknownID = unknownID.map { Int32($0) }
        self.addedTokens = addedTokens
        matcher = AddedTokenMatcher(addedTokens)
        specialIDs = Set(addedTokens.filter(\.special).map(\.id))

        var texts = tokenTexts + [String?](repeating: nil, count: size - tokenTexts.count)
        var decoded = decodeAs + [[UInt8]?](repeating: nil, count: size - decodeAs.count)
        for token in addedTokens {
            texts[token.id] = token.content
            if decoded[token.id] == nil { decoded[token.id] = Array(token.content.utf8) }
        }
        self.tokenTexts = texts
        var flat: [UInt8] = []
        var offsets = [0]
        offsets.reserveCapacity(size + 1)
        for bytes in decoded {
            flat.append(contentsOf: bytes ?? [])
            offsets.append(flat.count)
        }
        decodedBytes = flat
        decodedOffsets = offsets
        hasBytes = decoded.map { $0 != nil }

        let keyBytes = tokenBytes.reduce(0) { $0 + ($1?.count ?? 0) }
        let vocabulary = ByteStringTable(maxEntries: tokenBytes.count, keyBytes: keyBytes, valueCount: tokenBytes.count)
        for (id, bytes) in tokenBytes.enumerated() {
            guard let bytes else { continue }
            // The first id wins, so that a duplicate cannot make encoding depend on hash order.
            vocabulary.insert(bytes, value: Int32(id))
        }
        let byteSymbols = UnsafeMutablePointer<Int32>.allocate(capacity: 256)
        for byte in 0..<256 {
            byteSymbols[byte] = [UInt8(byte)].withUnsafeBufferPointer { vocabulary.firstValue($0.baseAddress!, 1) } ?? -1
        }
        lacksSomeByte = (0..<256).contains { byteSymbols[$0] < 0 }

        let mergeTable: PairMergeTable
        switch merges {
        case .pairs(let list):
            let table = PairMergeTable(capacity: list.count)
            for (rank, pair) in list.enumerated() {
                guard let left = tokenBytes[Int(pair.left)], let right = tokenBytes[Int(pair.right)] else {
                    throw .mergeTokenNotInVocabulary(merge: rank, token: tokenTexts[Int(pair.left)] ?? "#\(pair.left)")
                }
                let joined = left + right
                guard let merged = joined.withUnsafeBufferPointer({ vocabulary.firstValue($0.baseAddress!, $0.count) }) else {
                    throw .mergeTokenNotInVocabulary(merge: rank, token: ByteLevelAlphabet.encode(joined))
                }
                table.set(pair.left, pair.right, rank: Int32(rank), merged: merged)
            }
            mergeTable = table
        case .concatenationRanks:
            let splits = tokenBytes.reduce(0) { $0 + max(0, ($1?.count ?? 0) - 1) }
            let table = PairMergeTable(capacity: splits)
            for (id, bytes) in tokenBytes.enumerated() {
                guard let bytes, bytes.count > 1 else { continue }
                bytes.withUnsafeBufferPointer { b in
                    let base = b.baseAddress!
                    for cut in 1..<b.count {
                        if let left = vocabulary.firstValue(base, cut), let right = vocabulary.firstValue(base + cut, b.count - cut) {
                            table.set(left, right, rank: Int32(id), merged: Int32(id))
                        }
                    }
                }
            }
            mergeTable = table
        }
        self.vocabulary = vocabulary
        self.byteSymbols = byteSymbols
        self.merges = mergeTable
    }

    deinit { byteSymbols.deallocate() }

    // MARK: Encoding

    func encode(_ text: UnsafeBufferPointer<UInt8>, matchingAddedTokens: Bool) -> [Int] {
        var out: [Int] = []
        guard let p = text.baseAddress, text.count > 0 else { return out }
        out.reserveCapacity(text.count / 3 + 4)
        let state = pool.withLock { $0.popLast() } ?? EncodeState()
        if matchingAddedTokens && !matcher.isEmpty {
            for segment in matcher.segments(p, count: text.count) {
                if let id = segment.id { out.append(id) } else { encodeOrdinary(p, segment.start, segment.end, state, &out) }
            }
        } else {
            encodeOrdinary(p, 0, text.count, state, &out)
        }
        pool.withLock { if $0.count < 4 { $0.append(state) } }
        return out
    }

    /// Pre-tokenizes `p[start..<end]` and appends the ids of every pre-token.
    private func encodeOrdinary(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ state: EncodeState, _ out: inout [Int]) {
        let isolating = preTokenizer.isolatesDigits
        var i = start
        while i < end {
            let j = PreTokenizerScanner.pieceEnd(p, from: i, to: end, isolatingDigits: isolating)
            encodePiece(p + i, j - i, state, &out)
            i = j
        }
    }

    @inline(__always)
    private func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, _ state: EncodeState, _ out: inout [Int]) {
        if n == 1 {
            appendSymbol(byteSymbols[Int(p[0])], &out)
            return
        }
        if ignoreMerges, let id = vocabulary.firstValue(p, n) {
            out.append(Int(id))
            return
        }
        let cacheable = n <= EncodeState.maxCachedLength
        var hash: UInt64 = 0
        if cacheable {
            hash = hashBytes(p, n)
            if let (start, count) = state.cache.find(p, n, hash: hash) {
                let values = state.cache.valueBase + start
                for k in 0..<count { out.append(Int(values[k])) }
                return
            }
        }
        state.reserve(n)
        let symbols = state.symbols
        var count = 0
        if lacksSomeByte {
            // A byte the vocabulary lacks becomes the unknown token if there is one, else is
            // dropped before merging, so its neighbours may merge (Hugging Face's `merge_word`;
            // SmolLM2 lacks 21 bytes, e.g. 0x04 and 0xF1: "." 0x04 "." encodes as "..").
            for k in 0..<n {
                let symbol = byteSymbols[Int(p[k])]
                if symbol >= 0 {
                    symbols[count] = symbol
                    count += 1
                } else if let unknownID {
                    symbols[count] = unknownID
                    count += 1
                }
            }
        } else {
            for k in 0..<n { symbols[k] = byteSymbols[Int(p[k])] }
            count = n
        }
        let kept = BPEMerger.merge(state, count: count, table: merges)
        for k in 0..<kept { out.append(Int(symbols[k])) }
        if cacheable {
            if state.cache.isFull { state.cache.removeAll() }
            state.cache.insert(p, n, hash: hash, values: UnsafeBufferPointer(start: symbols, count: kept))
        }
    }

    /// Appends a single byte's id (or the unknown token, or nothing, as in ``encodePiece``).
    @inline(__always)
    private func appendSymbol(_ id: Int32, _ out: inout [Int]) {
        if id >= 0 { out.append(Int(id)) } else if let unknownID { out.append(Int(unknownID)) }
    }

    // MARK: Decoding

    /// The bytes of `tokens`; ids without a token become U+FFFD's bytes.
    func decodeBytes(_ tokens: [Int], skippingSpecialTokens: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count * 4)
        for id in tokens {
            guard id >= 0 && id < vocabularySize && hasBytes[id] else {
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])
                continue
            }
            if skippingSpecialTokens && specialIDs.contains(id) { continue }
            bytes.append(contentsOf: decodedBytes[decodedOffsets[id]..<decodedOffsets[id + 1]])
        }
        return bytes
    }
}
