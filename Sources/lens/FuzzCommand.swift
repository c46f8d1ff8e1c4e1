import Foundation
import LensCommandLine
import LensFuzz
import SwiftLens

/// `lens fuzz`: the long mode of the fuzz suite. Runs any number of seeded cases against
/// SwiftLens's readers in child processes (so a trap, an allocation failure or a hang is
/// counted against its case and the run goes on), prints the outcome table per input family and
/// every failing case with the number that reproduces it (`--case N`).
enum FuzzCommand {
    /// `FROM:TO`, a half-open range of case numbers.
    struct CaseRange: Sendable {
        let range: Range<Int>
        init?(parsing text: String) {
            let parts = text.split(separator: ":").map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, a <= b else { return nil }
            range = a..<b
        }
    }

    static let options = OptionTable(command: "lens fuzz", options: [
        .integer("--cases", minimum: 1, default: 10_000, help: "number of cases (numbered from 0)"),
        .integer("--seed", "S", default: 1, help: "the run's seed: case N of seed S is always the same input"),
        .integer("--case", "K", help: "run only case K, in this process (under --memory-limit), and describe it"),
        .string("--json", "FILE", help: "also write the table and every result as JSON"),
        .number("--time-limit", "SECONDS", minimum: 1, default: 20, help: "a case running longer is a hang"),
        .integer("--memory-limit", "MB", minimum: 0, default: 3072,
                 help: "address-space limit of each child (0: none); a larger allocation aborts the child"),
        .integer("--jobs", "J", minimum: 1, default: 1, help: "child processes at once"),
        .integer("--batch", minimum: 1, default: 1000, help: "cases per child process"),
        .flag("--in-process", help: "run every case in this process (fast; a trap ends the run)"),
        .list("--families", "F,…", help: "only these families (\(FuzzFamily.allCases.map(\.rawValue).joined(separator: ", ")))"),
        .string("--fixtures", "DIR", help: "the fixtures directory (default: the repository's Tests/Fixtures)"),
        .custom("--worker", "FROM:TO", expects: "a case range FROM:TO", help: "internal: run cases FROM..<TO as a child of lens fuzz",
                parse: CaseRange.init(parsing:)),
    ], summary: """
        seeded mutation fuzzing of SwiftLens's readers: safetensors bytes and headers, TransformerLens
        and Hugging Face (GPT-2, LLaMA) configs, and token inputs, each loaded in-process with
        HookedTransformer.load and run once; and GGUF files, opened with GGUFFile and every tensor
        dequantised. Cases run in child processes (--batch per child, under
        --memory-limit) so that traps, aborts and hangs (over --time-limit) are counted by case
        number; prints the outcome table per family and each failing case. Exits 1 if any case
        failed. --case K reruns one case.
        """)

    static func run(_ args: ParsedArguments) throws {
        let generator = try makeGenerator(args)
        if let worker: CaseRange = args.value(ifGiven: "--worker") {
            FuzzWorker.limitMemory(megabytes: args.integer("--memory-limit"))
            let runner = try FuzzRunner(generator: generator)
            defer { runner.close() }
            FuzzWorker.run(worker.range, runner: runner)
            return
        }
        if let index = args.integer(ifGiven: "--case") {
            // Under the same limit as a child, so reproducing an abort aborts at once.
            FuzzWorker.limitMemory(megabytes: args.integer("--memory-limit"))
            let fuzzCase = generator.makeCase(index)
            print("case \(index) of seed \(generator.seed): \(fuzzCase.mutation) [\(fuzzCase.base)], \(fuzzCase.validity.rawValue)")
            print("  \(fuzzCase.detail)")
            fflush(nil)  // every output stream, before a trap can lose the buffer
            let runner = try FuzzRunner(generator: generator)
            defer { runner.close() }
            let result = runner.run(fuzzCase)
            print("→ \(result.outcome.rawValue)\(result.message.isEmpty ? "" : ": " + result.message)")
            if result.outcome.isFailure { exit(1) }
            return
        }

        let count = args.integer("--cases")
        let start = DispatchTime.now().uptimeNanoseconds
        let progress = Progress(total: count)
        let results: [FuzzResult]
        if args.flag("--in-process") {
            let runner = try FuzzRunner(generator: generator)
            defer { runner.close() }
            results = (0..<count).map { i in
                let r = runner.run(index: i)
                progress.step(r)
                return r
            }
        } else {
            let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
            var common = ["fuzz", "--seed", "\(generator.seed)", "--memory-limit", "\(args.integer("--memory-limit"))",
                          "--fixtures", generator.corpus.root.path]
            if let families = args.value(ifGiven: "--families", as: [String].self) { common += ["--families", families.joined(separator: ",")] }
            let supervisor = FuzzSupervisor(executable: executable, generator: generator, timeLimit: Double(args.number("--time-limit")),
                                            batchSize: args.integer("--batch"), jobs: args.integer("--jobs")) { [common] range in
                common + ["--worker", "\(range.lowerBound):\(range.upperBound)"]
            }
            results = supervisor.run(0..<count) { progress.step($0) }
        }
        let report = FuzzReport(seed: generator.seed, results: results,
                                seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        print(report.table)
        print("\nfailures by outcome and mutation class (rerun one with lens fuzz --seed \(generator.seed) --case N):")
        print(report.failureSummary)
        if let path = args.string(ifGiven: "--json") {
            try report.json().write(to: URL(fileURLWithPath: path))
            print("\nwrote \(path)")
        }
        if !report.failures.isEmpty { exit(1) }
    }

    static func makeGenerator(_ args: ParsedArguments) throws -> FuzzCaseGenerator {
        guard let root = args.string(ifGiven: "--fixtures").map({ URL(fileURLWithPath: $0) }) ?? FuzzCorpus.locateFixtures() else {
            throw UsageError(description: "cannot find Tests/Fixtures; give --fixtures DIR")
        }
        var families = FuzzFamily.allCases
        if let names = args.value(ifGiven: "--families", as: [String].self) {
            families = try names.map { name in
                guard let family = FuzzFamily(rawValue: name) else {
                    throw UsageError(description: "--families: unknown family \"\(name)\" (known: \(FuzzFamily.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return family
            }
        }
        return FuzzCaseGenerator(corpus: try FuzzCorpus(fixtures: root), seed: UInt64(args.integer("--seed")), families: families)
    }

    /// A line on standard error every 1000 cases, with the failures so far.
    final class Progress: @unchecked Sendable {
        let total: Int
        private var done = 0, failures = 0
        private let lock = NSLock()
        init(total: Int) { self.total = total }

        func step(_ result: FuzzResult) {
            lock.lock()
            defer { lock.unlock() }
            done += 1
            if result.outcome.isFailure { failures += 1 }
            if done % 1000 == 0 || done == total {
                FileHandle.standardError.write(Data("  \(done)/\(total) cases, \(failures) failing\n".utf8))
            }
        }
    }
}
