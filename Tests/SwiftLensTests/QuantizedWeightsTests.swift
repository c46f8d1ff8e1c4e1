import Foundation
import SwiftLens
import Testing

/// A GGUF model kept in its block formats: the same parameters (dequantised on reading), the
/// same activations up to summation order, generation with the key-value cache, and the
/// file's size in memory. On the llama fixture GGUF (F16 attention, Q8_0 MLP and output); the
/// real SmolLM2 Q4_1 file is in ``RealModelGenerationTests``.
struct QuantizedWeightsTests {
    static let file = Fixtures.url("gguf/llamatiny.gguf")

    @Test func quantizedWeightsGiveTheDequantisedModelsActivations() throws {
        let float = try HookedTransformer.load(gguf: Self.file)
        let kept = try HookedTransformer.load(gguf: Self.file, keepQuantized: true)
        // Every parameter reads back as the dequantised one, bit for bit.
        for name in float.parameterNames {
            #expect(try kept.parameter(name) == float.parameter(name), "\(name)")
        }
        #expect(kept.parameterBytes < float.parameterBytes / 2, "\(kept.parameterBytes) vs \(float.parameterBytes)")
        // Activations: equal up to summation order (≤ 1e-4 of each tensor's scale), at 1, 3 and 37 rows.
        for (batch, length) in [(1, 1), (1, 3), (2, 37)] {
            let tokens = IntTensor.randomIntegers([batch, length], below: float.config.dVocab, seed: UInt64(length))
            let (a, cacheA) = try float.runWithCache(tokens)
            let (b, cacheB) = try kept.runWithCache(tokens)
            #expect((a - b).abs().max().scalar <= 1e-4 * max(a.abs().max().scalar, 1))
            for name in cacheA.names {
                let (x, y) = (try cacheA.tensor(name), try cacheB.tensor(name))
                let finite = x .> Tensor(scalar: -1e30)
                let scale = max(x.maskedFill(finite .== 0, with: 0).abs().max().scalar, 1)
                let difference = (x.maskedFill(finite .== 0, with: 0) - y.maskedFill(finite .== 0, with: 0)).abs().max().scalar
                #expect(difference <= 1e-4 * scale, "\(name) \(batch)×\(length): \(difference)")
            }
        }
        // Greedy generation with the cache chooses the same tokens.
        let prompt = [[1, 5, 9, 2]]
        let options = GenerationOptions(maxNewTokens: 8, stopAtEOS: false)
        #expect(try kept.generate(tokens: prompt, options: options).newTokens == float.generate(tokens: prompt, options: options).newTokens)
    }

    /// Setting a quantised weight makes it Float32 (and the model follows it); gradients flow
    /// through a quantised weight's dequantised value.
    @Test func settingAndDifferentiatingAQuantizedWeight() throws {
        let kept = try HookedTransformer.load(gguf: Self.file, keepQuantized: true)
        let tokens = IntTensor.randomIntegers([1, 6], below: kept.config.dVocab, seed: 3)
        let before = try kept.loss(tokens).scalar
        let name = "blocks.0.mlp.W_in"
        let w = try kept.parameter(name)
        try kept.setParameter(name, w * 0)
        #expect(try kept.parameter(name).abs().max().scalar == 0)
        #expect(try kept.loss(tokens).scalar != before)
        try kept.setParameter(name, w)
        #expect(abs(try kept.loss(tokens).scalar - before) < 1e-5)
        let fresh = try HookedTransformer.load(gguf: Self.file, keepQuantized: true)
        let (loss, gradients) = try fresh.valueWithGradients(parameters: { $0 == "blocks.1.mlp.W_out" }) { try fresh.loss(tokens) }
        #expect(abs(loss.scalar - before) < 1e-5)
        #expect(gradients["blocks.1.mlp.W_out"]?.shape == [fresh.config.dMLP, fresh.config.dModel])
        // The weight keeps its quantised form afterwards (the gradient ran on its dequantised value).
        #expect(try fresh.parameterBytes == HookedTransformer.load(gguf: Self.file, keepQuantized: true).parameterBytes)
    }
}
