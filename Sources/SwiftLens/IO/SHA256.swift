import Foundation

/// SHA-256 (FIPS 180-4), for checking downloaded checkpoints against published hashes.
///
/// Foundation has no SHA-256 on Linux (CryptoKit is Apple-only and swift-crypto is a third-party
/// package, which SwiftLens does not depend on), and a model file is only worth loading once its
/// bytes are known to be the published ones: the real-model tests check the fetched GGUF with
/// it, and a hub client can check each file it downloads.
///
/// ```swift
/// var hash = SHA256()
/// hash.update(Data("abc".utf8))
/// hash.hexDigest()                                   // "ba7816bf…f20015ad"
/// try SHA256.hexDigest(ofFileAt: url)                // streams the file, 1 MB at a time
/// ```
///
/// Streaming: ``update(_:)-(UnsafeRawBufferPointer)`` takes any number of pieces of any size, so
/// a file is hashed without holding it in memory.
public struct SHA256: Sendable {
    /// The hash so far (H0…H7).
    private var state: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    /// Bytes not yet hashed: fewer than one 64-byte block.
    private var pending: [UInt8] = []
    /// Bytes given so far, for the final padding.
    private var length: UInt64 = 0

    /// A hash of no bytes yet.
    public init() {}

    /// Bytes read from a file at once by ``hexDigest(ofFileAt:)``.
    static let fileChunkBytes = 1 << 20

    /// The round constants (the first 32 bits of the fractional parts of the cube roots of the
    /// first 64 primes).
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// Adds `bytes` to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        length &+= UInt64(bytes.count)
        var start = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending += bytes[0..<take]
            start = take
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { Self.compress(&state, blocks: $0.baseAddress!, count: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let whole = (bytes.count - start) / 64
        if whole > 0 { Self.compress(&state, blocks: bytes.baseAddress! + start, count: whole) }
        start += whole * 64
        if start < bytes.count { pending += bytes[start...] }
    }

    /// Adds `data` to the hash.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest of everything given so far (this value is left unchanged, so more can
    /// still be added to it).
    public func digest() -> [UInt8] {
        var copy = self
        let bits = length &* 8
        var tail: [UInt8] = [0x80] + [UInt8](repeating: 0, count: (119 - pending.count) % 64)
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        let total = copy.length
        tail.withUnsafeBytes { copy.update($0) }
        copy.length = total
        precondition(copy.pending.isEmpty, "SHA-256 padding must end on a block boundary")
        return copy.state.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }

    /// The digest as 64 lowercase hexadecimal digits, the way hashes are published.
    public func hexDigest() -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// The hex digest of `data`.
    public static func hexDigest(of data: Data) -> String {
        var hash = SHA256()
        hash.update(data)
        return hash.hexDigest()
    }

    /// The hex digest of the file at `url`, read in 1 MB pieces (never the whole file at once).
    /// A file that cannot be opened or read is a ``ModelError/io(_:)`` naming it.
    public static func hexDigest(ofFileAt url: URL) throws -> String {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw ModelError.io("cannot open \(url.path) to hash it: \((error as NSError).localizedDescription)")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: fileChunkBytes) } catch {
                throw ModelError.io("cannot read \(url.path) to hash it: \((error as NSError).localizedDescription)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            hash.update(chunk)
        }
        return hash.hexDigest()
    }

    /// Hashes `count` consecutive 64-byte blocks at `blocks` into `state`. Written with masking
    /// shifts (`&>>`, `&<<`, transparent even unoptimised), raw pointers and no helper calls, so
    /// that a debug build — which the test suite uses — still hashes a 100 MB model in seconds.
    private static func compress(_ state: inout [UInt32], blocks: UnsafeRawPointer, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            k.withUnsafeBufferPointer { constants in
                state.withUnsafeMutableBufferPointer { hash in
                    let w = schedule.baseAddress!, k = constants.baseAddress!, h = hash.baseAddress!
                    for block in 0..<count {
                        let base = blocks + 64 &* block
                        for i in 0..<16 { w[i] = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self)) }
                        for i in 16..<64 {
                            let x = w[i &- 15], y = w[i &- 2]
                            let s0 = (x &>> 7 | x &<< 25) ^ (x &>> 18 | x &<< 14) ^ (x &>> 3)
                            let s1 = (y &>> 17 | y &<< 15) ^ (y &>> 19 | y &<< 13) ^ (y &>> 10)
                            w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                        }
                        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
                        for i in 0..<64 {
                            let s1 = (e &>> 6 | e &<< 26) ^ (e &>> 11 | e &<< 21) ^ (e &>> 25 | e &<< 7)
                            let t1 = hh &+ s1 &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
                            let s0 = (a &>> 2 | a &<< 30) ^ (a &>> 13 | a &<< 19) ^ (a &>> 22 | a &<< 10)
                            let t2 = s0 &+ ((a & b) ^ (a & c) ^ (b & c))
                            hh = g; g = f; f = e; e = d &+ t1
                            d = c; c = b; b = a; a = t1 &+ t2
                        }
                        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
                        h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
                    }
                }
            }
        }
    }
}
