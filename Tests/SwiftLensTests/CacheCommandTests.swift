import Foundation
import SwiftLens
import Testing

/// `lens cache` through the built executable (issue 11): token inputs are checked where they
/// are read, requests are sized before they run and refused over budget, and a refused or
/// failed run leaves no output file.
@Suite struct CacheCommandTests {
    /// A fresh directory for one test's files.
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-cachecmd-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] }
    }

    static let trained = Fixtures.url("trained/recipeR-2L-s0/final").path
    static let gpt2 = Fixtures.url("classic/gpt2tiny").path

    static func lens(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let run = try BuiltExecutable.run("lens", arguments)
        return (run.status, run.combined)
    }

    /// The request: the trained model on 10,000 × 64 tokens, with a 1 GB limit. It is
    /// refused from the tokens file's header (no id is read, nothing runs), names the size and
    /// how to shrink it, and leaves no file behind.
    @Test func overBudgetRequestIsRefusedAndLeavesNoFile() throws {
        let scratch = try Scratch()
        let tokens = scratch.path("tokens.safetensors")
        try SafetensorsFile.write([("tokens", .int(IntTensor(shape: [10_000, 64], values: (0..<640_000).map { $0 % 64 }), .I32))],
                                  to: URL(fileURLWithPath: tokens))
        let outDir = scratch.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let out = outDir.appendingPathComponent("acts.safetensors").path
        let (status, output) = try Self.lens(["cache", Self.trained, "--tokens", tokens, "--out", out, "--max-memory", "1G"])
        #expect(status != 0, "\(output)")
        #expect(output.contains("this request needs about") && output.contains("GB of memory"), "\(output)")
        #expect(output.contains("more than the 1.1 GB --max-memory allows"), "\(output)")
        #expect(output.contains("10000 sequences × 64 positions") && output.contains("hook_pattern [10000, 4, 64, 64]"), "\(output)")
        #expect(output.contains("--names") && output.contains("--positions") && output.contains("sequences per run (10000 given)"), "\(output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDir.path).isEmpty)

        // Shrunk as the message says, the same request fits and runs.
        // (The forward pass itself still computes every full pattern, so it needs more than 1 GB.)
        let (fitStatus, fitOutput) = try Self.lens(["cache", Self.trained, "--tokens", tokens, "--out", out, "--max-memory", "3G",
                                                    "--names", "blocks.*.hook_resid_post", "--positions", "-1"])
        #expect(fitStatus == 0, "\(fitOutput)")
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: out))
        #expect(Set(file.names) == ["tokens", "logits", "loss_per_token", "loss", "blocks.0.hook_resid_post", "blocks.1.hook_resid_post"])
        #expect(file.entries["blocks.1.hook_resid_post"]?.shape == [10_000, 64])
        #expect(try FileManager.default.contentsOfDirectory(atPath: outDir.path) == ["acts.safetensors"])
    }

    @Test func namesAndPositionsSelectWhatIsWritten() throws {
        let scratch = try Scratch()
        let out = scratch.path("acts.safetensors")
        let (status, output) = try Self.lens(["cache", Self.gpt2, "--tokens", "[[1, 2, 3, 4], [5, 6, 7, 8]]", "--out", out,
                                              "--names", "*hook_pattern,hook_embed", "--positions", "1:3"])
        #expect(status == 0, "\(output)")
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: out))
        #expect(file.entries["blocks.0.attn.hook_pattern"]?.shape == [2, 4, 2, 4])
        #expect(file.entries["hook_embed"]?.shape == [2, 2, 64])
        #expect(file.entries["blocks.0.hook_resid_pre"] == nil)
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let (_, cache) = try model.runWithCache(IntTensor([[1, 2, 3, 4], [5, 6, 7, 8]]), names: [.pattern(1)], positions: .stride(1, 3))
        #expect(try file.tensor("blocks.1.attn.hook_pattern") == cache[.pattern(1)]!)
        #expect(scratch.contents == ["acts.safetensors"])
    }

    /// One flat sequence is a batch of one, inline, in JSON and in a 1-D safetensors entry (a
    /// 1-D `tokens` entry trapped reading `shape[1]`).
    @Test func oneDimensionalTokensAreOneSequence() throws {
        let scratch = try Scratch()
        let safetensors = scratch.path("flat.safetensors"), json = scratch.path("flat.json")
        try SafetensorsFile.write(ints: ["tokens": IntTensor([3, 1, 4, 1, 5])], to: URL(fileURLWithPath: safetensors))
        try Data("[3, 1, 4, 1, 5]".utf8).write(to: URL(fileURLWithPath: json))
        for tokens in [safetensors, json, "[3, 1, 4, 1, 5]"] {
            let out = scratch.path("out.safetensors")
            let (status, output) = try Self.lens(["cache", Self.gpt2, "--tokens", tokens, "--out", out])
            #expect(status == 0 && output.contains("tokens [1, 5]"), "\(tokens): \(output)")
            #expect(try SafetensorsFile(contentsOf: URL(fileURLWithPath: out)).entries["logits"]?.shape == [1, 5, 50])
        }
    }

    @Test(arguments: [
        ("[[1, 2.5]]", "expected an integer token id at row 0, position 1, found the number 2.5"),
        ("[[1, true]]", "expected an integer token id at row 0, position 1, found true"),
        ("[[1, -3]]", "token id -3 at row 0, position 1 is outside the vocabulary 0..<50"),
        ("[[1], [2, 99]]", "row 1 has 2 token ids, row 0 has 1"),
        ("[[1, 99999999999999999999]]", "found the number 1e+20"),
        ("[[1, 9223372036854775807]]", "token id 9223372036854775807 at row 0, position 1 is outside the vocabulary"),
        ("[[1, \"2\"]]", "found the string \"2\""),
        ("[[1, null]]", "found null"),
        ("[]", "expected at least one sequence, found an empty array"),
        ("[[]]", "row 0 is empty"),
        ("[[[1]]]", "nest more than 2 deep"),
        ("[[1, 2], 3]", "expected row 1 to be an array of token ids"),
        ("{\"tokens\": 1}", "expected a JSON array of token-id arrays, e.g. [[1, 2, 3]], found an object"),
        ("[[1, 2]", "invalid JSON at byte 7"),
        ("missing-file.json", "no file missing-file.json, and not inline JSON"),
    ])
    func badTokensAreRefused(tokens: String, fragment: String) throws {
        let scratch = try Scratch()
        let (status, output) = try Self.lens(["cache", Self.gpt2, "--tokens", tokens, "--out", scratch.path("out.safetensors")])
        #expect(status != 0 && output.contains(fragment), "\(tokens): \(output)")
        #expect(scratch.contents.isEmpty)
    }

    @Test func badTokenFilesAreRefused() throws {
        let scratch = try Scratch()
        func write(_ name: String, _ values: [(name: String, value: SafetensorsValue)]) throws -> String {
            try SafetensorsFile.write(values, to: URL(fileURLWithPath: scratch.path(name)))
            return scratch.path(name)
        }
        let cases: [(String, String)] = [
            (try write("float.safetensors", [("tokens", .float(Tensor([[1, 2]])))]), "\"tokens\" has dtype F32; expected integer token ids"),
            (try write("bool.safetensors", [("tokens", .int(IntTensor([[1, 0]]), .BOOL))]), "\"tokens\" has dtype BOOL"),
            (try write("rank3.safetensors", [("tokens", .int(IntTensor(shape: [1, 2, 2], repeating: 1)))]), "found shape [1, 2, 2]"),
            (try write("empty.safetensors", [("tokens", .int(IntTensor(shape: [0, 4], values: [])))]), "at least one sequence"),
            (try write("scalar.safetensors", [("tokens", .int(IntTensor(shape: [], values: [3])))]), "found shape []"),
            (try write("none.safetensors", [("ids", .int(IntTensor([[1, 2]])))]), "has no \"tokens\" entry"),
            (try write("huge.safetensors", [("tokens", .int(IntTensor([[1, Int.max]])))]), "token id \(Int.max) at row 0, position 1"),
            (try write("negative.safetensors", [("tokens", .int(IntTensor([[1, -1]]), .I8))]), "token id -1 at row 0, position 1"),
            (try write("long.safetensors", [("tokens", .int(IntTensor(shape: [1, 65], repeating: 1)))]), "longer than the model's context n_ctx = 64"),
        ]
        for (path, fragment) in cases {
            let out = scratch.path("out.safetensors")
            let (status, output) = try Self.lens(["cache", Self.gpt2, "--tokens", path, "--out", out])
            #expect(status != 0 && output.contains(fragment), "\(path): \(output)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func badOptionsAreRefused() throws {
        let scratch = try Scratch()
        let out = scratch.path("out.safetensors")
        let cases: [([String], String)] = [
            (["--names", "blocks.9.*"], "\"blocks.9.*\" matches no hook point"),
            (["--positions", "1:2:0"], "--positions expects a position"),
            (["--positions", "7"], "--positions does not fit sequences of 2 tokens"),
            (["--max-memory", "lots"], "--max-memory expects a size"),
            (["--max-memory", "1k"], "this request needs about"),
        ]
        for (extra, fragment) in cases {
            let (status, output) = try Self.lens(["cache", Self.gpt2, "--tokens", "[[1, 2]]", "--out", out] + extra)
            #expect(status != 0 && output.contains(fragment), "\(extra): \(output)")
        }
        let (dirStatus, dirOutput) = try Self.lens(["cache", Self.gpt2, "--tokens", "[[1, 2]]", "--out", scratch.path("no/such/dir.safetensors")])
        #expect(dirStatus != 0 && dirOutput.contains("does not exist"), "\(dirOutput)")
        let (isDirStatus, isDirOutput) = try Self.lens(["cache", Self.gpt2, "--tokens", "[[1, 2]]", "--out", scratch.url.path])
        #expect(isDirStatus != 0 && isDirOutput.contains("is a directory"), "\(isDirOutput)")
        #expect(scratch.contents.isEmpty)
    }
}
