import Foundation
import LensFormats
import Testing

/// Malformed GGUF files: each must throw a ``GGUFError`` that names the file and says what was
/// expected and found — never trap, never allocate what a count merely claims.
@Suite struct GGUFMalformedTests {
    typealias B = GGUFBuilder

    /// The error opening `data` (and reading every tensor) gives; nil if it opens. A non-GGUF
    /// error is recorded as an issue.
    func error(_ data: Data, sourceLocation: SourceLocation = #_sourceLocation) -> GGUFError? {
        do {
            let file = try GGUFFile(data: data, origin: "bad.gguf")
            for t in file.tensors where t.type.isDequantizable { _ = try file.tensor(named: t.name) }
            return nil
        } catch let e as GGUFError {
            #expect("\(e)".contains("bad.gguf"), "the message names the file: \(e)", sourceLocation: sourceLocation)
            return e
        } catch {
            Issue.record("not a GGUFError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    func error(_ b: GGUFBuilder, sourceLocation: SourceLocation = #_sourceLocation) -> GGUFError? {
        error(b.bytes, sourceLocation: sourceLocation)
    }

    /// Expects `b` to be refused with an error whose message contains every one of `phrases`.
    func expectRefused(_ b: GGUFBuilder, _ phrases: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = error(b, sourceLocation: sourceLocation) else {
            Issue.record("accepted; expected an error mentioning \(phrases)", sourceLocation: sourceLocation)
            return
        }
        for p in phrases { #expect("\(e)".contains(p), "\"\(p)\" not in: \(e)", sourceLocation: sourceLocation) }
    }

    @Test func theBuilderWritesValidFiles() throws {
        #expect(error(B.valid) == nil)
        var b = B.valid
        // An empty array (gguf-py cannot write one), a scalar tensor, an empty tensor.
        b.entries.append(B.entry("x.empty", 9, B.le(UInt32(8)) + B.le(UInt64(0))))
        b.addTensor("scalar", .F32, [])
        b.addTensor("empty", .Q8_0, [32, 0])
        let file = try GGUFFile(data: b.bytes, origin: "built.gguf")
        #expect(file.metadata["x.empty"] == .array(elementType: .string, values: []))
        #expect(try file.tensor(named: "scalar").shape == [])
        #expect(try file.tensor(named: "empty").shape == [0, 32])
        #expect(try file.tensor(named: "a").shape == [2, 4])
    }

    @Test func everyTruncationIsAnError() throws {
        for data in [try GGUFFixtures.data("tiny.gguf"), B.valid.bytes] {
            let file = try GGUFFile(data: data)
            let end = file.tensors.map { $0.fileOffset + $0.byteCount }.max()!
            for n in 0..<data.count {
                let e = error(data.prefix(n))
                if n < end {
                    #expect(e != nil, "a file cut to \(n) of \(data.count) bytes was accepted")
                } else {
                    #expect(e == nil, "only padding after the last tensor was cut (\(n) bytes)")
                }
            }
        }
        // 24 bytes of preamble, the key's length, then 18 of its 20 bytes.
        #expect(error(B.valid.bytes.prefix(50)) == .truncated(path: "bad.gguf", field: "the key of metadata entry 0", offset: 32, needed: 20, available: 18))
        #expect("\(error(B.valid.bytes.prefix(50))!)" == "GGUF file bad.gguf ends too early: the key of metadata entry 0 at offset 32 needs 20 bytes, found 18")
        // The entry count is checked against what remains before any entry is read.
        #expect(error(B.valid.bytes.prefix(30)) == .truncated(path: "bad.gguf", field: "the 2 metadata entries declared", offset: 24, needed: 26, available: 6))
    }

    @Test func badMagicAndVersions() {
        var b = B.valid
        b.magic = Array("GGML".utf8)
        #expect(error(b) == .badMagic(path: "bad.gguf", found: Array("GGML".utf8)))
        #expect(error(Data()) == .badMagic(path: "bad.gguf", found: []))
        #expect("\(error(Data())!)".contains("found an empty file"))
        #expect(error(Data("GG".utf8)) == .truncated(path: "bad.gguf", field: "the magic bytes", offset: 0, needed: 4, available: 2))
        for (version, phrase) in [(UInt32(1), "version 1"), (0, "version 0"), (4, "version 4"), (0x0300_0000, "big-endian")] {
            b = B.valid
            b.version = version
            #expect(error(b) == .unsupportedVersion(path: "bad.gguf", version: version))
            expectRefused(b, phrase, "expected")
        }
        b = B.valid
        b.version = 2
        #expect(error(b) == nil)
    }

    @Test func hugeCountsAreRefusedBeforeAllocating() {
        for count in [UInt64.max, 1 << 62, 1 << 40, 1_000_000] {
            var b = B.valid
            b.tensorCount = count
            expectRefused(b, "tensor-info records declared", "\(count)")
            b = B.valid
            b.entryCount = count
            expectRefused(b, "metadata entries declared")
        }
        // One more entry than there is: the next key runs into the tensor records.
        var b = B.valid
        b.entryCount = 3
        #expect(error(b) != nil)
    }

    @Test func stringLengthsPastTheEnd() {
        for length in [UInt64.max, 1 << 40, 100_000] {
            var b = B.valid
            b.entries[0] = B.le(length) + Array("general.architecture".utf8) + B.le(UInt32(8)) + B.string("llama")
            guard case let .truncated(_, field, offset, needed, _) = error(b) else {
                Issue.record("expected truncated for key length \(length)")
                continue
            }
            #expect(field == "the key of metadata entry 0" && offset == 32 && needed == length)
            b = B.valid
            b.entries[0] = B.string("general.architecture") + B.le(UInt32(8)) + B.le(length) + Array("llama".utf8)
            expectRefused(b, "the STRING value of \"general.architecture\"", "needs \(length) bytes")
            b = B.valid
            b.tensors[0].name = String(repeating: "n", count: 10)
            var bytes = [UInt8](b.bytes)
            // Patch the first tensor name's length in place.
            let at = b.header.count - (8 + 10 + 4 + 2 * 8 + 4 + 8) - (8 + 1 + 4 + 2 * 8 + 4 + 8) - (8 + 1 + 4 + 8 + 4 + 8)
            bytes.replaceSubrange(at..<(at + 8), with: B.le(length))
            expectRefused2(Data(bytes), "the name of tensor 0")
        }
    }

    func expectRefused2(_ data: Data, _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = error(data, sourceLocation: sourceLocation) else {
            Issue.record("accepted; expected an error mentioning \(phrase)", sourceLocation: sourceLocation)
            return
        }
        #expect("\(e)".contains(phrase), "\"\(phrase)\" not in: \(e)", sourceLocation: sourceLocation)
    }

    @Test func arrays() {
        func array(_ type: UInt32, _ count: UInt64, _ payload: [UInt8] = []) -> GGUFBuilder {
            var b = B.valid
            b.entries.append(B.entry("x.array", 9, B.le(type) + B.le(count) + payload))
            return b
        }
        expectRefused(array(0, .max), "elements of an array in \"x.array\"", "18446744073709551615")
        expectRefused(array(8, 1 << 40), "1099511627776 STRING elements")
        expectRefused(array(9, 1 << 50), "ARRAY elements")
        expectRefused(array(13, 1), "unknown value type id 13", "x.array")
        expectRefused(array(7, 2, [1, 2]), "a BOOL byte is 2; expected 0 or 1")
        #expect(error(array(7, 2, [1, 0])) == nil)
        // Nesting: 16 levels are read, 17 are refused.
        func nested(_ depth: Int) -> GGUFBuilder {
            var value: [UInt8] = B.le(UInt32(5)) + B.le(UInt64(1)) + B.le(Int32(7))
            for _ in 1..<depth { value = B.le(UInt32(9)) + B.le(UInt64(1)) + value }
            var b = B.valid
            b.entries.append(B.entry("x.nested", 9, value))
            return b
        }
        #expect(error(nested(16)) == nil)
        expectRefused(nested(17), "arrays nested more than 16 deep")
    }

    @Test func metadataEntries() {
        var b = B.valid
        b.entries.append(B.entry("x.value", 13, [0, 0, 0, 0]))
        expectRefused(b, "\"x.value\"", "unknown value type id 13; expected 0…12")
        b = B.valid
        b.entries.append(B.entry("x.flag", 7, [3]))
        expectRefused(b, "\"x.flag\"", "a BOOL byte is 3")
        b = B.valid
        b.entries.append(B.string(bytes: [0x78, 0xFF, 0x79]) + B.le(UInt32(0)) + [1])
        expectRefused(b, "the key of metadata entry 2 is not valid UTF-8")
        b = B.valid
        b.entries.append(B.entry("x.text", 8, B.string(bytes: [0xC0, 0xAF])))
        expectRefused(b, "\"x.text\"", "is not valid UTF-8")
        b = B.valid
        b.entries.append(B.entry("llama.block_count", 3))
        expectRefused(b, "\"llama.block_count\"", "a second entry with this key")
        b = B.valid
        b.entries.append(B.entry("", 3))
        expectRefused(b, "metadata entry 2 has an empty key")
    }

    @Test func alignment() throws {
        for (type, value) in [(UInt32(4), B.le(UInt32(0))), (4, B.le(UInt32(3))), (4, B.le(UInt32(48))),
                              (10, B.le(UInt64(32))), (5, B.le(Int32(32))), (8, B.string("32"))] {
            var b = B.valid
            b.entries.append(B.entry("general.alignment", type, value))
            expectRefused(b, "\"general.alignment\"", "expected a UINT32 power of two")
        }
        for a in [1, 8, 64, 256] {
            var b = GGUFBuilder()
            b.alignment = a
            b.entries = [B.entry("general.alignment", UInt32(a))]
            b.addTensor("x", .Q4_1, [32, 2])
            b.addTensor("y", .F16, [3])
            b.addTensor("z", .F32, [5])
            let file = try GGUFFile(data: b.bytes)
            #expect(file.alignment == a && file.dataOffset % a == 0)
            #expect(try file.tensor(named: "z").shape == [5])
        }
    }

    @Test func tensorRecords() {
        var b = B.valid
        b.tensors[0].dims = [2, 2, 1, 1, 2]
        expectRefused(b, "tensor \"a\"", "n_dims is 5; expected at most 4")
        b = B.valid
        b.tensors[0].nDims = 0xFFFF_FFFF
        expectRefused(b, "n_dims is 4294967295")
        b = B.valid
        b.tensors[0].dims = [1 << 63, 1]
        expectRefused(b, "dimension 0 is 9223372036854775808")
        b = B.valid
        b.tensors[0].dims = [1 << 32, 1 << 32, 1 << 32]
        expectRefused(b, "element count", "overflows")
        b = B.valid
        b.tensors[2].dims = [1 << 62]
        expectRefused(b, "tensor \"c\"", "end past")
        for id in [UInt32(4), 5, 31, 99, .max] {
            b = B.valid
            b.tensors[1].type = id
            expectRefused(b, "tensor \"b\"", "unknown ggml type id \(id)")
        }
        b = B.valid
        b.tensors[1].dims = [33, 3]
        expectRefused(b, "the innermost dimension is 33; expected a multiple of Q4_0's block size 32")
        b = B.valid
        b.tensors[1].offset += 4
        expectRefused(b, "tensor \"b\"", "data offset 36 is not a multiple of the alignment 32")
        b = B.valid
        b.tensors[2].offset = 1 << 40
        expectRefused(b, "tensor \"c\"", "end past the", "data section")
        b = B.valid
        b.tensors[2].offset = UInt64.max - 31
        expectRefused(b, "does not fit")
        b = B.valid
        b.tensors[2].offset = 1 << 62
        expectRefused(b, "end past")
        b = B.valid
        b.tensors[1].offset = 0
        expectRefused(b, "GGUF tensors \"a\" (data bytes 0..<32) and \"b\" (data bytes 0..<54)", "overlap")
        b = B.valid
        b.tensors[1].name = "a"
        expectRefused(b, "tensor \"a\"", "a second tensor with this name")
        b = B.valid
        b.tensors[1].name = ""
        expectRefused(b, "tensor 1 has an empty name")
        b = B.valid
        b.tensors[1].name = String(repeating: "x", count: 65)
        expectRefused(b, "the name is 65 bytes long; expected at most 64")
        b = B.valid
        b.tensors[1].name = String(repeating: "x", count: 64)
        #expect(error(b) == nil)
    }

    @Test func dataSectionPastTheEnd() {
        var b = GGUFBuilder()
        b.tensors = [.init(name: "empty", dims: [0], type: 0, offset: 0)]
        // Header ends unaligned and the file stops there: the padding is missing.
        let header = Data(b.header)
        #expect(header.count % 32 != 0)
        guard case let .truncated(_, field, _, _, _) = error(header) else {
            Issue.record("expected truncated")
            return
        }
        #expect(field.contains("padding before the tensor data"))
    }

    @Test func unsupportedTypesOpenButDoNotDequantise() throws {
        var b = B.valid
        b.addTensor("iq", .IQ2_XXS, [256, 2])
        b.addTensor("q8k", .Q8_K, [256])
        b.addTensor("tq", .TQ1_0, [256])
        b.addTensor("i32", .I32, [3])
        let file = try GGUFFile(data: b.bytes, origin: "types.gguf")
        for (name, type) in [("iq", GGMLType.IQ2_XXS), ("q8k", .Q8_K), ("tq", .TQ1_0), ("i32", .I32)] {
            #expect(throws: GGUFError.unsupportedType(type: type, tensor: name, path: "types.gguf")) { try file.tensor(named: name) }
            #expect(try file.rawBytes(named: name).count == type.byteCount(elements: file.tensorInfo(named: name).elementCount))
        }
        let message = "\(GGUFError.unsupportedType(type: .IQ2_XXS, tensor: "iq", path: "types.gguf"))"
        #expect(message == "cannot dequantise tensor \"iq\" in types.gguf has type IQ2_XXS (id 16); supported types: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K")
        #expect(throws: GGUFError.unsupportedType(type: .IQ4_NL, tensor: nil, path: nil)) { try GGMLType.IQ4_NL.dequantize(Data(count: 18)) }
        #expect(throws: GGUFError.blockSizeMismatch(type: .Q4_K, elements: 256, bytes: 145)) { try GGMLType.Q4_K.dequantize(Data(count: 145)) }
        #expect("\(GGUFError.blockSizeMismatch(type: .Q4_K, elements: 256, bytes: 145))" == "Q4_K data for 256 elements: expected 144 bytes, found 145 bytes")
    }

    @Test func typeTableMatchesGGUFPy() {
        // gguf-py's GGML_QUANT_SIZES (0.19), except Q8_1 (ggml's current 36 bytes, gguf-py's older 40).
        let sizes: [GGMLType: (Int, Int)] = [
            .F32: (1, 4), .F16: (1, 2), .Q4_0: (32, 18), .Q4_1: (32, 20), .Q5_0: (32, 22), .Q5_1: (32, 24), .Q8_0: (32, 34),
            .Q8_1: (32, 36), .Q2_K: (256, 84), .Q3_K: (256, 110), .Q4_K: (256, 144), .Q5_K: (256, 176), .Q6_K: (256, 210),
            .Q8_K: (256, 292), .IQ2_XXS: (256, 66), .IQ2_XS: (256, 74), .IQ3_XXS: (256, 98), .IQ1_S: (256, 50),
            .IQ4_NL: (32, 18), .IQ3_S: (256, 110), .IQ2_S: (256, 82), .IQ4_XS: (256, 136), .I8: (1, 1), .I16: (1, 2),
            .I32: (1, 4), .I64: (1, 8), .F64: (1, 8), .IQ1_M: (256, 56), .BF16: (1, 2), .TQ1_0: (256, 54), .TQ2_0: (256, 66),
            .MXFP4: (32, 17), .NVFP4: (64, 36), .Q1_0: (128, 18),
        ]
        #expect(sizes.count == GGMLType.allCases.count)
        for type in GGMLType.allCases {
            #expect(type.blockSize == sizes[type]?.0 && type.typeSize == sizes[type]?.1, "\(type)")
        }
    }
}
