import Foundation
import SwiftLens
import Testing

/// The strict JSON reader under safetensors headers, configs and token files, the safetensors
/// edge cases it closes, and the sizing of cache requests before they run (issue 11).
@Suite struct StrictInputTests {
    static func parse(_ text: String, depth: Int = JSONValue.defaultMaximumDepth) throws -> JSONValue {
        try JSONValue.parse(Data(text.utf8), origin: "t.json", maximumDepth: depth)
    }

    static func parseError(_ text: String, depth: Int = JSONValue.defaultMaximumDepth) -> String {
        do {
            let value = try parse(text, depth: depth)
            Issue.record("\(text): expected an error, parsed \(value)")
            return ""
        } catch {
            return "\(error)"
        }
    }

    // MARK: JSON

    @Test func booleansAreNotNumbersAndIntegersAreExact() throws {
        let v = try Self.parse(#"{"t": true, "one": 1, "two": 2.0, "big": 12345678901234567890, "neg": -7, "s": "1", "n": null}"#)
        #expect(v["t"]?.bool == true && v["t"]?.integer == nil && v["t"]?.double == nil)
        #expect(v["one"]?.integer == 1 && v["one"]?.bool == nil)
        #expect(v["two"]?.integer == nil && v["two"]?.double == 2)
        #expect(v["big"]?.integer == nil && v["big"]?.double == 1.2345678901234567e19)
        #expect(v["neg"]?.integer == -7 && v["s"]?.integer == nil && v["n"]?.isNull == true)
        #expect(try Self.parse(#" ["a\u00e9\ud83d\ude00\n", 9223372036854775807] "#)
            == .array([.string("aé😀\n"), .integer(Int.max)]))
    }

    @Test(arguments: [
        (#"{"a": 1, "a": 2}"#, "the key \"a\" appears twice"),
        (#"{"a": 1} x"#, "expected the end of the text"),
        ("[1, 2", "expected ',' or ']'"),
        ("[01]", "leading zeros"),
        ("[1e400]", "outside the range of a Double"),
        ("[NaN]", "expected a value"),
        ("[tru]", "expected true"),
        (#"["\ud800"]"#, "low surrogate"),
        (#"["\udc00"]"#, "lone low surrogate"),
        ("[\"a\u{01}\"]", "control character"),
        (#"["\x"]"#, "expected one of the escapes"),
        ("", "expected a value, found the end of the text"),
    ])
    func malformedJSONIsLocated(text: String, fragment: String) {
        let message = Self.parseError(text)
        #expect(message.hasPrefix("t.json: invalid JSON at byte ") && message.contains(fragment), "\(text): \(message)")
    }

    @Test func nestingAndEncodingAreLimited() {
        #expect(Self.parseError(String(repeating: "[", count: 1_000_000)).contains("nest more than 64 deep"))
        #expect(Self.parseError("[[[1]]]", depth: 2).contains("nest more than 2 deep"))
        let bytes = Data("[\"".utf8) + Data([0xC3, 0x28]) + Data("\"]".utf8)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes, origin: "x") }
    }

    // MARK: Safetensors

    /// A safetensors file with `header` (raw JSON) and `dataBytes` zero bytes.
    static func file(_ header: String, dataBytes: Int = 0) -> Data {
        var json = Data(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var length = UInt64(json.count).littleEndian
        return Data(bytes: &length, count: 8) + json + Data(count: dataBytes)
    }

    @Test(arguments: [
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8,
         "the key \"a\" appears twice"),
        (#"{"a": {"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}}"#, 4, "expected shape[0] to be a non-negative integer, found true"),
        (#"{"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}"#, 8, "found the number 2.0"),
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [false, 4]}}"#, 4, "found false and the integer 4"),
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "extra": 1}}"#, 4, "unknown field \"extra\""),
        (#"{"a": {"dtype": "F32", "shape": [[1]], "data_offsets": [0, 4]}}"#, 4, "found an array of 1 element"),
        (#"{"a": {"dtype": true, "shape": [1], "data_offsets": [0, 4]}}"#, 4, "expected \"dtype\" to be a string, found true"),
        (#"{"__metadata__": {"k": {"deep": "x"}}}"#, 0, "must be a string, found an object"),
        (#"{"__metadata__": {"k": [[[[[["x"]]]]]]}}"#, 0, "nest more than 4 deep"),
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": 1,}"#, 4, "expected a string key"),
    ])
    func headerEdgeCasesAreRefused(header: String, dataBytes: Int, fragment: String) {
        do {
            _ = try SafetensorsFile(data: Self.file(header, dataBytes: dataBytes), origin: "edge.safetensors")
            Issue.record("\(header): expected an error")
        } catch let error as SafetensorsError {
            #expect(error.description.contains("edge.safetensors") && error.description.contains(fragment), "\(error)")
        } catch {
            Issue.record("\(header): expected a SafetensorsError, found \(error)")
        }
    }

    @Test func nonUTF8NamesAndHugeMetadata() throws {
        var header = Data(#"{"caf"#.utf8) + Data([0xE9]) + Data(#"": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var length = UInt64(header.count).littleEndian
        let bad = Data(bytes: &length, count: 8) + header
        #expect(throws: SafetensorsError.invalidHeader(path: "<memory>", reason: "expected UTF-8 JSON, found bytes that are not valid UTF-8")) {
            try SafetensorsFile(data: bad)
        }
        // 2 MB of metadata is read (and a header past the format's 100 MB limit is refused
        // from its length alone, before it is read).
        let big = String(repeating: "x", count: 2_000_000)
        let file = try SafetensorsFile(data: Self.file(#"{"__metadata__": {"note": "\#(big)"}}"#))
        #expect(file.metadata["note"]?.count == 2_000_000)
        var huge = UInt64(200_000_000).littleEndian
        #expect(throws: SafetensorsError.self) { try SafetensorsFile(data: Data(bytes: &huge, count: 8) + Data(count: 16)) }
    }

    @Test func writesAreAtomic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("out.safetensors")
        try SafetensorsFile.write(floats: ["a": Tensor([1, 2, 3])], to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.safetensors"])
        #expect(try SafetensorsFile(contentsOf: url).tensor("a") == Tensor([1, 2, 3]))
        // A failed write (a reserved name) leaves the previous file as it was and nothing else.
        #expect(throws: SafetensorsError.self) {
            try SafetensorsFile.write([("__metadata__", .float(Tensor([1])))], to: url)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.safetensors"])
        #expect(try SafetensorsFile(contentsOf: url).tensor("a") == Tensor([1, 2, 3]))
        #expect(throws: SafetensorsError.self) {
            try SafetensorsFile.write(floats: ["a": Tensor([1])], to: dir.appendingPathComponent("missing/out.safetensors"))
        }
    }

    // MARK: Sizing cache requests

    @Test func theEstimateIsTheCacheThatRuns() throws {
        for fixture in ["classic/gpt2tiny", "classic/llamatiny", "classic/attn2l"] {
            let model = try HookedTransformer.load(directory: Fixtures.url(fixture))
            let tokens = IntTensor(shape: [3, 7], values: (0..<21).map { $0 % model.config.dVocab })
            for keeping in [nil, TensorIndex.at(-1), .stride(2, nil), .indices([0, 3])] as [TensorIndex?] {
                let (logits, cache) = try model.runWithCache(tokens, positions: keeping)
                let estimate = try model.cacheEstimate(batch: 3, positions: 7, keeping: keeping)
                #expect(estimate.points.map(\.name) == cache.map(\.name), "\(fixture)")
                for point in estimate.points {
                    #expect(point.shape == cache[point.name]?.shape, "\(fixture) \(point.name) \(String(describing: keeping))")
                }
                #expect(estimate.cacheBytes == cache.reduce(0) { $0 + 4 * $1.value.count }, "\(fixture)")
                #expect(estimate.logitsBytes == 4 * logits.count)
            }
            let some = try model.cacheEstimate(batch: 3, positions: 7, names: [.residPost(0), .pattern(1)])
            #expect(some.points.map(\.name) == [.residPost(0), .pattern(1)])
        }
    }

    @Test func overBudgetRequestsAreRefusedBeforeRunning() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let tokens = IntTensor(shape: [4, 16], repeating: 1)
        do {
            _ = try model.runWithCache(tokens, memoryBudget: 100_000)
            Issue.record("expected a refusal")
        } catch let MemoryBudgetError.cacheTooLarge(estimate, budget) {
            #expect(budget == 100_000 && estimate.batch == 4 && estimate.positions == 16 && estimate.totalBytes > budget)
            let text = MemoryBudgetError.cacheTooLarge(estimate: estimate, budget: budget).description
            #expect(text.contains("more than the 100.0 kB allowed") && text.contains("names:") && text.contains("positions:"), "\(text)")
        }
        #expect(throws: MemoryBudgetError.self) { try model.cache(tokens, names: [.pattern(0)], memoryBudget: 1000) }
        // Within budget it runs; the default budget is what the system has available.
        let need = try model.cacheBytes(batch: 4, positions: 16)
        #expect(try model.runWithCache(tokens, memoryBudget: need).cache.count == model.hookPoints.count)
        #expect(try model.runWithCache(tokens).cache.count == model.hookPoints.count)
        // Absurd requests saturate instead of overflowing, and are refused.
        let absurd = try model.cacheEstimate(batch: Int.max / 2, positions: 1 << 40)
        #expect(absurd.totalBytes == Int.max)
        #expect(CacheEstimate.describe(bytes: absurd.totalBytes) == "more than 9 EB")
        // A position selection outside the sequence is an error, not a trap.
        #expect(throws: CacheAnalysisError.self) { try model.runWithCache(tokens, positions: .at(16)) }
    }

    @Test func sizesParse() {
        #expect(MemoryBudget.parseSize("4096") == 4096)
        #expect(MemoryBudget.parseSize("512M") == 512 << 20)
        #expect(MemoryBudget.parseSize("1.5GB") == 3 << 29)
        #expect(MemoryBudget.parseSize("2GiB") == 2 << 30)
        #expect(MemoryBudget.parseSize("10k") == 10 << 10)
        for bad in ["", "-1G", "1X", "G", "1e99T", "nan"] { #expect(MemoryBudget.parseSize(bad) == nil, "\(bad)") }
        #expect((MemoryBudget.available ?? 1) > 0)
    }
}
