import Foundation

/// How much memory a request may allocate when the caller sets no limit: what the system can
/// give this process now.
public enum MemoryBudget {
    /// Bytes available for new allocations: on Linux the kernel's `MemAvailable` (lowered to the
    /// room left under a cgroup v2 `memory.max`, in a container); elsewhere the physical memory.
    /// Nil if it cannot be read.
    public static var available: Int? {
        #if os(Linux)
        guard let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            return nil
        }
        var bytes = CacheEstimate.product([kilobytes, 1024])
        if let limit = cgroupNumber("memory.max"), let used = cgroupNumber("memory.current") {
            bytes = min(bytes, max(0, limit - used))
        }
        return bytes
        #else
        return Int(clamping: ProcessInfo.processInfo.physicalMemory)
        #endif
    }

    /// A number in `/sys/fs/cgroup/NAME` (nil for "max" or a missing file).
    private static func cgroupNumber(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/" + name, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Parses a size as people write it: `4096`, `512M`, `2G`, `1.5GB`, `800MiB` (K/M/G/T are
    /// powers of 1024); nil for anything else, a negative size, or one past `Int.max`.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        var unit = String(trimmed.dropFirst(number.count)).trimmingCharacters(in: .whitespaces)
        if unit.count == 3 && unit.hasSuffix("IB") {
            unit = String(unit.prefix(1))
        } else if unit.hasSuffix("B") {
            unit = String(unit.dropLast())
        }
        let scale: Double
        switch unit {
        case "": scale = 1
        case "K": scale = 0x1p10
        case "M": scale = 0x1p20
        case "G": scale = 0x1p30
        case "T": scale = 0x1p40
        default: return nil
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let bytes = (value * scale).rounded()
        guard bytes < 0x1p63 else { return nil }
        return Int(bytes)
    }
}
