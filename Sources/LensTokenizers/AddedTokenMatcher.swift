/// Finds added tokens in raw UTF-8, leftmost-longest, in Hugging Face's two passes (tokens with
/// `normalized: false` first, then the others inside the gaps).
///
/// A 256-entry table of first bytes lets the scan skip every byte that cannot start an added
/// token (for `<|…|>` tokens, all but `<`), so text without them costs one load per byte.
struct AddedTokenMatcher: Sendable {
    struct Candidate: Sendable {
        let bytes: [UInt8]
        let token: AddedToken
    }

    /// A piece of the text: an added token's id, or plain text to pre-tokenize.
    struct Segment {
        var start: Int
        var end: Int
        var id: Int?
    }

    private struct Pass: Sendable {
        /// Candidates by first byte, longest first.
        var byFirstByte: [[Candidate]] = Array(repeating: [], count: 256)
        var isEmpty = true

        mutating func add(_ token: AddedToken) {
            let bytes = Array(token.content.utf8)
            guard let first = bytes.first else { return }
            byFirstByte[Int(first)].append(Candidate(bytes: bytes, token: token))
            byFirstByte[Int(first)].sort { $0.bytes.count > $1.bytes.count }
            isEmpty = false
        }
    }

    private var passes: [Pass] = [Pass(), Pass()]
    var isEmpty: Bool { passes.allSatisfy(\.isEmpty) }

    init(_ tokens: [AddedToken]) {
        for token in tokens { passes[token.normalized ? 1 : 0].add(token) }
    }

    /// The segments of `p[start..<end]`, in order, covering it.
    func segments(_ p: UnsafePointer<UInt8>, count: Int) -> [Segment] {
        var out: [Segment] = []
        split(p, 0, count, total: count, pass: 0, into: &out)
        return out
    }

    private func split(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, total: Int, pass: Int, into out: inout [Segment]) {
        func plain(_ s: Int, _ e: Int) {
            guard s < e else { return }
            if pass + 1 < passes.count && !passes[pass + 1].isEmpty {
                split(p, s, e, total: total, pass: pass + 1, into: &out)
            } else {
                out.append(Segment(start: s, end: e, id: nil))
            }
        }
        let candidates = passes[pass].byFirstByte
        var gapStart = start
        var i = start
        while i < end {
            let list = candidates[Int(p[i])]
            guard !list.isEmpty else { i += 1; continue }
            var matched: Candidate?
            for candidate in list where candidate.bytes.count <= end - i {
                if candidate.bytes.withUnsafeBufferPointer({ memoryEqual($0.baseAddress!, p + i, $0.count) }) {
                    matched = candidate
                    break
                }
            }
            guard let match = matched else { i += 1; continue }
            var matchStart = i, matchEnd = i + match.bytes.count
            if match.token.singleWord && (isWordCharacter(before: matchStart, p) || isWordCharacter(at: matchEnd, p, total)) {
                i = matchEnd
                continue
            }
            if match.token.leftStrip {
                while matchStart > gapStart, let before = scalarStart(before: matchStart, p),
                      PreTokenizerScanner.classAt(p, before).0 == .whitespace {
                    matchStart = before
                }
            }
            if match.token.rightStrip {
                while matchEnd < end, case let (cls, length) = PreTokenizerScanner.classAt(p, matchEnd), cls == .whitespace {
                    matchEnd += length
                }
            }
            plain(gapStart, matchStart)
            out.append(Segment(start: matchStart, end: matchEnd, id: match.token.id))
            gapStart = matchEnd
            i = matchEnd
        }
        plain(gapStart, end)
    }

    private func scalarStart(before index: Int, _ p: UnsafePointer<UInt8>) -> Int? {
        guard index > 0 else { return nil }
        var i = index - 1
        while i > 0 && p[i] & 0xC0 == 0x80 { i -= 1 }
        return i
    }

    private func isWordCharacter(before index: Int, _ p: UnsafePointer<UInt8>) -> Bool {
        guard let start = scalarStart(before: index, p) else { return false }
        return isWordCharacter(at: start, p, index)
    }

    /// Letters, numbers and `_` make a word (Hugging Face's `single_word` boundary test).
    private func isWordCharacter(at index: Int, _ p: UnsafePointer<UInt8>, _ end: Int) -> Bool {
        guard index < end else { return false }
        if p[index] == 0x5F { return true }
        let cls = PreTokenizerScanner.classAt(p, index).0
        return cls == .letter || cls == .number
    }
}
