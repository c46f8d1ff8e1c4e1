import Foundation
import LensFuzz
import SwiftLens
import Testing

/// The fuzz suite in CI (issue 11, "no input crashes SwiftLens"): a few thousand seeded
/// mutations of the fixture models' safetensors files, TransformerLens and Hugging Face
/// configs, token inputs and GGUF files, each loaded in this process with `HookedTransformer.load` and run
/// once. Every case must end in a typed SwiftLens error with a specific message, or load and
/// run; an input known to be invalid must not load. A trap ends the test process: that is how
/// this test fails on one. `lens fuzz` is the long mode (any number of cases, in child
/// processes that count traps, aborts and hangs).
@Suite struct FuzzTests {
    /// The CI run: fixed, so a failure names a case anyone can rerun with
    /// `lens fuzz --seed 2026 --case N`.
    static let seed: UInt64 = 2026
    static let caseCount = 5000

    @Test func seededMutationsEndInACleanErrorOrLoad() throws {
        let corpus = try FuzzCorpus(fixtures: Fixtures.root)
        let generator = FuzzCaseGenerator(corpus: corpus, seed: Self.seed)
        let runner = try FuzzRunner(generator: generator)
        defer { runner.close() }
        var results: [FuzzResult] = []
        let start = DispatchTime.now().uptimeNanoseconds
        for index in 0..<Self.caseCount { results.append(runner.run(generator.makeCase(index))) }
        // The time is printed, never asserted on.
        let report = FuzzReport(seed: Self.seed, results: results, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        print(report.table)
        let failures = FuzzReport(seed: Self.seed, results: report.failures, seconds: 0)
        #expect(failures.results.isEmpty,
                "\(failures.results.count) cases failed (rerun one with lens fuzz --seed \(Self.seed) --case N):\n\(failures.failureSummary)")
        // Every error is one of SwiftLens's types with a specific message, and nothing invalid loaded.
        for outcome in [FuzzOutcome.untypedError, .wronglyAccepted] {
            #expect(report.count(outcome) == 0, "\(outcome.rawValue)")
        }
        // The suite exercises what it claims: every family, both good outcomes.
        for family in FuzzFamily.allCases {
            #expect(report.count(.cleanError, family: family) > 0, "\(family.rawValue) never rejected")
            #expect(report.count(.accepted, family: family) > 0, "\(family.rawValue) never accepted")
        }
    }

    /// A case is a function of (seed, index) alone: the same bytes every time, so `--case N`
    /// reproduces exactly what a run saw.
    @Test func casesAreReproducible() throws {
        let corpus = try FuzzCorpus(fixtures: Fixtures.root)
        let a = FuzzCaseGenerator(corpus: corpus, seed: 7), b = FuzzCaseGenerator(corpus: corpus, seed: 7)
        let other = FuzzCaseGenerator(corpus: corpus, seed: 8)
        var differs = 0
        for index in [0, 1, 2, 3, 4, 5, 97, 1234, 99_999] {
            let x = a.makeCase(index), y = b.makeCase(index), z = other.makeCase(index)
            #expect(x.mutation == y.mutation && x.detail == y.detail && x.validity == y.validity)
            #expect(Self.bytes(x.input) == Self.bytes(y.input), "case \(index)")
            if Self.bytes(x.input) != Self.bytes(z.input) { differs += 1 }
        }
        #expect(differs > 0)
    }

    static func bytes(_ input: FuzzInput) -> [Data] {
        switch input {
        case let .directory(files, process): files.keys.sorted().map { files[$0]! } + [Data([process ? 1 : 0])]
        case let .tokens(base, .tensor(t), call): [Data("\(base) \(t.shape) \(t.scalars) \(call)".utf8)]
        case let .tokens(base, .safetensors(d), call): [Data("\(base) \(call)".utf8), d]
        case let .gguf(d): [d]
        }
    }

    /// The classification itself: a typed error with a specific message is clean; a Foundation
    /// error or a generic message is not.
    @Test func errorsAreClassifiedByTypeAndMessage() {
        #expect(FuzzRunner.isSpecific(ConfigError.missingField("d_model")))
        #expect(FuzzRunner.isSpecific(SafetensorsError.fileTooSmall(path: "w.safetensors", bytes: 3)))
        #expect(!FuzzRunner.isSpecific(CocoaError(.fileReadCorruptFile)))
        #expect(!FuzzRunner.isSpecific(ConfigError.invalidJSON("The operation could not be completed. The data is not in the correct format.")))
    }

    /// `lens fuzz` runs cases in child processes and prints the outcome table; `--case N`
    /// describes one case.
    @Test func lensFuzzPrintsTheOutcomeTable() throws {
        let run = try BuiltExecutable.run("lens", ["fuzz", "--cases", "30", "--seed", "3", "--fixtures", Fixtures.root.path,
                                                   "--families", "tokens,safetensors-header"])
        #expect(run.status == 0 || run.status == 1, "\(run.combined)")
        #expect(run.stdout.contains("seed 3: 30 cases"), "\(run.combined)")
        for column in ["clean error", "accepted", "wrongly accepted", "untyped error", "trap", "abort", "hang"] {
            #expect(run.stdout.contains(column), "\(column)")
        }
        let one = try BuiltExecutable.run("lens", ["fuzz", "--seed", "3", "--case", "4", "--fixtures", Fixtures.root.path])
        #expect(one.stdout.contains("case 4 of seed 3:") && one.stdout.contains("→ "), "\(one.combined)")
        let help = try BuiltExecutable.run("lens", ["fuzz", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--time-limit SECONDS"), "\(help.combined)")
    }
}
