import Foundation
import LensFormats

/// The GGUF fixtures written by `Scripts/make_gguf_references.py` with gguf-py.
enum GGUFFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gguf")

    static func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    /// Little-endian float32 values.
    static func floats(_ name: String) throws -> [Float] {
        let d = try data(name)
        return (0..<(d.count / 4)).map { i in
            Float(bitPattern: UInt32(littleEndian: d.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self) }))
        }
    }

    /// The tensor list gguf-py's reader wrote beside a fixture (`<name>.json`).
    struct Description: Decodable {
        struct Tensor: Decodable {
            let name: String
            let dims: [Int]
            let shape: [Int]
            let type: String
            let offset: Int
            let bytes: Int
            let elements: Int
        }
        let version: Int
        let alignment: Int
        let data_offset: Int
        let file_size: Int
        let keys: [String]
        let tensors: [Tensor]
    }

    static func description(_ name: String) throws -> Description {
        try JSONDecoder().decode(Description.self, from: data(name + ".json"))
    }

    /// Index of the first element where the bit patterns differ, if any.
    static func firstBitDifference(_ a: [Float], _ b: [Float]) -> Int? {
        guard a.count == b.count else { return min(a.count, b.count) }
        return a.indices.first { a[$0].bitPattern != b[$0].bitPattern }
    }
}
