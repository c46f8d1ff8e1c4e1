import Foundation
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
            (["cache", "/nonexistent", "--tokens", "[[1]]", "--out", "/tmp/x"], "config.json"),
            (["cache", model, "--out", "/tmp/x"], "--tokens"),
            (["frobnicate"], "unknown command"),
            (["train", "--recipe", "X"], "--recipe must be R or U"),
            (["train", "--layers", "2", "--clamp-previous", "5.0"], "--clamp-previous expects LAYER.HEAD"),
            (["train", "--steps", "ten"], "--steps expects a non-negative integer"),
            (["train", "--text", "/nonexistent.txt"], "cannot read /nonexistent.txt"),
            (["train", "--bogus"], "--bogus"),
            (["bench", "train", "--bogus"], "--bogus"),
            (["ablate", model], "--tokens TOKENS or --rrt"),
            (["ablate", model, "--rrt", "99x2"], "exceeds the vocabulary"),
            (["ablate", model, "--rrt", "10", "--over", "layers"], "--over must be"),
            (["ablate", model, "--rrt", "10", "--shard", "2/2"], "a shard is written i/n"),
            (["ablate", model, "--rrt", "10", "--metric", "accuracy"], "--metric must be"),
            (["patch", model, "--clean", "[[1, 2]]"], "--clean TOKENS and --corrupted TOKENS"),
            (["patch", model, "--clean", "[[1, 2]]", "--corrupted", "[[1, 2]]", "--axes", "layer,row"], "--axes takes"),
            (["patch", model, "--clean", "[[1, 2]]", "--corrupted", "[[1, 2]]", "--axes", "pos"], "the first axis must be layer"),
            (["merge", "/tmp/out.json"], "merge needs"),
            (["scores", model, "--rrt", "8", "--tokens", "[[1, 2]]"], "not both"),
            (["scores", model, "--top", "-1"], "--top expects a non-negative number"),
            (["scores", model, "--tokens", "[[" + Array(repeating: "1", count: 65).joined(separator: ", ") + "]]"], "exceed the model's n_ctx"),
        ]
        for (arguments, fragment) in cases {
            let (status, output) = try Self.lens(arguments)
            #expect(status != 0 && output.contains(fragment), "\(arguments): \(output)")
        }
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
        let summary = try TrainingSummary.read(from: out.appendingPathComponent("metrics.json"))
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
