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
}
