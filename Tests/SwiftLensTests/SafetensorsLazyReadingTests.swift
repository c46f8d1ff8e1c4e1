import Foundation
import SwiftLens
import Testing

/// `SafetensorsFile` opened from disk reads each tensor on demand: only that tensor's bytes,
/// through chunks for converted dtypes, with a clear error (never a crash) for malformed
/// headers or a file that changed after it was opened.
@Suite struct SafetensorsLazyReadingTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-\(UUID().uuidString)-\(name)")
    }

    /// Overwrites `bytes` at `offset` in the file at `url`.
    func patch(_ url: URL, at offset: Int, with bytes: Data) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: bytes)
    }

    @Test func readsEachTensorOnDemandFromTheFile() throws {
        let url = temporaryURL("lazy.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let a = Tensor.randomNormal([3, 4], seed: 1), b = Tensor([1, 2, 3, 4])
        try SafetensorsFile.write([("a", .float(a)), ("b", .float(b)), ("c", .float(Tensor([0.5, -2]), .F16))], to: url)
        let file = try SafetensorsFile(contentsOf: url)
        #expect(file.path == url.path && file.names == ["a", "b", "c"])
        #expect(file.entries["a"]?.elementCount == 12 && file.dataOffset % 8 == 0)

        // The bytes of "b" change on disk after opening: reading "b" sees the new bytes (it is
        // read now, not at open), reading "a" is unaffected.
        let bRange = file.entries["b"]!.byteRange
        let replacement = Tensor([9, 8, 7, 6]).scalars.map(\.bitPattern.littleEndian).withUnsafeBytes { Data($0) }
        try patch(url, at: file.dataOffset + bRange.lowerBound, with: replacement)
        #expect(try file.tensor("b") == Tensor([9, 8, 7, 6]))
        #expect(try file.tensor("a") == a)

        // The file is truncated after opening: tensors before the cut still read, the one past it
        // throws a descriptive error instead of faulting (as a memory mapping would).
        let cRange = file.entries["c"]!.byteRange
        try FileHandle(forWritingTo: url).truncate(atOffset: UInt64(file.dataOffset + cRange.lowerBound + 1))
        #expect(try file.tensor("a") == a)
        do {
            _ = try file.tensor("c")
            Issue.record("expected reading a truncated tensor to throw")
        } catch let error as SafetensorsError {
            guard case let .readFailed(path, name, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == url.path && name == "c" && error.description.contains("truncated"), "\(error)")
        }
    }

    /// Tensors larger than one conversion chunk (4 MB of source bytes) decode the same from a file
    /// (chunk by chunk) as from memory (in one piece).
    @Test func convertsLargeTensorsChunkByChunk() throws {
        let url = temporaryURL("chunks.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let x = Tensor.randomNormal([1_500_001], seed: 3)  // 3 MB as F16, 6 MB as F64, 6 MB as F32
        try SafetensorsFile.write([("h", .float(x, .F16)), ("d", .float(x, .F64)), ("f", .float(x)), ("b", .float(x, .BF16)),
                                   ("i", .int(IntTensor((0..<600_000).map { $0 - 300_000 }), .I64))], to: url)
        let fromFile = try SafetensorsFile(contentsOf: url)
        let inMemory = try SafetensorsFile(data: Data(contentsOf: url))
        #expect(try fromFile.tensor("d") == x && fromFile.tensor("f") == x)
        #expect(try fromFile.tensor("h") == inMemory.tensor("h"))
        #expect(try fromFile.tensor("b") == inMemory.tensor("b"))
        #expect(try fromFile.intTensor("i") == IntTensor((0..<600_000).map { $0 - 300_000 }))
        #expect(try fromFile.tensors(["f", "d"]).count == 2)
    }

    /// A file on disk with the given header and `dataBytes` zero bytes of data.
    func write(header: String, dataBytes: Int) throws -> URL {
        let url = temporaryURL("bad.safetensors")
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        data.append(Data(bytes: &length, count: 8))
        data.append(Data(header.utf8))
        data.append(Data(count: dataBytes))
        try data.write(to: url)
        return url
    }

    @Test func rejectsMalformedHeadersBeforeReadingData() throws {
        let cases: [(String, String, Int, String)] = [
            ("overlapping ranges", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8, "overlapping"),
            ("range past the end", #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, 12, "past the end of the data section (12 bytes)"),
            ("shape × dtype mismatch", #"{"a": {"dtype": "BF16", "shape": [3, 2], "data_offsets": [0, 24]}}"#, 24, "needs 12 bytes, but data_offsets span 24"),
            ("element count overflows Int", #"{"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}"#, 4, "too many elements"),
            ("byte count overflows Int", #"{"a": {"dtype": "F64", "shape": [2147483648, 2147483648], "data_offsets": [0, 8]}}"#, 8, "needs too many bytes"),
            ("offset beyond Int", #"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 18446744073709551615]}}"#, 1, "two integers"),
        ]
        for (label, header, bytes, fragment) in cases {
            let url = try write(header: header, dataBytes: bytes)
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                _ = try SafetensorsFile(contentsOf: url)
                Issue.record("\(label): expected an error")
            } catch let error as SafetensorsError {
                #expect(error.description.contains(fragment), "\(label): \(error.description)")
            }
        }
        // A directory is not a safetensors file.
        #expect(throws: SafetensorsError.unreadable(path: FileManager.default.temporaryDirectory.path,
                                                    reason: "expected a regular file, found a directory or device")) {
            try SafetensorsFile(contentsOf: FileManager.default.temporaryDirectory)
        }
    }
}
