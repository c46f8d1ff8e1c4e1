import Foundation
import LensFormats
import LensTensor
import Testing

/// Reading the GGUF fixtures gguf-py wrote: every metadata type (nested arrays included),
/// versions 2 and 3, a custom alignment, and every tensor dequantised bit for bit as gguf-py's
/// reader and `gguf.quants.dequantize` see them.
@Suite struct GGUFFileTests {
    static let files = ["metadata-v3", "tensors-v2-align64", "tiny"]

    @Test(arguments: files)
    func tensorsMatchGGUFPy(_ name: String) throws {
        let file = try GGUFFile(contentsOf: GGUFFixtures.url(name + ".gguf"))
        let expected = try GGUFFixtures.description(name)
        #expect(Int(file.version) == expected.version)
        #expect(file.alignment == expected.alignment)
        #expect(file.dataOffset == expected.data_offset)
        #expect(file.size == expected.file_size)
        #expect(file.metadataKeys == expected.keys)
        #expect(file.tensors.map(\.name) == expected.tensors.map(\.name))
        let values = try GGUFFixtures.floats(name + ".f32")
        var at = 0
        for (info, e) in zip(file.tensors, expected.tensors) {
            #expect(info.dimensions == e.dims, "\(e.name)")
            #expect(info.shape == e.shape, "\(e.name)")
            #expect(info.type.name == e.type, "\(e.name)")
            #expect(info.offset == e.offset && info.fileOffset == expected.data_offset + e.offset, "\(e.name)")
            #expect(info.byteCount == e.bytes && info.elementCount == e.elements, "\(e.name)")
            #expect(info.offset % file.alignment == 0)
            let tensor = try file.tensor(named: e.name)
            #expect(tensor.shape == e.shape, "\(e.name)")
            let reference = Array(values[at..<(at + e.elements)])
            at += e.elements
            let diff = GGUFFixtures.firstBitDifference(tensor.scalars, reference)
            #expect(diff == nil, "\(name): \(e.name) (\(e.type)) differs at element \(diff ?? -1)")
        }
        #expect(at == values.count)
    }

    @Test func everyMetadataType() throws {
        let file = try GGUFFile(contentsOf: GGUFFixtures.url("metadata-v3.gguf"))
        #expect(file.version == 3)
        let m = file.metadata
        #expect(m["general.architecture"] == .string("llama"))
        #expect(m["llama.block_count"] == .uint32(2))
        #expect(m["test.uint8"] == .uint8(255))
        #expect(m["test.int8"] == .int8(-128))
        #expect(m["test.uint16"] == .uint16(65535))
        #expect(m["test.int16"] == .int16(-32768))
        #expect(m["test.uint32"] == .uint32(4_294_967_295))
        #expect(m["test.int32"] == .int32(-2_147_483_648))
        #expect(m["test.float32"] == .float32(0.15625))
        #expect(m["test.uint64"] == .uint64(.max))
        #expect(m["test.int64"] == .int64(.min))
        #expect(m["test.float64"] == .float64(-2.5e-300))
        #expect(m["test.bool_true"] == .bool(true) && m["test.bool_false"] == .bool(false))
        #expect(m["test.string"] == .string("héllo, wörld ✓"))
        #expect(m["test.empty_string"] == nil, "gguf-py's add_string skips empty strings (the string array holds one)")
        #expect(m["test.array.uint8"] == .array(elementType: .uint8, values: [.uint8(0), .uint8(1), .uint8(255)]))
        #expect(m["test.array.int8"] == .array(elementType: .int8, values: [.int8(-128), .int8(0), .int8(127)]))
        #expect(m["test.array.uint16"] == .array(elementType: .uint16, values: [.uint16(0), .uint16(65535)]))
        #expect(m["test.array.int16"] == .array(elementType: .int16, values: [.int16(-32768), .int16(32767)]))
        #expect(m["test.array.uint32"] == .array(elementType: .uint32, values: [.uint32(0), .uint32(.max)]))
        #expect(m["test.array.int32"] == .array(elementType: .int32, values: [.int32(.min), .int32(7)]))
        #expect(m["test.array.float32"] == .array(elementType: .float32, values: [.float32(1.5), .float32(-0.25), .float32(Float(bitPattern: 1))]))
        #expect(m["test.array.uint64"] == .array(elementType: .uint64, values: [.uint64(0), .uint64(.max)]))
        #expect(m["test.array.int64"] == .array(elementType: .int64, values: [.int64(.min), .int64(.max)]))
        #expect(m["test.array.float64"] == .array(elementType: .float64, values: [.float64(3.25), .float64(-1e300)]))
        #expect(m["test.array.bool"] == .array(elementType: .bool, values: [.bool(true), .bool(false), .bool(true)]))
        #expect(m["test.array.string"] == .array(elementType: .string, values: ["a", "", "ünïcode", "<0x0A>"].map { .string($0) }))
        func ints(_ v: [Int32]) -> GGUFValue { .array(elementType: .int32, values: v.map { .int32($0) }) }
        func nested(_ v: [GGUFValue]) -> GGUFValue { .array(elementType: .array, values: v) }
        #expect(m["test.nested.int32"] == nested([ints([1, 2, 3]), ints([4]), ints([5, 6])]))
        #expect(m["test.nested.strings"] == nested([.array(elementType: .string, values: [.string("x"), .string("yz")]),
                                                    .array(elementType: .string, values: [.string("w")])]))
        #expect(m["test.nested.deep"] == nested([nested([ints([1]), ints([2, 3])]), nested([ints([4, 5, 6])])]))
        // Every value type id appears.
        var types = Set<GGUFValueType>()
        func collect(_ v: GGUFValue) {
            types.insert(v.type)
            v.array?.forEach(collect)
        }
        m.values.forEach(collect)
        #expect(types == Set(GGUFValueType.allCases))
    }

    @Test func typedAccessors() throws {
        let file = try GGUFFile(contentsOf: GGUFFixtures.url("metadata-v3.gguf"))
        #expect(try file.integer("llama.block_count") == 2)
        #expect(try file.integer("test.int64") == Int(Int64.min))
        #expect(try file.integer("test.uint8") == 255)
        #expect(try file.float("test.float32") == 0.15625)
        #expect(try file.float("test.float64") == -2.5e-300)
        #expect(try file.bool("test.bool_true"))
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.strings("test.array.string") == ["a", "", "ünïcode", "<0x0A>"])
        #expect(try file.integers("test.array.int16") == [-32768, 32767])
        #expect(try file.floats("test.array.float64") == [3.25, -1e300])
        #expect(try file.array("test.nested.int32").count == 3)

        // A UINT64 above Int.max, a bool, a string, a float: not integers.
        for key in ["test.uint64", "test.bool_true", "general.architecture", "test.float32"] {
            #expect { try file.integer(key) } throws: { error in
                guard case let .wrongValueType(path, k, expected, _) = error as? GGUFError else { return false }
                return path.hasSuffix("metadata-v3.gguf") && k == key && expected == "an integer"
            }
        }
        #expect(throws: GGUFError.wrongValueType(path: file.path, key: "test.int32", expected: "FLOAT32 or FLOAT64", found: "INT32 -2147483648")) {
            try file.float("test.int32")
        }
        #expect(throws: GGUFError.missingKey(path: file.path, key: "llama.nope")) { try file.integer("llama.nope") }
        #expect { try file.strings("test.array.int32") } throws: { "\($0)".contains("expected ARRAY of STRING, found ARRAY of INT32 (2 elements)") }
    }

    @Test func versionTwoWithCustomAlignment() throws {
        let file = try GGUFFile(contentsOf: GGUFFixtures.url("tensors-v2-align64.gguf"))
        #expect(file.version == 2)
        #expect(file.alignment == 64 && file.metadata["general.alignment"] == .uint32(64))
        #expect(file.dataOffset % 64 == 0)
        #expect(Set(file.tensors.map(\.type)) == Set(GGMLType.dequantizable))
        #expect(file.tensors.allSatisfy { $0.offset % 64 == 0 })
        // ggml order is innermost first; the row-major shape is its reverse.
        let cube = try file.tensorInfo(named: "q4_1.cube")
        #expect(cube.dimensions == [32, 3, 2] && cube.shape == [2, 3, 32])
        #expect(cube.rowByteCount == 20 && cube.byteCount == 6 * 20)
    }

    @Test func rawBytesAreTheFileBytesInPlace() throws {
        let url = GGUFFixtures.url("tiny.gguf")
        let bytes = try Data(contentsOf: url)
        var raw: GGUFTensorData
        do {
            let file = try GGUFFile(contentsOf: url)
            raw = try file.rawBytes(named: "c.q4_1")
            #expect(raw.info.type == .Q4_1 && raw.count == 2 * 20)
            // Dequantising the raw blocks row by row gives the tensor.
            let whole = try file.tensor(named: "c.q4_1")
            let row1 = try raw.withUnsafeBytes { all in
                try [Float](unsafeUninitializedCapacity: 32) { buffer, n in
                    try GGMLType.Q4_1.dequantize(UnsafeRawBufferPointer(rebasing: all[20..<40]), into: buffer)
                    n = 32
                }
            }
            #expect(row1.map(\.bitPattern) == Array(whole.scalars[32..<64]).map(\.bitPattern))
        }
        // The file value is gone; the bytes keep the mapping alive.
        #expect(raw.data == bytes.subdata(in: raw.info.fileOffset..<(raw.info.fileOffset + raw.count)))
        #expect(raw.withUnsafeBytes { $0.count } == 40)
    }

    @Test func inMemoryFilesReadTheSame() throws {
        let data = try GGUFFixtures.data("tiny.gguf")
        let fromMemory = try GGUFFile(data: data, origin: "tiny (memory)")
        let fromFile = try GGUFFile(contentsOf: GGUFFixtures.url("tiny.gguf"))
        #expect(fromMemory.path == "tiny (memory)")
        #expect(fromMemory.metadata == fromFile.metadata && fromMemory.tensors == fromFile.tensors)
        for t in fromFile.tensors {
            #expect(try fromMemory.tensor(named: t.name).scalars.map(\.bitPattern) == fromFile.tensor(named: t.name).scalars.map(\.bitPattern))
        }
    }

    @Test func missingTensorNamesTheAlternatives() throws {
        let file = try GGUFFile(contentsOf: GGUFFixtures.url("tiny.gguf"))
        #expect { try file.tensor(named: "output.weight") } throws: { error in
            let text = "\(error)"
            return text.contains("no tensor named \"output.weight\"") && text.contains("tiny.gguf") && text.contains("a.f32")
        }
    }

    @Test func openingADirectoryOrAMissingFileIsAnError() {
        #expect { try GGUFFile(contentsOf: GGUFFixtures.root) } throws: { "\($0)".contains("expected a regular file") }
        #expect { try GGUFFile(path: "/nonexistent/model.gguf") } throws: { error in
            guard case let .unreadable(path, _) = error as? GGUFError else { return false }
            return path == "/nonexistent/model.gguf"
        }
    }
}
