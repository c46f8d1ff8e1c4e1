import Foundation
import LensTensor

extension SafetensorsFile {
    /// Writes `tensors` (in the given order) and `metadata` to `url`, streaming one tensor at a
    /// time so a large file is never assembled in memory.
    public static func write(_ tensors: [(name: String, value: SafetensorsValue)], metadata: [String: String] = [:],
                             to url: URL) throws {
        func fail(_ reason: String) -> SafetensorsError { .unwritable(path: url.path, reason: reason) }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        var seen = Set<String>()
        for (name, value) in tensors {
            guard name != "__metadata__", seen.insert(name).inserted else { throw fail("duplicate or reserved tensor name \"\(name)\"") }
            switch value {
            case let .float(_, d) where !d.isFloatingPoint, let .int(_, d) where d.isFloatingPoint:
                throw fail("tensor \"\(name)\" cannot be stored as \(d.rawValue)")
            default: break
            }
            let bytes = value.shape.reduce(1, *) * value.dtype.size
            header[name] = ["dtype": value.dtype.rawValue, "shape": value.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: url) else {
            throw fail("cannot create the file")
        }
        defer { try? handle.close() }
        do {
            var length = UInt64(json.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: json)
            for (_, value) in tensors {
                try handle.write(contentsOf: SafetensorsCodec.encode(value))
            }
        } catch {
            throw fail(error.localizedDescription)
        }
    }

    /// Writes float tensors as F32 and integer tensors as I64, names sorted.
    public static func write(floats: [String: Tensor] = [:], ints: [String: IntTensor] = [:],
                             metadata: [String: String] = [:], to url: URL) throws {
        let values = floats.map { (name: $0.key, value: SafetensorsValue.float($0.value)) }
            + ints.map { (name: $0.key, value: SafetensorsValue.int($0.value)) }
        try write(values.sorted { $0.name < $1.name }, metadata: metadata, to: url)
    }
}
