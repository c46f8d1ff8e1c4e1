#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The child side of the long mode: runs a range of cases in this process and reports each on
/// standard output as it goes — `S <n>` before case n starts, `R <json>` (a ``FuzzResult``)
/// when it ends — so that the ``FuzzSupervisor`` reading the lines knows which case was
/// running when the process trapped, aborted or hung.
public enum FuzzWorker {
    /// Caps this process's address space at `megabytes`: an attempted huge allocation then
    /// fails at once (and the process aborts, counted as an abort) instead of paging the
    /// machine to a halt.
    public static func limitMemory(megabytes: Int) {
        guard megabytes > 0 else { return }
        var limit = rlimit(rlim_cur: rlim_t(megabytes) << 20, rlim_max: rlim_t(megabytes) << 20)
        #if os(Linux)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
        #else
        _ = setrlimit(RLIMIT_AS, &limit)
        #endif
    }

    /// Runs cases `range` of `generator` with `runner`, writing the protocol lines.
    public static func run(_ range: Range<Int>, runner: FuzzRunner) {
        let out = FileHandle.standardOutput
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for index in range {
            out.write(Data("S \(index)\n".utf8))
            let result = runner.run(index: index)
            let json = (try? encoder.encode(result)) ?? Data("{}".utf8)
            out.write(Data("R ".utf8) + json + Data("\n".utf8))
        }
    }
}
