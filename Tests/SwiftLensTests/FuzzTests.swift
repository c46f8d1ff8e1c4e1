import Foundation
import LensFuzz
import SwiftLens
import Testing

/// The fuzz suite in CI (issue 11, "no input crashes SwiftLens"): a few thousand seeded
/// mutations of the fixture models' safetensors files, TransformerLens and Hugging Face
/// configs, and token inputs, each loaded in this process with `HookedTransformer.load` and run
/// once. Every case must end in a typed SwiftLens error with a specific message, or load and
/// run; an input known to be invalid must not load. A trap ends the test process: that is how
/// this test fails on one. `lens fuzz` is the long mode (any number of cases, in child
/// processes that count traps, aborts and hangs).
@Suite struct FuzzTests {
    /// The CI run: fixed, so a failure names a case anyone can rerun with
    /// `lens fuzz --seed 2026 --case N`.
    static let seed: UInt64 = 2026
    static let caseCount = 5000

    /// A class of defect the fuzz suite found that another branch is fixing.
    struct KnownDefect {
        /// Mutation identifiers `family:field:operation` it covers: a prefix of components,
        /// `*` matching any one component (`tl-config:*:fraction`).
        let pattern: String
        /// What the class does today. A trap, abort or hang cannot run in process, so cases of
        /// such a class are skipped; the others run and may end this way.
        let outcomes: Set<FuzzOutcome>
        /// The cause and where it is, for the lead checking it against the fixes.
        let note: String

        init(_ pattern: String, _ outcomes: Set<FuzzOutcome>, _ note: String) {
            self.pattern = pattern
            self.outcomes = outcomes
            self.note = note
        }

        func matches(_ mutation: String) -> Bool {
            let want = pattern.split(separator: ":"), have = mutation.split(separator: ":")
            return want.count <= have.count && zip(want, have).allSatisfy { $0 == "*" || $0 == $1 }
        }
        var crashes: Bool { !outcomes.isDisjoint(with: [.trap, .abort, .hang]) }
    }

    /// TEMPORARY: the defect classes found when the suite was written (`lens fuzz` at 10,000
    /// cases of seeds 1 and 2, and this test's seed), which the config (decoding, rotary, size
    /// budget) and Hugging Face conversion / safetensors branches are fixing. The lead empties
    /// this list as those fixes merge: the test then holds every class to "clean error or
    /// accepted", and prints the entries no case hit any more.
    static let knownDefects: [KnownDefect] = [
        // Huge dimensions: no size budget, so products overflow or allocations exhaust memory.
        .init("tl-config:n_layers:huge", [.abort, .hang], "parameter declarations for 2^62 layers exhaust memory"),
        .init("tl-config:d_model:huge", [.trap], "HookedTransformerConfig.swift:140 `4 * dModel` overflows"),
        .init("tl-config:n_ctx:huge", [.trap, .abort], "Rotary.swift:21 overflows (rotary models: n_ctx sets no weight shape)"),
        .init("hf-gpt2-config:n_embd:huge", [.trap], "HuggingFaceCheckpoint.swift:115 `3 * d` overflows"),
        .init("hf-gpt2-config:n_layer:huge", [.abort, .hang], "gpt2Expected lists 12 tensors per layer for 10^6+ layers"),
        .init("hf-llama-config:num_hidden_layers:huge", [.abort, .trap, .hang], "llamaExpected lists tensors for 10^6+ layers"),
        .init("hf-llama-config:max_position_embeddings:huge", [.trap, .abort], "Rotary.swift:21 overflows or allocates n_ctx × rotary_dim"),
        .init("hf-llama-config:num_attention_heads:huge", [.trap], "HuggingFaceCheckpoint.swift:136 `heads * dh` overflows"),
        .init("hf-llama-config:head_dim:huge", [.trap], "HuggingFaceCheckpoint.swift:136 `heads * dh` overflows"),
        .init("hf-llama-config:num_key_value_heads:huge", [.trap], "HuggingFaceCheckpoint.swift:136 `heads * dh` overflows"),
        // Generic messages: Foundation's "The operation could not be completed" inside a typed error.
        .init("safetensors-bytes:header", [.untypedError], "SafetensorsHeader: malformed JSON message is Foundation's generic one"),
        .init("safetensors-bytes:length-prefix", [.untypedError], "SafetensorsHeader: malformed JSON message is Foundation's generic one"),
        .init("safetensors-header:nesting", [.untypedError], "SafetensorsHeader: JSON nested deeper than Foundation's limit, generic message"),
        .init("*:document", [.untypedError], "ConfigError.invalidJSON carries Foundation's generic message"),
        .init("hf-gpt2-config:*:overflow-literal", [.untypedError], "1E400 is not JSON Foundation parses: ConfigError.invalidJSON, generic message"),
        .init("hf-gpt2-config:*:extreme", [.untypedError], "as above"),
        .init("hf-llama-config:*:overflow-literal", [.untypedError, .wronglyAccepted], "as above; 1e300 read as absent"),
        .init("hf-llama-config:*:extreme", [.untypedError, .wronglyAccepted], "as above; -1e300 rope_theta accepted"),
        // TransformerLens config decoding: DecodingError.dataCorrupted escapes decode(json:).
        .init("tl-config:*:fraction", [.untypedError], "HookedTransformerConfig.decode: a non-integer is a bare DecodingError"),
        .init("tl-config:*:overflow-literal", [.untypedError], "HookedTransformerConfig.decode: a number outside Int is a bare DecodingError"),
        .init("tl-config:*:extreme", [.untypedError], "HookedTransformerConfig.decode: a number outside Float is a bare DecodingError"),
        .init("tl-config:rotary_base", [.wronglyAccepted], "validated() accepts rotary_base ≤ 0"),
        .init("tl-config:num_experts:bool", [.wronglyAccepted], "num_experts = false passes the unsupported-flag check"),
        // Hugging Face configs: a value of the wrong type is read as absent (`as? Int ?? default`).
        .init("hf-gpt2-config:*:bool", [.wronglyAccepted], "HuggingFaceCheckpoint.gpt2Config: wrong types read as absent or as 1"),
        .init("hf-gpt2-config:*:string", [.wronglyAccepted], "as above"),
        .init("hf-gpt2-config:*:array", [.wronglyAccepted], "as above"),
        .init("hf-gpt2-config:*:object", [.wronglyAccepted], "as above"),
        .init("hf-gpt2-config:*:fraction", [.wronglyAccepted], "as above"),
        .init("hf-gpt2-config:*:wrong-type", [.wronglyAccepted], "as above"),
        .init("hf-llama-config:*:bool", [.wronglyAccepted], "HuggingFaceCheckpoint.llamaConfig: wrong types read as absent or as 1"),
        .init("hf-llama-config:*:string", [.wronglyAccepted], "as above"),
        .init("hf-llama-config:*:array", [.wronglyAccepted], "as above"),
        .init("hf-llama-config:*:object", [.wronglyAccepted], "as above"),
        .init("hf-llama-config:*:fraction", [.wronglyAccepted], "as above"),
        .init("hf-llama-config:*:wrong-type", [.wronglyAccepted], "as above"),
        .init("hf-llama-config:rope_parameters", [.wronglyAccepted], "rope_parameters not an object is read as absent"),
        .init("hf-llama-config:rope_theta", [.wronglyAccepted], "llamaConfig accepts rope_theta ≤ 0"),
        .init("hf-gpt2-config:n_ctx:overflow-literal", [.wronglyAccepted], "a 30-digit n_ctx is read as absent"),
        .init("hf-gpt2-config:n_inner:overflow-literal", [.wronglyAccepted], "1e300 n_inner is read as absent"),
        // Hugging Face checkpoints: tensors of layers the config does not have are ignored.
        .init("hf-gpt2-config:n_layer", [.wronglyAccepted], "fewer layers than the file holds: the rest are silently dropped"),
        .init("hf-llama-config:num_hidden_layers", [.wronglyAccepted], "as above"),
        .init("safetensors-header:tensor:extra", [.wronglyAccepted], "an HF file's tensors for layers beyond n_layer are tolerated"),
        // Safetensors headers: a duplicated key is resolved silently (Foundation keeps one).
        .init("safetensors-header:duplicate-key:conflicting", [.wronglyAccepted], "SafetensorsHeader does not reject duplicate keys"),
    ]

    /// Whether case `mutation` belongs to a known class that crashes (and must not run here).
    static func isKnownCrash(_ mutation: String) -> Bool {
        knownDefects.contains { $0.crashes && $0.matches(mutation) }
    }

    /// The known class, if any, that explains `outcome` for `mutation`.
    static func knownDefect(_ mutation: String, _ outcome: FuzzOutcome) -> KnownDefect? {
        knownDefects.first { $0.matches(mutation) && $0.outcomes.contains(outcome) }
    }

    @Test func seededMutationsEndInACleanErrorOrLoad() throws {
        let corpus = try FuzzCorpus(fixtures: Fixtures.root)
        let generator = FuzzCaseGenerator(corpus: corpus, seed: Self.seed)
        let runner = try FuzzRunner(generator: generator)
        defer { runner.close() }
        var results: [FuzzResult] = []
        var skipped: [Int] = []
        var hit = Set<String>()
        let start = DispatchTime.now().uptimeNanoseconds
        for index in 0..<Self.caseCount {
            let fuzzCase = generator.makeCase(index)
            if Self.isKnownCrash(fuzzCase.mutation) {
                skipped.append(index)
                hit.formUnion(Self.knownDefects.filter { $0.crashes && $0.matches(fuzzCase.mutation) }.map(\.pattern))
                continue
            }
            let result = runner.run(fuzzCase)
            if result.outcome.isFailure, let known = Self.knownDefect(result.mutation, result.outcome) { hit.insert(known.pattern) }
            results.append(result)
        }
        // The time is printed, never asserted on.
        let report = FuzzReport(seed: Self.seed, results: results, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        print(report.table)
        let unexpected = FuzzReport(seed: Self.seed, results: report.failures.filter { Self.knownDefect($0.mutation, $0.outcome) == nil },
                                    seconds: 0)
        #expect(unexpected.results.isEmpty,
                "\(unexpected.results.count) cases failed (rerun one with lens fuzz --seed \(Self.seed) --case N):\n\(unexpected.failureSummary)")
        // Every error is one of SwiftLens's types with a specific message, and nothing invalid
        // loaded, outside the known classes (the two conditions the expectation above checks).
        for outcome in [FuzzOutcome.untypedError, .wronglyAccepted] {
            #expect(unexpected.count(outcome) == 0, "\(outcome.rawValue)")
        }
        // The suite exercises what it claims: every family, both good outcomes.
        for family in FuzzFamily.allCases {
            #expect(report.count(.cleanError, family: family) > 0, "\(family.rawValue) never rejected")
            #expect(report.count(.accepted, family: family) > 0, "\(family.rawValue) never accepted")
        }
        let stale = Self.knownDefects.map(\.pattern).filter { !hit.contains($0) }
        if !stale.isEmpty { print("known defect classes no case hit (remove them?): \(stale.joined(separator: ", "))") }
        if !skipped.isEmpty { print("skipped \(skipped.count) cases of known crashing classes") }
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
        }
    }

    /// The classification itself: a typed error with a specific message is clean; a Foundation
    /// error or a generic message is not.
    @Test func errorsAreClassifiedByTypeAndMessage() {
        #expect(FuzzRunner.isSpecific(ConfigError.missingField("d_model")))
        #expect(FuzzRunner.isSpecific(SafetensorsError.fileTooSmall(bytes: 3)))
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
