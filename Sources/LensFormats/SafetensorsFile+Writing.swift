#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LensTensor

extension SafetensorsFile {
    /// Writes `tensors` (in the given order) and `metadata` to `url`, streaming one tensor at a
    /// time so a large file is never assembled in memory. The bytes go to a hidden temporary file
    /// in `url`'s directory that is renamed to `url` only once complete: a failed write leaves
    /// neither a truncated file nor the temporary one (a killed process may leave the latter).
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
        // Written to a temporary file beside `url` and renamed over it at the end, so a failed
        // or interrupted write never leaves a truncated file under the final name.
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).partial-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: temporary) else {
            throw fail("cannot create a file in \(directory.path)")
        }
        var finished = false
        defer {
            try? handle.close()
            if !finished { try? FileManager.default.removeItem(at: temporary) }
        }
        do {
            var length = UInt64(json.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: json)
            for (_, value) in tensors { try write(value, to: handle) }
            try handle.close()
        } catch {
            throw fail(error.localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            throw fail("cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
        finished = true
    }

    /// Writes one tensor's bytes: F32 straight from the tensor's storage on little-endian
    /// machines, other dtypes encoded a slice at a time, so writing never holds a second full copy.
    private static func write(_ value: SafetensorsValue, to handle: FileHandle) throws {
        #if _endian(little)
        if case let .float(t, .F32) = value {
            try t.withUnsafeBufferPointer { buffer in
                let raw = UnsafeRawBufferPointer(buffer)
                var start = 0
                while start < raw.count {
                    let end = min(raw.count, start + chunkBytes)
                    try handle.write(contentsOf: Data(UnsafeRawBufferPointer(rebasing: raw[start..<end])))
                    start = end
                }
            }
            return
        }
        #endif
        try handle.write(contentsOf: SafetensorsCodec.encode(value))
    }

    /// Writes float tensors as F32 and integer tensors as I64, names sorted.
    public static func write(floats: [String: Tensor] = [:], ints: [String: IntTensor] = [:],
                             metadata: [String: String] = [:], to url: URL) throws {
        let values = floats.map { (name: $0.key, value: SafetensorsValue.float($0.value)) }
            + ints.map { (name: $0.key, value: SafetensorsValue.int($0.value)) }
        try write(values.sorted { $0.name < $1.name }, metadata: metadata, to: url)
    }
}
