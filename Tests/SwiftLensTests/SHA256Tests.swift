import Foundation
import SwiftLens
import Testing

/// SHA-256 against the FIPS 180-4 / NIST example vectors, fed whole and in uneven pieces.
@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func knownVectors(message: String, expected: String) {
        #expect(SHA256.hexDigest(of: Data(message.utf8)) == expected)
    }

    /// One million "a": 15,625 blocks, fed in pieces of 1 to 130 bytes so every split of a
    /// block (and the padding after a partial one) is exercised.
    @Test func millionAsInPieces() {
        let bytes = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(SHA256.hexDigest(of: bytes) == expected)
        var hash = SHA256()
        var start = 0, size = 1
        while start < bytes.count {
            let end = min(bytes.count, start + size)
            hash.update(bytes[start..<end])
            start = end
            size = size % 130 + 1
        }
        #expect(hash.hexDigest() == expected)
    }

    /// Lengths around the padding boundary (55, 56, 63, 64, 65 bytes) agree between one piece
    /// and byte-at-a-time, and the digest leaves the hash usable.
    @Test func paddingBoundaries() {
        // sha256 of 55/56/64 "a"s (computed with Python's hashlib).
        let known = [55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
                     56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
                     64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"]
        for n in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let data = Data(repeating: UInt8(ascii: "a"), count: n)
            var bytewise = SHA256()
            for b in data { bytewise.update(Data([b])) }
            #expect(bytewise.hexDigest() == SHA256.hexDigest(of: data), "length \(n)")
            if let k = known[n] { #expect(SHA256.hexDigest(of: data) == k, "length \(n)") }
        }
        var hash = SHA256()
        hash.update(Data("ab".utf8))
        _ = hash.hexDigest()
        hash.update(Data("c".utf8))
        #expect(hash.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func fileDigestStreamsAndNamesAMissingFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        // Larger than one read (1 MB) and not a multiple of 64.
        let data = Data((0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
        try data.write(to: url)
        #expect(try SHA256.hexDigest(ofFileAt: url) == SHA256.hexDigest(of: data))
        let missing = url.appendingPathExtension("absent")
        #expect { try SHA256.hexDigest(ofFileAt: missing) } throws: { "\($0)".contains(missing.path) }
    }
}
