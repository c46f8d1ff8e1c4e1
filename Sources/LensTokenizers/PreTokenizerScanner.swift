/// The GPT-2 pre-tokenizer pattern as a scanner over UTF-8 bytes (see ``BPEPreTokenizer``).
///
/// `pieceEnd` returns where the pre-token starting at `start` ends, deciding with at most one
/// scalar of lookahead past a run — which is all `\s+(?!\S)` needs: a whitespace run followed
/// by a non-space gives back its last scalar, so that " word" keeps its space.
enum PreTokenizerScanner {
    /// The scalar value and UTF-8 length at `i` (the bytes are valid UTF-8: they come from a `String`).
    @inline(__always)
    static func decode(_ p: UnsafePointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3) }
        return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4)
    }

    @inline(__always)
    static func classAt(_ p: UnsafePointer<UInt8>, _ i: Int) -> (ScalarClass, Int) {
        let (value, length) = decode(p, i)
        return (ScalarClassTable.classOf(value), length)
    }

    /// End (exclusive) of the pre-token that starts at `start` (< `end`); `end` is the end of the
    /// text or of the segment between added tokens.
    @inline(__always)
    static func pieceEnd(_ p: UnsafePointer<UInt8>, from start: Int, to end: Int, isolatingDigits: Bool) -> Int {
        let b0 = p[start]
        // 's 't 're 've 'm 'll 'd — tried first, as the pattern's first alternatives.
        if b0 == 0x27, start + 1 < end {
            let b1 = p[start + 1]
            if b1 == 0x73 || b1 == 0x74 || b1 == 0x6D || b1 == 0x64 { return start + 2 }  // s t m d
            if start + 2 < end {
                let b2 = p[start + 2]
                if (b1 == 0x72 && b2 == 0x65) || (b1 == 0x76 && b2 == 0x65) || (b1 == 0x6C && b2 == 0x6C) { return start + 3 }  // re ve ll
            }
        }
        var (cls, length) = classAt(p, start)
        var i = start + length
        // ` ?X+`: a space joins the run of letters, numbers or other scalars that follows it.
        // (When digits are isolated, a digit ends the segment, so the space stays apart.)
        if b0 == 0x20, i < end {
            let (next, nextLength) = classAt(p, i)
            if next != .whitespace, !(isolatingDigits && next == .number) {
                cls = next
                i += nextLength
            }
        }
        switch cls {
        case .number where isolatingDigits:
            return i
        case .letter, .number, .other:
            while i < end {
                let (c, l) = classAt(p, i)
                if c != cls { break }
                i += l
            }
            return i
        case .whitespace:
            var lastStart = start
            while i < end {
                let (c, l) = classAt(p, i)
                if c != .whitespace {
                    // `\s+(?!\S)` gives the last scalar back to the next pre-token; a lone
                    // whitespace scalar is taken by `\s+`. A digit that ends the segment counts as end of text.
                    if isolatingDigits && c == .number { return i }
                    return lastStart > start ? lastStart : i
                }
                lastStart = i
                i += l
            }
            return i
        }
    }
}
