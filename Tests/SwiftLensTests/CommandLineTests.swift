import Foundation
import LensCommandLine
import SwiftLens
import Testing

/// The `lens` executable, run as a user would (it is built with the tests).
@Suite struct CommandLineTests {
    /// Runs `lens` with `arguments`; returns the exit status and what it printed.
    static func lens(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let run = try BuiltExecutable.run("lens", arguments)
        return (run.status, run.combined)
    }

    @Test(arguments: ["classic/gpt2tiny", "hf/gpt2tiny", "classic/llamatiny"])
    func cacheWritesEveryActivation(fixture: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-cache-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let tokens = Fixtures.url("\(fixture)/activations.safetensors").path
        let (status, output) = try Self.lens(["cache", Fixtures.url(fixture).path, "--tokens", tokens, "--out", out.path])
        #expect(status == 0, "\(output)")
        let written = try SafetensorsFile(contentsOf: out)
        let reference = try Fixtures.open("\(fixture)/activations.safetensors")
        for key in ["logits", "loss_per_token", "blocks.1.attn.hook_pattern", "blocks.0.hook_resid_post", "blocks.1.attn.hook_z"] {
            let diff = try written.tensor(key).maxAbsoluteDifference(reference.tensor(key))
            #expect(diff < 1e-4, "\(fixture) \(key): \(diff)")
        }
        #expect(try written.intTensor("tokens") == reference.intTensor("tokens"))
        #expect(written.names.count >= 40)
    }

    @Test func cacheTakesInlineJSONAndProcesses() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-cache-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try Self.lens(["cache", Fixtures.url("classic/gpt2tiny").path, "--tokens", "[[1, 2, 3], [4, 5, 6]]",
                                              "--out", out.path, "--process"])
        #expect(status == 0, "\(output)")
        let written = try SafetensorsFile(contentsOf: out)
        #expect(try written.tensor("logits").shape == [2, 3, 50])
        // Processed: the residual stream is centred over d_model.
        #expect(try written.tensor("blocks.0.hook_resid_pre").mean(axis: -1).abs().max().scalar < 1e-5)
    }

    @Test func badArgumentsFailWithAMessage() throws {
        let model = Fixtures.url("classic/gpt2tiny").path
        let cases: [([String], String)] = [
            (["cache", model, "--tokens", "[[1, 2], [3]]", "--out", "/tmp/x"], "one length"),
            (["cache", model, "--tokens", "[[1, 99]]", "--out", "/tmp/x"], "outside the vocabulary"),
            (["cache", "/nonexistent", "--tokens", "[[1]]", "--out", "/tmp/x"], "does not exist"),
            (["cache", model, "--out", "/tmp/x"], "--tokens"),
            (["frobnicate"], "unknown command"),
            (["train", "--recipe", "X"], "--recipe expects R or U, found \"X\""),
            (["train", "--layers", "2", "--clamp-previous", "5.0"], "--clamp-previous 5.0 does not exist"),
            (["train", "--clamp-previous", "1x"], "--clamp-previous expects a head LAYER.HEAD"),
            (["train", "--steps", "ten"], "--steps expects a non-negative integer"),
            (["train", "--text", "/nonexistent.txt"], "cannot read /nonexistent.txt"),
            (["train", "--bogus"], "--bogus"),
            (["bench", "train", "--bogus"], "--bogus"),
            (["ablate", model], "--tokens TOKENS or --rrt"),
            (["ablate", model, "--rrt", "99x2"], "exceeds the vocabulary"),
            (["ablate", model, "--rrt", "10", "--over", "layers"], "--over expects heads, neurons or positions, found \"layers\""),
            (["ablate", model, "--rrt", "10", "--shard", "2/2"], "a shard is written i/n"),
            (["ablate", model, "--rrt", "10", "--metric", "accuracy"], "--metric must be"),
            (["patch", model, "--clean", "[[1, 2]]"], "missing --corrupted TOKENS"),
            (["patch", model, "--clean", "[[1, 2]]", "--corrupted", "[[1, 2]]", "--axes", "layer,row"], "--axes takes"),
            (["patch", model, "--clean", "[[1, 2]]", "--corrupted", "[[1, 2]]", "--axes", "pos"], "the first axis must be layer"),
            (["merge", "/tmp/out.json"], "lens merge: missing PART.json"),
            (["scores", model, "--rrt", "8", "--tokens", "[[1, 2]]"], "not both"),
            (["scores", model, "--top", "-1"], "--top expects a non-negative integer, found \"-1\""),
            (["scores", model, "--tokens", "[[" + Array(repeating: "1", count: 65).joined(separator: ", ") + "]]"], "exceed the model's n_ctx"),
        ]
        for (arguments, fragment) in cases {
            let (status, output) = try Self.lens(arguments)
            #expect(status != 0 && output.contains(fragment), "\(arguments): \(output)")
        }
    }

    /// The findings of the redesign issue, through the real executable: each is refused with a
    /// message naming what was wrong, and a non-zero status.
    @Test func strictOptionsAreRefusedByTheExecutable() throws {
        let model = Fixtures.url("classic/gpt2tiny").path
        let cases: [([String], String)] = [
            (["ablate", model, "--clean", "x"], "lens ablate: unknown option --clean"),
            (["train", "--seed", "abc"], "--seed expects a non-negative integer, found \"abc\""),
            (["scores", model, "--rrt", "8", "--seed", "abc"], "--seed expects a non-negative integer, found \"abc\""),
            (["patch", model, "--clean", "[[1, 2]]", "--corrupted", "[[1, 2]]", "--path-from", "0.1,1x"], "found \"0.1,1x\" (at \"1x\")"),
            (["scores", model, "extra"], "unexpected argument \"extra\""),
            (["demo", "--out"], "--out needs a value"),
            (["bench", "kernels", "--shapes", "1x2"], "--shapes expects GEMM shapes"),
            (["bench"], "needs a suite"),
        ]
        for (arguments, fragment) in cases {
            let (status, output) = try Self.lens(arguments)
            #expect(status == 2 && output.contains(fragment), "\(arguments): \(output)")
            #expect(!output.contains("Fatal error"), "\(arguments): \(output)")
        }
    }

    /// `lens <command> --help` lists, with a line of help each, every option its usage line names
    /// (both come from the command's table), and exits 0 without checking anything else; `lens
    /// help` shows every command's usage line.
    @Test func helpListsEveryOptionOfEachCommand() throws {
        let (_, overview) = try Self.lens(["help"])
        let commands = [["demo"], ["train"], ["ablate"], ["patch"], ["merge"], ["scores"], ["cache"],
                        ["bench", "kernels"], ["bench", "forward"], ["bench", "train"], ["bench", "sweep"], ["bench", "tokenizer"]]
        for command in commands {
            let (status, help) = try Self.lens(command + ["--help"])
            #expect(status == 0, "\(command): \(help)")
            let sections = help.components(separatedBy: "\noptions:\n")
            try #require(sections.count == 2, "\(command): \(help)")
            let usage = sections[0].components(separatedBy: "\n\n")[0]
            #expect(usage.hasPrefix("usage: lens " + command.joined(separator: " ")), "\(help)")
            let named = usage.split(whereSeparator: { " []\n".contains($0) }).filter { $0.hasPrefix("--") }.map(String.init)
            let rows = sections[1].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            for option in named {
                #expect(rows.contains { $0.hasPrefix(option + " ") && $0.count > option.count + 8 }, "\(command) \(option): \(help)")
            }
            #expect(named.count + 1 == rows.filter { $0.hasPrefix("-") }.count, "\(command): \(help)")
            #expect(overview.contains("lens " + command.joined(separator: " ")), "\(command) in lens help")
        }
        let (_, train) = try Self.lens(["train", "--help"])
        for option in ["--recipe R|U", "--clamp-previous L.H", "--weight-decay X", "--checkpoints S,S,…", "--quiet"] {
            #expect(train.contains("  " + option), "\(option)")
        }
        #expect(train.contains("(default: 2500)") && train.contains("(default: 0.4)"))
        let (cacheStatus, cache) = try Self.lens(["cache", "--help"])
        #expect(cacheStatus == 0 && cache.contains("--tokens TOKENS") && cache.contains("(required)"), "\(cache)")
    }

    @Test func trainWritesMetricsAndReportsThePhaseChange() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try Self.lens(["train", "--layers", "1", "--steps", "6", "--eval-every", "3", "--context", "16",
                                              "--batch", "4", "--checkpoints", "3", "--out", out.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("done: 6 steps") && output.contains("no phase change"), "\(output)")
        let csv = try String(contentsOf: out.appendingPathComponent("metrics.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").map { $0.prefix(while: { $0 != "," }) } == ["step", "0", "3", "6"])
        let summary = try InductionSummary.read(from: out.appendingPathComponent("metrics.json"))
        #expect(summary.steps == 6 && summary.evaluations.count == 3)
        let checkpoint = try HookedTransformer.load(directory: out.appendingPathComponent("checkpoints/step-000003"))
        #expect(checkpoint.config.nLayers == 1 && checkpoint.config.nCtx == 16)
        _ = try HookedTransformer.load(directory: out.appendingPathComponent("final"))
    }

    @Test func ablateAndPatchRunInShardsThatMerge() throws {
        let model = Fixtures.url("classic/gpt2tiny").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lens-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        let whole = try Self.lens(["ablate", model, "--rrt", "16x2", "--out", path("whole.json")])
        #expect(whole.status == 0 && whole.output.contains("base run"), "\(whole.output)")
        for i in 0..<3 {
            let part = try Self.lens(["ablate", model, "--rrt", "16x2", "--shard", "\(i)/3", "--out", path("part\(i).json")])
            #expect(part.status == 0, "\(part.output)")
        }
        let merged = try Self.lens(["merge", path("merged.json"), path("part2.json"), path("part0.json"), path("part1.json")])
        #expect(merged.output.contains("complete"), "\(merged.output)")
        let a = try SweepResult.read(from: URL(fileURLWithPath: path("whole.json")))
        let b = try SweepResult.read(from: URL(fileURLWithPath: path("merged.json")))
        #expect(try b.tensor().isApproximatelyEqual(to: a.tensor(), absoluteTolerance: 1e-5) && a.shape == [2, 4])
        // The CLI's scan is the library's.
        let tokens = RepeatedRandomTokens.batch(count: 2, length: 16, vocabularySize: 50, seed: 0)
        let library = try Sweep.headAblation(HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny")), tokens: tokens,
                                             metric: .inductionLoss(tokens: tokens)).run().tensor()
        #expect(try a.tensor().isApproximatelyEqual(to: library, absoluteTolerance: 1e-5))

        let fixture = try Fixtures.open("classic/gpt2tiny/interventions.safetensors")
        func json(_ t: IntTensor) -> String { "[[" + t.scalars.map(String.init).joined(separator: ", ") + "]]" }
        let clean = json(try fixture.intTensor("patch.clean_tokens")), corrupted = json(try fixture.intTensor("patch.corrupted_tokens"))
        let patch = try Self.lens(["patch", model, "--clean", clean, "--corrupted", corrupted, "--activation", "resid_pre",
                                   "--axes", "layer,pos", "--out", path("grid.safetensors")])
        #expect(patch.status == 0, "\(patch.output)")
        // The automatic answer tokens are the fixture's, so the grid is TransformerLens's.
        let grid = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path("grid.safetensors"))).tensor("result")
        #expect(grid.maxAbsoluteDifference(try fixture.tensor("patch.get_act_patch_resid_pre")) < 1e-4)
        let attribution = try Self.lens(["patch", model, "--clean", clean, "--corrupted", corrupted, "--attribution"])
        #expect(attribution.status == 0 && attribution.output.contains("attribution patching"), "\(attribution.output)")
        let path = try Self.lens(["patch", model, "--clean", clean, "--corrupted", corrupted, "--path-from", "0.1", "--component", "v"])
        #expect(path.status == 0 && path.output.contains("path patching"), "\(path.output)")
    }

    /// `lens scores` on the committed trained model names its heads, and what it writes is the
    /// library's numbers.
    @Test func scoresNameTheTrainedModelsHeads() throws {
        let model = Fixtures.url("trained/recipeR-2L-s0/final")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-scores-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try Self.lens(["scores", model.path, "--rrt", "20x4", "--seed", "3", "--out", out.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("previous-token heads above 0.4: L0H3 ("), "\(output)")
        #expect(output.contains("induction heads above 0.4: L1H0 (") && output.contains("L1H3 ("), "\(output)")
        #expect(output.contains("k-composition: L0H3→L1"), "\(output)")

        let written = try SafetensorsFile(contentsOf: out)
        let loaded = try HookedTransformer.load(directory: model)
        let tokens = RepeatedRandomTokens.batch(count: 4, length: 20, vocabularySize: loaded.config.dVocab, seed: 3)
        #expect(try written.intTensor("tokens") == tokens)
        let head = try HeadScores.measure(loaded, repeatedTokens: tokens)
        #expect(try written.tensor("induction").maxAbsoluteDifference(head.induction) < 1e-6)
        #expect(try written.tensor("previous_token").maxAbsoluteDifference(head.previousToken) < 1e-6)
        #expect(try written.tensor("detect_induction").maxAbsoluteDifference(HeadDetector.measure(loaded, tokens: tokens, pattern: .induction)) < 1e-6)
        #expect(try written.tensor("copying_logit").maxAbsoluteDifference(LogitCopyingScore.measure(loaded, repeatedTokens: tokens)) < 1e-5)
        #expect(try written.tensor("composition_k").maxAbsoluteDifference(loaded.allCompositionScores(.k)) < 1e-6)
        let ov = try loaded.ovCopyingScores()
        #expect(try written.tensor("copying_ov_eigenvalues").maxAbsoluteDifference(ov.eigenvalueScore) < 1e-6)
        #expect(try written.tensor("copying_ov_top1").maxAbsoluteDifference(#require(ov.topOneAccuracy)) == 0)

        // Tokens that are not repeats: only the detect_head scores and the circuit scores.
        let (plainStatus, plain) = try Self.lens(["scores", model.path, "--tokens", "[[5, 9, 2, 7, 1, 3, 8, 4]]"])
        #expect(plainStatus == 0 && plain.contains("are not [r, r] repeats") && !plain.contains("induct "), "\(plain)")
    }

    /// The README's main job, on the committed trained model (training is tested elsewhere):
    /// it names the heads, shows that ablating the induction heads destroys copying while a
    /// control head does not matter, and writes the HTML report.
    @Test func demoFindsAblatesAndReports() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try Self.lens(["demo", "--load", Fixtures.url("trained/recipeR-2L-s0").path, "--out", out.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("induction heads (≥ 0.4): L1H0, L1H1, L1H2, L1H3"), "\(output)")
        #expect(output.contains("previous-token heads (≥ 0.4): L0H3"), "\(output)")
        // "raises the loss on repeated tokens from 0.21 to 4.88"
        let numbers = output.components(separatedBy: "raises the loss on repeated tokens from ").last!.split(separator: " ")
        let (clean, ablated) = (Float(numbers[0]) ?? .nan, Float(numbers[2].trimmingCharacters(in: .punctuationCharacters)) ?? .nan)
        #expect(clean < 0.5 && ablated > 4, "\(output)")
        let index = try String(contentsOf: out.appendingPathComponent("report/index.html"), encoding: .utf8)
        for figure in ["training", "induction-scores", "attention-layer-1", "induction-head", "ablation", "loss-ablated"] {
            #expect(index.contains("\(figure).svg"), "the report links \(figure)")
            try TutorialsTests.expectWellFormedAndOffline(out.appendingPathComponent("report/\(figure).html"))
        }
    }

    /// The demo's training path, cut short: before the phase change it finds no induction head,
    /// says so, and still writes its report.
    @Test func demoBeforeThePhaseChangeSaysSo() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-demo-short-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try Self.lens(["demo", "--steps", "30", "--out", out.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("no phase change in 30 steps") && output.contains("no head scored ≥ 0.4 on induction"), "\(output)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report/training.svg").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("final/config.json").path))
        let (badStatus, bad) = try Self.lens(["demo", "--steps", "many"])
        #expect(badStatus != 0 && bad.contains("--steps expects a non-negative integer"), "\(bad)")
    }
}

/// The option tables themselves, without a process: what they accept, what they refuse and
/// with which message, and the help they write.
@Suite struct OptionTableTests {
    static let table = OptionTable(command: "lens probe", arguments: [.required("MODEL", help: "a model directory")], options: [
        .integer("--seed", "S", default: 0, help: "the seed"),
        .integer("--batch", "B", minimum: 1, help: "sequences"),
        .number("--lr", minimum: 0, default: 3e-3, help: "learning rate"),
        .number("--shift", help: "any finite number"),
        .string("--out", "FILE", help: "where to write"),
        .string("--tokens", "TOKENS", required: true, help: "the input"),
        .choice("--over", ["heads", "neurons"], default: "heads", help: "what to sweep"),
        .list("--axes", "AXIS,…", default: ["layer", "head"], help: "the grid"),
        .integers("--checkpoints", "S,S,…", help: "steps"),
        .head("--head", default: Head(layer: 1, head: 0), help: "a head"),
        .heads("--from", help: "sender heads"),
        .custom("--shard", "i/n", expects: "a shard i/n", help: "one shard", parse: { try Shard(parsing: $0) }),
        .flag("--quiet", help: "no progress"),
    ], summary: "a table with one option of each kind")

    static func parse(_ words: [String]) throws -> ParsedArguments { try table.parse(words) }

    /// The message of the error `words` raise.
    static func error(_ words: [String], table: OptionTable = table) -> String {
        do {
            _ = try table.parse(words)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func valuesAndDefaults() throws {
        let args = try Self.parse(["m", "--tokens", "[[1]]", "--seed", "7", "--lr=0.5", "--shift", "-2.5", "--over", "NEURONS",
                                   "--axes", "layer,pos", "--checkpoints", "1,20", "--head", "L0H3", "--from", "0.1,L1H2",
                                   "--shard", "1/4", "--quiet"])
        #expect(args.argument("MODEL") == "m" && args.positional == ["m"])
        #expect(args.integer("--seed") == 7 && args.number("--lr") == 0.5 && args.number(ifGiven: "--shift") == -2.5)
        #expect(args.string("--over") == "neurons" && args.strings("--axes") == ["layer", "pos"])
        #expect(args.integers(ifGiven: "--checkpoints") == [1, 20])
        #expect(try args.head("--head", layers: 2, heads: 4) == Head(layer: 0, head: 3))
        #expect(try args.heads(ifGiven: "--from", layers: 2, heads: 4) == [Head(layer: 0, head: 1), Head(layer: 1, head: 2)])
        #expect(args.value(ifGiven: "--shard", as: Shard.self) == (try Shard(parsing: "1/4")))
        #expect(args.flag("--quiet") && args.isGiven("--seed"))

        let defaults = try Self.parse(["m", "--tokens", "[[1]]"])
        #expect(defaults.integer("--seed") == 0 && defaults.number("--lr") == 3e-3 && defaults.string("--over") == "heads")
        #expect(defaults.strings("--axes") == ["layer", "head"])
        #expect(try defaults.head("--head", layers: 2, heads: 4) == Head(layer: 1, head: 0))
        #expect(defaults.integer(ifGiven: "--batch") == nil && defaults.string(ifGiven: "--out") == nil && !defaults.flag("--quiet"))
        #expect(!defaults.isGiven("--seed"))
        // After --, every word is positional; a negative number is a value, not an option.
        #expect(try Self.parse(["--tokens", "x", "--shift", "-1", "--", "--odd-name"]).argument("MODEL") == "--odd-name")
    }

    @Test(arguments: [
        // (a) an unknown option, named
        (["m", "--tokens", "x", "--clean", "y"], "unknown option --clean"),
        (["m", "--tokens", "x", "-v"], "unknown option -v"),
        // (c) a malformed value, naming the option, what it expects and the value
        (["m", "--tokens", "x", "--seed", "abc"], "--seed expects a non-negative integer, found \"abc\""),
        (["m", "--tokens", "x", "--seed", "-1"], "--seed expects a non-negative integer, found \"-1\""),
        (["m", "--tokens", "x", "--batch", "0"], "--batch expects an integer ≥ 1, found \"0\""),
        (["m", "--tokens", "x", "--lr", "fast"], "--lr expects a non-negative number, found \"fast\""),
        (["m", "--tokens", "x", "--shift", "nan"], "--shift expects a number, found \"nan\""),
        (["m", "--tokens", "x", "--shift", "inf"], "--shift expects a number, found \"inf\""),
        (["m", "--tokens", "x", "--over", "layers"], "--over expects heads or neurons, found \"layers\""),
        (["m", "--tokens", "x", "--axes", "layer,,pos"], "--axes expects comma-separated values"),
        (["m", "--tokens", "x", "--checkpoints", "10,x"], "--checkpoints expects comma-separated non-negative integers"),
        (["m", "--tokens", "x", "--shard", "4/4"], "--shard expects a shard i/n, found \"4/4\" (a shard is written i/n"),
        // (e) a malformed head
        (["m", "--tokens", "x", "--head", "1x"], "--head expects a head LAYER.HEAD (e.g. 1.0, or L1H0), found \"1x\""),
        (["m", "--tokens", "x", "--head", "1"], "--head expects a head LAYER.HEAD"),
        (["m", "--tokens", "x", "--head", "-1.0"], "--head expects a head LAYER.HEAD"),
        (["m", "--tokens", "x", "--head", "L1H"], "--head expects a head LAYER.HEAD"),
        (["m", "--tokens", "x", "--from", "0.1,2"], "--from expects heads LAYER.HEAD,… (e.g. 0.1,0.3, or L0H1,L0H3), found \"0.1,2\" (at \"2\")"),
        // values, options and arguments missing or extra
        (["m", "--tokens"], "--tokens needs a value (--tokens TOKENS)"),
        (["m", "--tokens", "--quiet"], "--tokens needs a value (--tokens TOKENS), found the option --quiet"),
        (["m", "--tokens", "x", "--quiet=yes"], "--quiet takes no value, found \"yes\""),
        (["m", "--tokens", "x", "--seed", "1", "--seed", "2"], "--seed is given twice"),
        (["m"], "missing --tokens TOKENS: the input"),
        (["--tokens", "x"], "missing MODEL: a model directory"),
        (["m", "n", "--tokens", "x"], "unexpected argument \"n\" (lens probe takes MODEL)"),
    ])
    func refusedWithAMessage(words: [String], message: String) {
        let error = Self.error(words)
        #expect(error.contains(message), "\(words): \(error)")
    }

    @Test func errorsCarryTheCommandAndItsUsage() throws {
        do {
            _ = try Self.parse(["m", "--tokens", "x", "--seed", "abc"])
            Issue.record("accepted --seed abc")
        } catch let error as UsageError {
            #expect(error.command == "lens probe" && error.usage == Self.table.usage)
        }
    }

    /// A head that parses but is not in the model is refused when the model's size is known.
    @Test func headsOutsideTheModelAreRefused() throws {
        let args = try Self.parse(["m", "--tokens", "x", "--head", "5.0", "--from", "0.1,L3H0"])
        #expect(throws: UsageError.self) { try args.head("--head", layers: 2, heads: 4) }
        do { _ = try args.head("--head", layers: 2, heads: 4) } catch {
            #expect("\(error)".contains("--head 5.0 does not exist: the model has 2 layers of 4 heads"), "\(error)")
        }
        do { _ = try args.heads(ifGiven: "--from", layers: 2, heads: 4) } catch {
            #expect("\(error)".contains("--from L3H0 does not exist"), "\(error)")
        }
        #expect(try args.heads(ifGiven: "--from", layers: 4, heads: 4)?.count == 2)
    }

    /// (d) The help names every argument and option of the table, with its help line and default.
    @Test func helpListsEveryOption() throws {
        let help = Self.table.help
        for option in Self.table.options {
            let line = help.split(separator: "\n").first { $0.hasPrefix("  \(option.name) ") || $0 == "  \(option.name)" }
            #expect(line.map { $0.contains(option.help) } == true, "\(option.name) in:\n\(help)")
            #expect(Self.table.usage.contains(option.name))
            if let text = option.defaultText { #expect(line?.contains("(default: \(text))") == true, "\(option.name)") }
        }
        #expect(help.contains("  MODEL") && help.contains("-h, --help") && help.contains("a table with one option of each kind"))
        #expect(help.contains("--head L.H") && help.contains("(default: L1H0)") && help.contains("--over heads|neurons"))
        #expect(Self.table.usage.hasPrefix("lens probe MODEL [--seed S]") && Self.table.usage.contains("--tokens TOKENS") && !Self.table.usage.contains("[--tokens"))
        // Long usage lines wrap, indented under the command.
        #expect(Self.table.usage.split(separator: "\n").allSatisfy { $0.count <= 100 })
        #expect(Self.table.usage.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("           ") })
    }

    /// `--help` is honoured before anything is checked.
    @Test func helpIsRequestedBeforeChecking() {
        for words in [["--help"], ["-h"], ["m", "--seed", "abc", "--help"]] {
            #expect(throws: HelpRequest.self, "\(words)") { try Self.parse(words) }
        }
        // After --, "--help" is a positional word.
        #expect(Self.error(["--tokens", "x", "--", "--help"]) == "accepted")
    }

    @Test func repeatedAndOptionalArguments() throws {
        let merge = OptionTable(command: "lens merge", arguments: [.required("OUT", help: "the output"), .many("PART", help: "the parts")],
                                options: [], summary: "")
        let args = try merge.parse(["out.json", "a.json", "b.json"])
        #expect(args.argument("OUT") == "out.json" && args.arguments("PART") == ["a.json", "b.json"])
        #expect(Self.error(["out.json"], table: merge).contains("missing PART (at least 1): the parts"))
        #expect(Self.error(["out.json", "a", "--x"], table: merge).contains("unknown option --x (lens merge takes no options)"))

        let example = OptionTable(command: "Example", arguments: [.optional("MODEL_DIR", help: "a model")], options: [], summary: "")
        #expect(try example.parse([]).argument(ifGiven: "MODEL_DIR") == nil)
        #expect(try example.parse(["d"]).argument(ifGiven: "MODEL_DIR") == "d")
        #expect(Self.error(["d", "e"], table: example).contains("unexpected argument \"e\" (Example takes [MODEL_DIR])"))
    }
}

/// `--prompt` (and `--clean-prompt`, `--corrupted-prompt`) wherever a command takes token ids:
/// exactly one form of each input, and a model without a tokenizer (the committed trained model)
/// is refused with a message naming the option and the alternative.
@Suite struct PromptOptionTests {
    @Test func promptsAreRefusedWithoutATokenizerOrBesideTokenIDs() throws {
        let model = Fixtures.url("trained/recipeR-2L-s0/final").path
        let cases: [([String], String)] = [
            (["ablate", model, "--prompt", "hello"], "--prompt needs a tokenizer, and this model has none"),
            (["scores", model, "--prompt", "hello"], "--prompt needs a tokenizer, and this model has none"),
            (["patch", model, "--clean-prompt", "a b", "--corrupted", "[[1, 2]]"], "--clean-prompt needs a tokenizer"),
            (["patch", model, "--clean", "[[1, 2]]", "--corrupted-prompt", "a b"], "--corrupted-prompt needs a tokenizer"),
            (["ablate", model, "--tokens", "[[1, 2]]", "--prompt", "hello"], "give --tokens or --prompt, not both"),
            (["ablate", model, "--rrt", "4", "--prompt", "hello"], "give --prompt or --rrt, not both"),
            (["scores", model, "--rrt", "4", "--prompt", "hello"], "give --prompt or --rrt, not both"),
            (["scores", model, "--tokens", "[[1, 2]]", "--prompt", "hello"], "give --tokens or --prompt, not both"),
            (["patch", model, "--clean", "[[1, 2]]", "--clean-prompt", "a", "--corrupted", "[[1, 2]]"], "give --clean or --clean-prompt, not both"),
            (["patch", model, "--corrupted", "[[1, 2]]"], "missing --clean TOKENS or --clean-prompt TEXT"),
            (["ablate", model], "or --prompt TEXT"),
        ]
        for (arguments, fragment) in cases {
            let (status, output) = try CommandLineTests.lens(arguments)
            #expect(status == 2 && output.contains(fragment), "\(arguments): \(output)")
        }
        let (_, help) = try CommandLineTests.lens(["patch", "--help"])
        #expect(help.contains("--clean-prompt TEXT") && help.contains("--corrupted-prompt TEXT") && help.contains("--prepend-bos"), "\(help)")
    }
}

/// The same commands on the real SmolLM2 GGUF, whose tokenizer turns the prompts into ids.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelPromptCommandTests {
    @Test func ablateTakesAPrompt() throws {
        let gguf = try RealModel.smolLM2().path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lens-ablate-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try CommandLineTests.lens(["ablate", gguf, "--prompt", "The capital of France is Paris", "--metric", "loss",
                                                          "--shard", "1/27", "--out", out.path, "--quiet"])
        #expect(status == 0 && output.contains("ablation (zero, metric loss)"), "\(output)")
        let result = try SweepResult.read(from: out)
        #expect(result.values.count == 270 && result.values.compactMap { $0 }.count == 10 && result.baseline.isFinite, "\(output)")
    }

    @Test func patchTakesCleanAndCorruptedPrompts() throws {
        let gguf = try RealModel.smolLM2().path
        let (status, output) = try CommandLineTests.lens(["patch", gguf, "--clean-prompt", "The capital of France is",
                                                          "--corrupted-prompt", "The capital of Italy is", "--activation", "resid_pre",
                                                          "--axes", "layer,pos", "--shard", "1/15", "--quiet"])
        #expect(status == 0 && output.contains("activation patching of resid_pre"), "\(output)")
        // The tokenizer's ids: " Paris" is the clean run's answer.
        let model = try HookedTransformer.load(RealModel.smolLM2())
        let paris = try model.toSingleToken(" Paris")
        #expect(output.contains("(logit difference \(paris) − "), "\(output)")
        let (mismatch, message) = try CommandLineTests.lens(["patch", gguf, "--clean-prompt", "The capital of France is",
                                                             "--corrupted-prompt", "Rome", "--quiet"])
        #expect(mismatch == 2 && message.contains("--clean-prompt [1, 5] and --corrupted-prompt [1, 1] must have one shape"), "\(message)")
    }

    @Test func scoresTakeAPrompt() throws {
        let gguf = try RealModel.smolLM2().path
        let (status, output) = try CommandLineTests.lens(["scores", gguf, "--prompt", "one two three one two three", "--top", "1"])
        #expect(status == 0 && output.contains("tokens [1, 6]"), "\(output)")
    }
}

/// `lens bench forward --model`, without the Python peers, on the committed trained model: the
/// table's five rows and its JSON.
@Suite struct BenchModelCommandTests {
    @Test func benchForwardTimesAModelAndWritesJSON() throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("lens-bench-model-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let model = Fixtures.url("trained/recipeR-2L-s0/final").path
        let (status, output) = try CommandLineTests.lens(["bench", "forward", "--model", model, "--no-python", "--quick", "--json", json.path])
        #expect(status == 0 && output.contains("forward 8×") && output.contains("peak RSS (load + forward 1×128)"), "\(output)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]
        let results = object?["results"] as? [[String: Any]] ?? []
        #expect(results.map { $0["workload"] as? String ?? "" }.suffix(2) == ["load", "peak_rss"] && results.count == 5, "\(results)")
        let (missing, message) = try CommandLineTests.lens(["bench", "forward", "--model", "/nonexistent.gguf", "--no-python"])
        #expect(missing == 2 && message.contains("--model: /nonexistent.gguf does not exist"), "\(message)")
    }
}
