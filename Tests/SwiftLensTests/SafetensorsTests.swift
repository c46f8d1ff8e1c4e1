import Foundation
import SwiftLens
import Testing

/// Reading and writing safetensors: round trips through every dtype, the TransformerLens
/// fixture files, and malformed files that must each throw.
@Suite struct SafetensorsTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-\(UUID().uuidString)-\(name)")
    }

    @Test func roundTripEveryDType() throws {
        let url = temporaryURL("roundtrip.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        // Values exactly representable in half precision, plus specials.
        let halfExact = Tensor([0, -0.5, 1.75, 65504, -3.0517578e-05, 6.1035156e-05, .infinity, -.infinity])
        let floats = Tensor.randomNormal([3, 5], seed: 1)
        let ints = IntTensor([[-5, 0, 7], [1 << 40, -(1 << 33), 3]])
        try SafetensorsFile.write([
            ("f32", .float(floats)),
            ("f64", .float(floats, .F64)),
            ("f16", .float(halfExact, .F16)),
            ("bf16", .float(Tensor([1, -2, 0.5, 3.140625]), .BF16)),
            ("i64", .int(ints)),
            ("i32", .int(IntTensor([-2_000_000_000, 5]), .I32)),
            ("i16", .int(IntTensor([-300, 300]), .I16)),
            ("i8", .int(IntTensor([-128, 127]), .I8)),
            ("u8", .int(IntTensor([0, 255, 7]), .U8)),
            ("bool", .int(IntTensor([0, 1, 1]), .BOOL)),
            ("empty", .float(Tensor.zeros([0, 4]))),
            ("scalar", .float(Tensor(scalar: 2.5))),
        ], metadata: ["format": "pt", "note": "ünïcode"], to: url)

        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.metadata == ["format": "pt", "note": "ünïcode"])
        #expect(file.names.count == 12)
        #expect(try file.tensor("f32") == floats)
        #expect(try file.tensor("f64") == floats)
        #expect(try file.tensor("f16") == halfExact)
        #expect(try file.tensor("bf16") == Tensor([1, -2, 0.5, 3.140625]))
        #expect(try file.intTensor("i64") == ints)
        #expect(try file.intTensor("i32") == IntTensor([-2_000_000_000, 5]))
        #expect(try file.intTensor("i16") == IntTensor([-300, 300]))
        #expect(try file.intTensor("i8") == IntTensor([-128, 127]))
        #expect(try file.intTensor("u8") == IntTensor([0, 255, 7]))
        #expect(try file.intTensor("bool") == IntTensor([0, 1, 1]))
        #expect(try file.tensor("u8") == Tensor([0, 255, 7]))  // integers read as floats on request
        #expect(try file.tensor("empty").shape == [0, 4])
        #expect(try file.tensor("scalar").shape == [] && file.tensor("scalar").scalar == 2.5)
        #expect(file.entries["f16"]?.dtype == .F16 && file.entries["f16"]?.shape == [8])
        #expect(throws: SafetensorsError.notInteger(path: file.path, name: "f32", dtype: .F32)) { try file.intTensor("f32") }
        #expect(throws: SafetensorsError.self) { try file.tensor("nope") }
    }

    @Test func halfAndBFloat16Rounding() throws {
        let url = temporaryURL("rounding.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        // 1 + 2^-11 is halfway between two halves and rounds to even (1); 1 + 3·2^-11 rounds up;
        // 70000 overflows to inf; 1e-8 underflows to 0; 2^-20 is a half subnormal.
        let x = Tensor([1 + 0x1p-11, 1 + 3 * 0x1p-11, 70000, 1e-8, 0x1p-20, .nan])
        try SafetensorsFile.write([("h", .float(x, .F16)), ("b", .float(x, .BF16))], to: url)
        let file = try SafetensorsFile(contentsOf: url)
        let h = try file.tensor("h").scalars
        #expect(h[0] == 1 && h[1] == 1 + 0x1p-9 && h[2] == .infinity && h[3] == 0 && h[4] == 0x1p-20 && h[5].isNaN)
        let b = try file.tensor("b").scalars
        #expect(b[0] == 1 && b[2] == 70144 && b[5].isNaN)  // bf16 keeps 8 significant bits
    }

    /// A file with the given header text and `dataBytes` zero bytes of data; `declaredLength`
    /// overrides the 8-byte length prefix.
    func file(header: String, dataBytes: Int = 0, declaredLength: UInt64? = nil) -> Data {
        var data = Data()
        var length = (declaredLength ?? UInt64(header.utf8.count)).littleEndian
        data.append(Data(bytes: &length, count: 8))
        data.append(Data(header.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    @Test func malformedFilesThrowDescriptiveErrors() throws {
        let cases: [(String, Data, String)] = [
            ("empty file", Data(), "at least 8 bytes"),
            ("truncated length", Data([1, 2, 3]), "at least 8 bytes"),
            ("header past end", file(header: "{}", declaredLength: 100), "exceeds"),
            ("absurd header length", file(header: "{}", declaredLength: 1 << 60), "exceeds"),
            ("not JSON", file(header: "{nope"), "malformed JSON"),
            ("not an object", file(header: "[1, 2]"), "'{'"),
            ("invalid UTF-8", Data([2, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFE]), "UTF-8"),
            ("entry not an object", file(header: #"{"a": 3}"#), "expected an object"),
            ("missing dtype", file(header: #"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#, dataBytes: 4), "dtype"),
            ("unknown dtype", file(header: #"{"a": {"dtype": "F8", "shape": [1], "data_offsets": [0, 1]}}"#, dataBytes: 1), "unsupported dtype"),
            ("negative shape", file(header: #"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, dataBytes: 4), "non-negative"),
            ("fractional shape", file(header: #"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#, dataBytes: 4), "non-negative"),
            ("overflowing shape", file(header: #"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}}"#, dataBytes: 4), "too many"),
            ("shape/bytes mismatch", file(header: #"{"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}"#, dataBytes: 12), "needs 16 bytes"),
            ("offsets past end", file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, dataBytes: 4), "past the end"),
            ("offsets reversed", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}"#, dataBytes: 8), "begin ≤ end"),
            ("bad offsets", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, dataBytes: 4), "two integers"),
            ("overlapping", file(header: #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, dataBytes: 12), "overlapping"),
            ("metadata not strings", file(header: #"{"__metadata__": {"x": 1}}"#), "must be a string"),
        ]
        for (name, data, fragment) in cases {
            do {
                _ = try SafetensorsFile(data: data)
                Issue.record("\(name): expected an error")
            } catch let error as SafetensorsError {
                #expect(error.description.contains(fragment), "\(name): \(error.description)")
            }
        }
        // A truncated copy of a real fixture.
        let real = try Data(contentsOf: Fixtures.url("classic/attn2l/weights.safetensors"))
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(data: real.prefix(real.count - 1)) }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(data: real.prefix(100)) }
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors")) }
    }

    @Test func readsTransformerLensFixtures() throws {
        let weights = try SafetensorsFile(contentsOf: Fixtures.url("classic/gpt2tiny/weights.safetensors"))
        #expect(weights.entries.count == 38)
        #expect(try weights.tensor("embed.W_E").shape == [50, 64])
        #expect(try weights.tensor("blocks.1.attn.W_Q").shape == [4, 64, 16])
        #expect(try weights.tensor("blocks.0.mlp.W_in").shape == [64, 256])
        let acts = try SafetensorsFile(contentsOf: Fixtures.url("classic/gpt2tiny/activations.safetensors"))
        #expect(acts.entries["tokens"]?.dtype == .I64 && acts.entries["tokens_i32"]?.dtype == .I32)
        let tokens = try acts.intTensor("tokens")
        #expect(tokens.shape == [2, 62])
        #expect(tokens == (try acts.intTensor("tokens_i32")))
        // Row 1 is 31 random tokens repeated twice.
        #expect(tokens[1, ..<31] == tokens[1, 31...])
        #expect(!acts.metadata.isEmpty)
        // Round trip a fixture through our writer.
        let url = temporaryURL("copy.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var floats: [String: Tensor] = [:]
        for name in weights.names { floats[name] = try weights.tensor(name) }
        try SafetensorsFile.write(floats: floats, ints: ["tokens": tokens], metadata: weights.metadata, to: url)
        let copy = try SafetensorsFile(contentsOf: url)
        for name in weights.names { #expect(try copy.tensor(name) == floats[name]!) }
        #expect(try copy.intTensor("tokens") == tokens)
    }
}

/// Locates the fixture files committed under Tests/Fixtures.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    static func open(_ path: String) throws -> SafetensorsFile { try SafetensorsFile(contentsOf: url(path)) }
}
