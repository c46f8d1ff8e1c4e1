#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The bytes of a safetensors file: an open file read with `pread`, or an in-memory copy.
///
/// A file is read, not memory-mapped: each request copies exactly the bytes asked for into the
/// caller's buffer (a tensor's own storage, or a small scratch chunk), so after a tensor is
/// converted nothing of the file stays resident, and a file that shrinks after it was opened
/// gives an error instead of a SIGBUS. `pread` carries its own offset, so concurrent reads are
/// safe.
final class SafetensorsSource: @unchecked Sendable {
    private enum Storage {
        case descriptor(Int32)
        case memory(Data)
    }

    private let storage: Storage
    /// The file's path, or a label for in-memory bytes (used in error messages).
    let path: String
    /// Size in bytes, as found when the file was opened.
    let size: Int

    /// Opens the file at `path` for reading.
    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError.unreadable(path: path, reason: Self.errnoText()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = Self.errnoText()
            close(fd)
            throw SafetensorsError.unreadable(path: path, reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw SafetensorsError.unreadable(path: path, reason: "expected a regular file, found a directory or device")
        }
        storage = .descriptor(fd)
        self.path = path
        size = Int(info.st_size)
    }

    /// Wraps bytes already in memory.
    init(data: Data, origin: String) {
        storage = .memory(data)
        path = origin
        size = data.count
    }

    deinit {
        if case let .descriptor(fd) = storage { close(fd) }
    }

    /// Fills `buffer` with the bytes at `offset ..< offset + buffer.count`; throws `failure(reason)`
    /// if they cannot all be read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
              failure: (String) -> SafetensorsError) throws {
        guard buffer.count > 0 else { return }
        guard offset >= 0, offset <= size - buffer.count else {
            throw failure("bytes \(offset)..<\(offset + buffer.count) lie outside the \(size)-byte file")
        }
        switch storage {
        case let .memory(data):
            data.withUnsafeBytes { raw in
                buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: buffer.count)
            }
        case let .descriptor(fd):
            var done = 0
            while done < buffer.count {
                let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(Self.errnoText())
                }
                guard n > 0 else {
                    throw failure("the file ended at byte \(offset + done); expected bytes up to \(offset + buffer.count) (was it truncated after it was opened?)")
                }
                done += n
            }
        }
    }

    /// Calls `body` with consecutive pieces of the bytes in `range` (absolute offsets), each at
    /// most `chunkBytes` long (a multiple of `alignment`), and the offset of the piece within
    /// `range`. In-memory bytes are passed in place; file bytes through one reused scratch
    /// buffer, so converting a tensor never holds more than one chunk of its source bytes.
    func forEachChunk(of range: Range<Int>, chunkBytes: Int, failure: (String) -> SafetensorsError,
                      _ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        guard !range.isEmpty else { return }
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw failure("bytes \(range) lie outside the \(size)-byte file")
        }
        switch storage {
        case let .memory(data):
            try data.withUnsafeBytes { raw in
                try body(UnsafeRawBufferPointer(rebasing: raw[range]), 0)
            }
        case .descriptor:
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunkBytes, range.count), alignment: 16)
            defer { scratch.deallocate() }
            var start = range.lowerBound
            while start < range.upperBound {
                let piece = UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(scratch.count, range.upperBound - start)])
                try read(into: piece, at: start, failure: failure)
                try body(UnsafeRawBufferPointer(piece), start - range.lowerBound)
                start += piece.count
            }
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
