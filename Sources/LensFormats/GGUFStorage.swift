#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The bytes of a GGUF file: a read-only memory mapping of the whole file, or an owned copy of
/// in-memory bytes. Lives as long as any ``GGUFFile`` or ``GGUFTensorData`` that refers to it.
///
/// Why a mapping (where `SafetensorsSource` uses `pread`): a quantised model is meant to stay
/// quantised in memory, its blocks dequantised row by row when used, and a mapping hands out a
/// tensor's blocks in place — no copy, no allocation, and pages the kernel can drop and re-read
/// under memory pressure because they are clean and file-backed. Only pages that are touched are
/// read. The cost is the usual one of mappings (llama.cpp maps GGUF files the same way): if
/// another process truncates the file while it is mapped, touching the lost pages raises SIGBUS
/// instead of an error. Everything is validated against the size seen at open time.
final class GGUFStorage: @unchecked Sendable {
    /// The whole file; empty (with a nil base address) for an empty file.
    let bytes: UnsafeRawBufferPointer
    /// The file's path, or a label for in-memory bytes (used in error messages).
    let path: String
    private let isMapped: Bool

    /// Maps the file at `path` read-only.
    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GGUFError.unreadable(path: path, reason: Self.errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GGUFError.unreadable(path: path, reason: Self.errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError.unreadable(path: path, reason: "expected a regular file, found a directory or device")
        }
        let size = Int(info.st_size)
        self.path = path
        isMapped = size > 0
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw GGUFError.unreadable(path: path, reason: "cannot memory-map \(size) bytes: \(Self.errnoText())")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Copies `data` into storage of its own (aligned like a mapping, so kernels see the same
    /// alignment in tests as on files).
    init(data: Data, origin: String) {
        path = origin
        isMapped = false
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        if !data.isEmpty { data.copyBytes(to: buffer.bindMemory(to: UInt8.self).baseAddress!, count: data.count) }
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[..<data.count])
    }

    /// Lets the system drop the mapped pages of bytes `range` from this process's memory (they
    /// are clean file pages: touching them again reads them back). Called once a tensor has
    /// been dequantised, so loading a model does not keep the file resident beside the weights.
    func releasePages(_ range: Range<Int>) {
        guard isMapped, let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        // Whole pages inside the range only: a neighbouring tensor's bytes stay untouched.
        let start = (range.lowerBound + page - 1) / page * page, end = range.upperBound / page * page
        guard start < end else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count)
        } else if let base = bytes.baseAddress {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
