/// GPT-2's reversible map from the 256 byte values to 256 printable Unicode characters, in which
/// byte-level BPE vocabularies (`tokenizer.json`, GGUF `tokenizer.ggml.tokens`) spell their tokens.
///
/// Bytes that are already printable and not a space map to the character of the same value —
/// `!`…`~` (0x21–0x7E), `¡`…`¬` (0xA1–0xAC), `®`…`ÿ` (0xAE–0xFF), 188 in all; the other 68
/// (0x00–0x20, 0x7F–0xA0, 0xAD), in increasing order, map to U+0100, U+0101, … U+0143. So space
/// is `Ġ` (U+0120) and newline `Ċ` (U+010A). The point is that a token's text never contains a
/// space or a control character, so merges can be written "left right".
public enum ByteLevelAlphabet {
    /// The character of each byte value, indexed by byte.
    public static let characters: [Unicode.Scalar] = {
        var map = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 0x100
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                map[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                map[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return map
    }()

    /// The byte a character stands for, or nil for characters outside the alphabet (Hugging Face's
    /// decoder passes those through as their own UTF-8).
    public static func byte(for character: Unicode.Scalar) -> UInt8? {
        let value = character.value
        if value < 0x100 {
            return characters[Int(value)] == character ? UInt8(value) : nil
        }
        return value <= 0x143 ? inverse[Int(value - 0x100)] : nil
    }

    /// Bytes of U+0100…U+0143, in order.
    private static let inverse: [UInt8] = (0..<256).compactMap { byte in
        characters[byte].value >= 0x100 ? UInt8(byte) : nil
    }

    /// The alphabet's spelling of `bytes` (GPT-2's token text).
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(characters[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes a token's text stands for: each character of the alphabet becomes its byte, any
    /// other character its own UTF-8 bytes (as Hugging Face's `ByteLevel` decoder does); the
    /// second value says whether every character was in the alphabet.
    public static func decode(_ text: String) -> (bytes: [UInt8], allInAlphabet: Bool) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var all = true
        for scalar in text.unicodeScalars {
            if let byte = byte(for: scalar) {
                bytes.append(byte)
            } else {
                all = false
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return (bytes, all)
    }
}
