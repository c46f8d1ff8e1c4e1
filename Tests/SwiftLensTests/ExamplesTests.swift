import Foundation
import SwiftLens
import Testing

/// Runs every program in Examples/ as a user would (`swift test` builds them next to the test
/// bundle) and checks the numbers they print, so the examples cannot rot.
@Suite struct ExamplesTests {
    /// What a run printed, with the parsing the checks use.
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String

        init(_ output: BuiltExecutable.Output) {
            (status, stdout, stderr) = (output.status, output.stdout, output.stderr)
        }

        /// The first line containing `label`.
        func line(_ label: String) throws -> String {
            guard let line = stdout.split(separator: "\n").first(where: { $0.contains(label) }) else {
                throw ParseError(description: "no line containing \"\(label)\" in:\n\(stdout)")
            }
            return String(line)
        }

        /// The first number after `label` on the first line containing it.
        func number(after label: String) throws -> Float {
            let line = try line(label)
            let rest = line[line.range(of: label)!.upperBound...]
            guard let value = ExamplesTests.numbers(in: String(rest)).first else {
                throw ParseError(description: "no number after \"\(label)\" in \"\(line)\"")
            }
            return value
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// The decimal numbers in `text`, in order ("−" and "+" signs included).
    static func numbers(in text: String) -> [Float] {
        var values: [Float] = []
        var current = ""
        func flush() {
            if let value = Float(current), current.contains(where: \.isNumber) { values.append(value) }
            current = ""
        }
        for character in text {
            if character.isNumber || character == "." || ((character == "-" || character == "+") && current.isEmpty) {
                current.append(character)
            } else if character == "e" && !current.isEmpty && current.last!.isNumber {
                current.append(character)
            } else if (character == "-" || character == "+") && current.last == "e" {
                current.append(character)
            } else {
                flush()
            }
        }
        flush()
        return values
    }

    /// Runs example `name` with `arguments`.
    static func run(_ name: String, _ arguments: [String] = []) throws -> Output {
        Output(try BuiltExecutable.run(name, arguments))
    }

    // MARK: - ZeroAblateHead

    @Test func zeroAblateHead() throws {
        let run = try Self.run("ZeroAblateHead")
        #expect(run.status == 0, "\(run.stderr)")
        let clean = try run.number(after: "clean induction loss:")
        let ablated = try run.number(after: "L1H0 zero-ablated:")
        let contrast = try run.number(after: "L0H0 zero-ablated (contrast):")
        // The trained model copies the second half almost perfectly (0.19); without one of its
        // four redundant induction heads the loss rises several-fold (0.89); L0H0 does not matter.
        #expect(clean < 0.5)
        #expect(ablated > clean + 0.3 && ablated > 3 * clean)
        #expect(abs(contrast - clean) < 0.05)
        // The sweep table: one row per layer, one column per head, agreeing with the direct runs.
        let rows = try [0, 1].map { Self.numbers(in: String(try run.line("L\($0)    ").dropFirst(2))) }
        #expect(rows.map(\.count) == [4, 4])
        #expect(abs(rows[1][0] - ablated) < 1e-3 && abs(rows[0][0] - contrast) < 1e-3)
        // The previous-token head matters most: without it no induction head can find its token.
        #expect(rows[0][3] == rows.flatMap { $0 }.max())
        #expect(rows[0][3] > 3)
        #expect(try run.line("largest increases:").contains("L0H3"))
        #expect(try run.number(after: "max difference") < 1e-4)
    }

    @Test func zeroAblateHeadTakesOtherHeads() throws {
        let run = try Self.run("ZeroAblateHead", ["--head", "0.3", "--contrast", "1.2", "--batch", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        let clean = try run.number(after: "clean induction loss:")
        #expect(try run.number(after: "L0H3 zero-ablated:") > clean + 2)
        #expect(try run.line("L1H2 zero-ablated (contrast):").contains("+"))
    }

    @Test(arguments: [
        (["--head", "5.0"], "head 5.0 does not exist"),
        (["--head", "1"], "LAYER.HEAD"),
        (["--length", "40"], "exceeds n_ctx"),
        (["--batch", "x"], "--batch expects an integer"),
        (["--frobnicate", "1"], "unknown option --frobnicate"),
        (["--head", "1x"], "--head expects a head LAYER.HEAD (e.g. 1.0, or L1H0), found \"1x\""),
        (["--seed", "abc"], "--seed expects a non-negative integer, found \"abc\""),
        (["/nonexistent/model"], "config.json"),
    ])
    func zeroAblateHeadRejectsBadInput(arguments: [String], message: String) throws {
        let run = try Self.run("ZeroAblateHead", arguments)
        #expect(run.status == 1 && run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }

    /// Every example that takes options answers --help from its option table, and exits 0.
    @Test(arguments: [("ZeroAblateHead", ["--head L.H", "--contrast L.H", "--seed S"]),
                      ("ActivationPatchingExperiment", ["--length L", "--answer-position P"]),
                      ("HuggingFaceCache", ["--tokens ID,ID,…", "--out FILE.safetensors"]),
                      ("CustomHook", ["--previous L.H", "--induction L.H"]),
                      ("SteeringVector", ["--layer N", "--scales X,X,…", "--out FILE.safetensors"])])
    func examplesAnswerHelp(name: String, options: [String]) throws {
        let run = try Self.run(name, ["--help"])
        #expect(run.status == 0 && run.stdout.hasPrefix("usage: \(name) ["), "\(run.stdout)\(run.stderr)")
        for option in options { #expect(run.stdout.contains("  \(option) "), "\(name) \(option)") }
    }

    // MARK: - ActivationPatchingExperiment

    @Test func activationPatchingExperiment() throws {
        let run = try Self.run("ActivationPatchingExperiment")
        #expect(run.status == 0, "\(run.stderr)")
        let answerPosition = Int(try run.number(after: "answer r[10] at position"))
        #expect(answerPosition == 10)
        // Clean: the model copies the answer (p 0.84); corrupted: it copies y instead (p 0.007).
        let clean = try run.number(after: "clean p(answer):")
        let corrupted = try run.number(after: "corrupted p(answer):")
        #expect(clean > 0.5 && corrupted < 0.05)
        // The signal: only layer-1 (induction) heads carry it; layer 1 together restores it all.
        let heads = try run.line("heads carrying the signal").split(separator: ":", maxSplits: 1)[1]
        let labels = heads.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).prefix(4) }
        #expect(!labels.isEmpty && labels.allSatisfy { $0.hasPrefix("L1H") }, "\(heads)")
        #expect(try run.number(after: "all heads of layer 1 together:") > 0.9)
        #expect(abs(try run.number(after: "all heads of layer 0 together:")) < 0.05)
        // With the logit difference each induction head restores a share, and the shares add up.
        let lines = run.stdout.split(separator: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix("logit difference answer") })
        let shares = Self.numbers(in: lines[header + 1].replacingOccurrences(of: "L1H", with: "#"))  // "#0 0.223, #1 0.311, …"
            .enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        #expect(shares.count == 4 && shares.allSatisfy { $0 > 0.1 } && abs(shares.reduce(0, +) - 1) < 0.15, "\(shares)")
        // The residual stream carries it at the answer's position only, in both layers.
        let positions = try run.line("residual positions carrying the signal").split(separator: ":", maxSplits: 1)[1]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Set(positions.map { $0.split(separator: " ")[0] }) == ["L0@10", "L1@10"], "\(positions)")
        #expect(positions.allSatisfy { Float($0.split(separator: " ")[1])! > 0.9 })
    }

    @Test func activationPatchingExperimentRejectsBadInput() throws {
        let run = try Self.run("ActivationPatchingExperiment", ["--length", "10", "--answer-position", "12"])
        #expect(run.status == 1 && run.stderr.contains("--answer-position must be below"), "\(run.stderr)")
    }

    // MARK: - HuggingFaceCache

    @Test func huggingFaceCache() throws {
        // The fixture's tokens, so the written cache can be checked against TransformerLens's.
        let reference = try Fixtures.open("hf/gpt2tiny/activations.safetensors")
        let tokens = try reference.intTensor("tokens")[0 ..< 1]  // [1, 62]
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hf-cache-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Self.run("HuggingFaceCache", ["--tokens", tokens.scalars.map(String.init).joined(separator: ","), "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.line("model_type").contains("gpt2"))
        // The hook table: TransformerLens names with their shapes.
        for (name, shape) in [("hook_embed", "[1, 62, 64]"), ("blocks.0.attn.hook_pattern", "[1, 4, 62, 62]"),
                              ("blocks.0.mlp.hook_post", "[1, 62, 256]"), ("ln_final.hook_normalized", "[1, 62, 64]")] {
            #expect(try run.line(name + " ").hasSuffix(shape), "\(name)")
        }
        #expect(!run.stdout.contains("blocks.1.attn.hook_pattern"))
        // The top prediction at each position is TransformerLens's argmax.
        let logits = try reference.tensor("logits")[0]  // [62, 50]
        let rows = run.stdout.split(separator: "\n").drop { !$0.hasPrefix("pos  token") }.dropFirst().prefix(62)
        #expect(rows.count == 62)
        for (position, row) in rows.enumerated() {
            let values = Self.numbers(in: String(row))
            #expect(Int(values[0]) == position && Int(values[1]) == tokens[0, position] && Int(values[2]) == logits[position].argmax(),
                    "\(row)")
        }
        // The file holds the whole cache, equal to TransformerLens's activations.
        let written = try SafetensorsFile(contentsOf: out)
        #expect(try written.intTensor("tokens") == tokens)
        for name in ["logits", "blocks.0.hook_resid_post", "blocks.1.attn.hook_z", "blocks.1.mlp.hook_post"] {
            let difference = try written.tensor(name).maxAbsoluteDifference(reference.tensor(name)[0 ..< 1])
            #expect(difference < 1e-4, "\(name): \(difference)")
        }
        #expect(Int(try run.number(after: "wrote")) == written.names.count)
    }

    @Test(arguments: [
        (["--tokens", "1,2,x"], "--tokens expects comma-separated non-negative integers (e.g. 100,500), found \"1,2,x\""),
        (["--tokens", "1,99"], "outside the vocabulary"),
        ([Fixtures.url("classic/attn2l").path], "has no model.safetensors"),
        (["--out"], "--out needs a value"),
    ])
    func huggingFaceCacheRejectsBadInput(arguments: [String], message: String) throws {
        let run = try Self.run("HuggingFaceCache", arguments)
        #expect(run.status == 1 && run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }

    // MARK: - SteeringVector (the runs on the model are in RealModelExamplesTests)

    @Test func steeringVectorSaysHowToFetchAMissingModel() throws {
        let run = try Self.run("SteeringVector", ["/nonexistent/SmolLM2.gguf"])
        #expect(run.status == 1 && run.stderr.contains("/nonexistent/SmolLM2.gguf not found") && run.stderr.contains("Scripts/fetch_smollm2.sh"),
                "\(run.stderr)")
        let bad = try Self.run("SteeringVector", ["/nonexistent/SmolLM2.gguf", "--scales", "1,x"])
        #expect(bad.status == 1 && bad.stderr.contains("--scales expects comma-separated numbers"), "\(bad.stderr)")
    }

    // MARK: - CustomHook

    @Test func customHook() throws {
        let run = try Self.run("CustomHook")
        #expect(run.status == 0, "\(run.stderr)")
        let clean = try run.number(after: "clean induction loss:")
        #expect(clean < 0.5)
        // The observer: L0H3 attends to the previous token (mean 0.70), the other heads do not.
        let layer0 = Self.numbers(in: try run.line("  L0  ").replacingOccurrences(of: "H", with: "#"))
        // [0, mean0, max0, 1, mean1, max1, …] after the layer label's 0
        let means = stride(from: 2, to: layer0.count, by: 3).map { layer0[$0] }
        #expect(means.count == 4 && means[3] > 0.5 && means[..<3].allSatisfy { $0 < 0.2 }, "\(layer0)")
        // Scaling L0H3: 0 destroys induction, 1 is the clean run.
        let off = try run.number(after: "L0H3 × 0.00:"), half = try run.number(after: "L0H3 × 0.50:")
        #expect(off > clean + 2 && half > clean && half < off)
        #expect(abs(try run.number(after: "L0H3 × 1.00:") - clean) < 1e-5)
        // The composed run: the knockout shows up in the observer, and the loss is near chance.
        #expect(try run.number(after: "  induction loss:") > clean + 2)
        #expect(try run.number(after: "attention to the previous token: max") < 1e-3)
        #expect(try run.line("cached blocks.0.attn.hook_pattern").contains("[8, 4, 63, 63]"))
        // Order: an observer after the ablation sees zeros, before it the real output.
        #expect(try run.number(after: "[zeroAblateHead, observer]:") == 0)
        #expect(try run.number(after: "[observer, zeroAblateHead]:") > 1)
        // Scoped hooks detach, also when a hook throws; resetHooks keeps permanent hooks.
        #expect(try run.number(after: "attached after the per-call runs:") == 0)
        #expect(try run.line("scoped withHooks:").contains("attached inside 2, after 0"))
        #expect(try run.number(after: "calls counted in context.storage:") == 2)
        #expect(try run.number(after: "attached afterwards:") == 0)
        #expect(try run.number(after: "after removeHook:") == 1)
        #expect(try run.number(after: "after resetHooks():") == 1)
        #expect(try run.number(after: "after resetHooks(includingPermanent: true):") == 0)
    }
}

/// The examples that need the real SmolLM2-135M-Instruct GGUF (see ``RealModel``): skipped
/// locally when the file has not been fetched, failing in CI.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelExamplesTests {
    // MARK: - SteeringVector

    /// The love − hate vector at layer 15 moves the next token's love-vs-hate log-probability
    /// both ways, and turns the greedy continuation positive (+0.5) or negative (−0.5); the
    /// vector written with --out is a [d_model] tensor and the printed command uses it.
    @Test func steeringVector() throws {
        let gguf = try RealModel.smolLM2().path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("steering-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try ExamplesTests.run("SteeringVector", [gguf, "--scales", "0.5,-0.5", "--max-new", "16", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.line("steering vector at").contains("blocks.15.hook_resid_pre"))
        let norm = try run.number(after: "|love − hate| =")
        #expect(norm > 10 && norm < 200, "\(norm)")
        let unsteered = try run.number(after: "scale +0.00:"), plus = try run.number(after: "scale +0.50:"), minus = try run.number(after: "scale -0.50:")
        #expect(plus > unsteered + 2 && minus < unsteered - 1, "\(minus) \(unsteered) \(plus)")
        // Before and after: the prompt continued three ways, the steered texts differ from the unsteered one.
        let prompt = "I think that my neighbour is"
        let before = try run.line("unsteered: "), love = try run.line("steered +0.5: "), hate = try run.line("steered -0.5: ")
        for line in [before, love, hate] { #expect(line.contains(prompt), "\(line)") }
        func continuation(_ line: String) -> String { String(line[line.range(of: prompt)!.upperBound...]).lowercased() }
        #expect(continuation(love) != continuation(before) && continuation(hate) != continuation(before))
        #expect(["wonderful", "love", "happy", "great", "kind", "lovely"].contains { continuation(love).contains($0) }, "\(love)")
        #expect(["liar", "idiot", "hate", "killer", "murderer", "sociopath", "bad"].contains { continuation(hate).contains($0) }, "\(hate)")
        // The file for `lens generate --steer`, and the command that uses it.
        let vector = try SafetensorsFile(contentsOf: out).tensor("vector")
        #expect(vector.shape == [576] && abs(vector.norm().scalar - norm) < 0.01 * norm)
        #expect(try run.line("lens generate").contains("--steer 15:\(out.path):0.5"))
    }
}
