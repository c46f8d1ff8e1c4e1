import Foundation
import SwiftLens
import Testing

/// Generation on the real SmolLM2-135M-Instruct GGUF (see ``RealModel``): greedy decoding gives
/// Hugging Face's tokens, the cache gives a full recompute's logits, text streams and stops.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelGenerationTests {
    struct Case: Decodable {
        let prompt: String
        let prompt_ids: [Int]
        let new_ids: [Int]
        let new_text: String
    }

    static func cases() throws -> [Case] {
        struct File: Decodable { let cases: [Case] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: Fixtures.url("smollm2/greedy_generation.json"))).cases
    }

    /// Greedy generation (64 new tokens at most, stopping at `<|im_end|>`) gives Hugging Face
    /// transformers' tokens and text for every fixture prompt — from the text, with the
    /// tokenizer's own BOS policy (none for SmolLM2).
    @Test func smolLM2GreedyGenerationMatchesHuggingFace() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        for c in try Self.cases() {
            #expect(try model.toTokens(c.prompt).scalars == c.prompt_ids)
            let generation = try model.generate(c.prompt, options: GenerationOptions(maxNewTokens: 64))
            #expect(generation.newTokens[0] == c.new_ids, "\(c.prompt)")
            #expect(generation.text == c.new_text)
            #expect(generation.stopReasons[0] == (c.new_ids.last == 2 ? .endOfSequence : .maxNewTokens))
        }
    }

    /// Logits read through the key-value cache (the prompt, then one token at a time) equal a
    /// full run of the whole sequence at every step within 1e-4 (relative to the logits' scale,
    /// which is ~20).
    @Test func smolLM2CachedLogitsEqualAFullRecompute() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        let c = try Self.cases()[1]
        let sequence = c.prompt_ids + c.new_ids.prefix(24)
        let full = try model(IntTensor(shape: [1, sequence.count], values: sequence))
        let cache = KeyValueCache(for: model)
        var logits = [try model.forward(IntTensor(shape: [1, c.prompt_ids.count], values: c.prompt_ids), cache: cache)]
        for token in c.new_ids.prefix(24) { logits.append(try model.forward(IntTensor([token]), cache: cache)) }
        let cached = Tensor.concatenate(logits, axis: 1)
        let scale = full.abs().max().scalar
        let difference = (cached - full).abs().max().scalar
        #expect(difference <= 1e-4 * scale, "cached vs full: \(difference) at scale \(scale)")
        print("SmolLM2 cached vs full logits over \(sequence.count) positions: max difference \(difference) (scale \(scale))")
    }

    /// Text streams token by token (the pieces join to the whole text), a stop string stops
    /// it, and a batch of both prompts generates each one's tokens.
    @Test func smolLM2StreamsStopsAndBatches() async throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        let cases = try Self.cases()
        var pieces: [String] = []
        let stopped = try model.generate(cases[0].prompt, options: GenerationOptions(maxNewTokens: 20, stopStrings: ["."])) {
            pieces.append($0.text)
        }
        #expect(stopped.text == " Paris.")
        #expect(stopped.stopReasons == [.stopString(".")])
        #expect(pieces.joined() == stopped.text)
        var streamed = ""
        for try await token in model.generationStream(cases[1].prompt, options: GenerationOptions(maxNewTokens: 12)) {
            streamed += token.text
        }
        #expect(streamed == (try model.toString(Array(cases[1].new_ids.prefix(12)))))
        let batch = try model.generate(cases.map(\.prompt), options: GenerationOptions(maxNewTokens: 16))
        for (row, c) in cases.enumerated() {
            #expect(batch.newTokens[row] == Array(c.new_ids.prefix(16)), "row \(row)")
        }
    }

    /// `lens generate` streams the greedy continuation (Hugging Face's text), and with
    /// `--steer` (a vector file) and `--cache-out` changes the text and writes the activations
    /// of the whole final sequence; bad `--steer` values are refused with the expected form.
    @Test func lensGenerateStreamsSteersAndCaches() throws {
        let gguf = try RealModel.smolLM2().path
        let c = try Self.cases()[0]
        let plain = try BuiltExecutable.run("lens", ["generate", gguf, "--prompt", c.prompt, "--max-new", "64"])
        #expect(plain.status == 0, "\(plain.combined)")
        #expect(plain.stdout == c.prompt + c.new_text, "\(plain.stdout)")
        #expect(plain.stderr.contains("30 new tokens") && plain.stderr.contains("end of sequence"), "\(plain.stderr)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lens-generate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let vector = directory.appendingPathComponent("direction.safetensors")
        try SafetensorsFile.write([("vector", .float(Tensor.randomNormal([576], seed: 1) * 8))], to: vector)
        let acts = directory.appendingPathComponent("acts.safetensors")
        let steered = try BuiltExecutable.run("lens", ["generate", gguf, "--prompt", c.prompt, "--max-new", "8",
                                                       "--steer", "10:\(vector.path):1", "--cache-out", acts.path])
        #expect(steered.status == 0, "\(steered.combined)")
        let unsteered = c.prompt + (try HookedTransformer.load(RealModel.smolLM2()).toString(Array(c.new_ids.prefix(8))))
        #expect(steered.stdout.hasPrefix(c.prompt) && steered.stdout != unsteered, "\(steered.stdout)")
        let file = try SafetensorsFile(contentsOf: acts)
        let length = try file.intTensor("tokens").shape[1]
        #expect(file.entries["blocks.10.hook_resid_pre"]?.shape == [1, length, 576])
        #expect(file.entries["blocks.3.attn.hook_pattern"]?.shape == [1, 9, length, length])

        for (steer, message) in [("x:\(vector.path):1", "LAYER:VECTOR_FILE:SCALE"), ("40:\(vector.path):1", "outside 0..<30"),
                                 ("3:/nonexistent.safetensors:2", "does not exist")] {
            let bad = try BuiltExecutable.run("lens", ["generate", gguf, "--prompt", "Hi", "--steer", steer])
            #expect(bad.status == 2 && bad.stderr.contains(message), "\(steer): \(bad.stderr)")
        }
    }

    /// The README's generation lines, as written there.
    @Test func readmeGeneration() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        let greedy = try model.generate("The capital of France is", options: GenerationOptions(maxNewTokens: 20))
        #expect(greedy.text.hasPrefix(" Paris.\n\nThe answer is:"))
        let direction = Tensor.randomNormal([576], seed: 2)
        let steered = try model.generate("I think that my neighbour is", hooks: [.addVector(.residPre(10), direction, coefficient: 4)])
        #expect(steered.newTokens[0].count > 0)
        let (run, acts) = try model.generateWithCache("Once upon a time")
        #expect(acts[.residPost(29)]?.shape == [1, run.tokens[0].count, 576])
    }

    /// SmolLM2 kept in its Q4_1 blocks: every activation of the fixture text equals the
    /// dequantised Float32 model's within 1e-4 of its tensor's scale (summation order only), the
    /// matrices take the file's bytes instead of 4 per parameter, and greedy generation still
    /// gives Hugging Face's tokens.
    @Test func smolLM2KeptQuantizedGivesTheFloat32Activations() throws {
        let url = try RealModel.smolLM2()
        let float = try HookedTransformer.load(url)
        let kept = try HookedTransformer.load(url, keepQuantized: true)
        let text = try Fixtures.open("smollm2/activations_text0.safetensors").intTensor("tokens")
        var worst: (name: String, relative: Float) = ("", 0)
        // The whole text (its products decode panels for the packed GEMM) and 5 tokens (each
        // block decoded into registers, the token-by-token path).
        for tokens in [text, text[.all, ..<5]] {
            let (logitsA, a) = try float.runWithCache(tokens)
            let (logitsB, b) = try kept.runWithCache(tokens)
            for name in a.names + [HookName("logits")] {
                let (x, y) = name.rawValue == "logits" ? (logitsA, logitsB) : (try a.tensor(name), try b.tensor(name))
                let finite = x .> Tensor(scalar: -1e30)
                let scale = max(x.maskedFill(finite .== 0, with: 0).abs().max().scalar, 1)
                let difference = (x.maskedFill(finite .== 0, with: 0) - y.maskedFill(finite .== 0, with: 0)).abs().max().scalar
                #expect(difference <= 1e-4 * scale, "\(name): \(difference) at scale \(scale)")
                if difference / scale > worst.relative { worst = (name.rawValue, difference / scale) }
            }
        }
        // The tied embedding/unembedding blocks are one object, counted here once per parameter.
        print("SmolLM2 kept in Q4_1: parameters \(kept.parameterBytes / 1_000_000) MB (Float32: \(float.parameterBytes / 1_000_000) MB); "
              + "worst activation \(worst.name) at \(worst.relative) of its scale")
        #expect(Double(kept.parameterBytes) < 1.5 * Double(RealModel.smolLM2Bytes), "kept: \(kept.parameterBytes) bytes")
        let c = try Self.cases()[0]
        #expect(try kept.generate(c.prompt, options: GenerationOptions(maxNewTokens: 64)).newTokens[0] == c.new_ids)
    }
}
