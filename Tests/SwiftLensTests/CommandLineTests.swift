import Foundation
import SwiftLens
import Testing

/// The `lens` executable, run as a user would (it is built with the tests).
@Suite struct CommandLineTests {
    /// The built `lens` binary: next to the test bundle, or in the package's build folder.
    static func lensExecutable() throws -> URL {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let root = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [bundleDirectory, bundleDirectory.deletingLastPathComponent(),
                          root.appendingPathComponent(".build/debug"), root.appendingPathComponent(".build/release")]
            .map { $0.appendingPathComponent("lens") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CancellationError()
        }
        return found
    }

    /// Runs `lens` with `arguments`; returns the exit status and the combined output.
    static func lens(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try lensExecutable()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
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
}
