import Foundation
import SwiftLens
import Testing

/// Tests on the real SmolLM2-135M-Instruct GGUF (see ``RealModel``): skipped locally when the
/// file has not been fetched, failing in CI.
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelTests {
    /// The file is the published one, byte for byte: every later real-model test can trust it.
    @Test func smolLM2FileHasThePublishedSizeAndHash() throws {
        let url = try RealModel.smolLM2()
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber
        #expect(size?.intValue == RealModel.smolLM2Bytes, "\(url.path) size")
        #expect(try SHA256.hexDigest(ofFileAt: url) == RealModel.smolLM2SHA256, "\(url.path) sha256")
    }

    /// The GGUF file loads as SmolLM2 (30 layers, 9 query / 3 key-value heads, 576 wide, tied
    /// output) and gives TransformerLens 4.3's numbers on the fixture text: every cached
    /// activation of layers 0, 1, 14 and 29 within 1e-4 of its tensor's largest magnitude (the
    /// residual stream reaches ~2e4), the logits likewise, the loss within 1e-5. This is what
    /// catches a missing q/k un-permute: without it the loss is 4.50, not 3.37.
    @Test func smolLM2FromGGUFMatchesTransformerLens() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        let c = model.config
        #expect(c.nLayers == 30 && c.nHeads == 9 && c.keyValueHeads == 3 && c.dModel == 576 && c.dVocab == 49152)
        #expect(c.rotaryBase == 100_000 && c.gatedMLP && c.normalizationType == .rms)
        let reference = try Fixtures.open("smollm2/activations_text0.safetensors")
        let tokens = try reference.intTensor("tokens")
        let (logits, cache) = try model.runWithCache(tokens)
        var worst: (name: String, relative: Float) = ("", 0)
        func close(_ name: String, _ found: Tensor) throws {
            let want = try reference.tensor(name)
            guard want.shape == found.shape else { Issue.record("\(name): shape \(found.shape), expected \(want.shape)"); return }
            // Masked attention scores: TransformerLens writes float32's lowest, SwiftLens −inf.
            let masked = want .< Tensor(scalar: -1e30)
            let scale = want.maskedFill(masked, with: 0).abs().max().scalar
            let difference = (found.maskedFill(masked, with: 0) - want.maskedFill(masked, with: 0)).abs().max().scalar
            #expect(difference <= 1e-4 * max(scale, 1), "\(name): max difference \(difference) at scale \(scale)")
            if difference / max(scale, 1) > worst.relative { worst = (name, difference / max(scale, 1)) }
        }
        var compared = 0
        for name in reference.names where name.hasPrefix("blocks.") || name.hasPrefix("hook_") || name.hasPrefix("ln_final.") {
            guard let found = cache[HookName(name)] else { continue }
            try close(name, found)
            compared += 1
        }
        #expect(compared >= 4 * 20, "compared \(compared) activations")
        try close("logits", logits)
        let loss = try model.loss(tokens).scalar
        let want = try reference.tensor("loss").scalar
        #expect(abs(loss - want) < 1e-5, "loss \(loss)")
        print("SmolLM2 from GGUF: \(compared) activations and the logits, worst \(worst.name) at \(worst.relative) of its scale; loss \(loss) vs \(want)")
    }
}
