import Foundation
import SwiftLens
import Testing

/// The tensor operations reproduce TransformerLens 2.18's activations from its own weights:
/// each step of a forward pass is recomputed from the fixture's previous activation with
/// `Tensor` ops (layer/RMS norm, einsum, masked softmax, GELU, SiLU, cross-entropy) and compared
/// with the next activation, max |Δ| ≤ 1e-4 (float32 ground truth from PyTorch on CPU).
@Suite struct KernelParityTests {
    func expectClose(_ got: Tensor, _ want: Tensor, _ label: String, tolerance: Float = 1e-4,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == want.shape, "\(label): shape \(got.shape) vs \(want.shape)", sourceLocation: sourceLocation)
        guard got.shape == want.shape else { return }
        let diff = got.maxAbsoluteDifference(want)
        #expect(diff <= tolerance, "\(label): max |Δ| = \(diff)", sourceLocation: sourceLocation)
    }

    /// Runs one attention layer from its input residual and checks every intermediate.
    func checkAttention(_ a: SafetensorsFile, _ w: SafetensorsFile, layer l: Int, normalized: Tensor) throws {
        let p = "blocks.\(l).attn."
        let q = einsum("bpd,hdk->bphk", normalized, try w.tensor(p + "W_Q")) + (try w.tensor(p + "b_Q"))
        let k = einsum("bpd,hdk->bphk", normalized, try w.tensor(p + "W_K")) + (try w.tensor(p + "b_K"))
        let v = einsum("bpd,hdk->bphk", normalized, try w.tensor(p + "W_V")) + (try w.tensor(p + "b_V"))
        expectClose(q, try a.tensor(p + "hook_q"), "L\(l) q")
        expectClose(k, try a.tensor(p + "hook_k"), "L\(l) k")
        expectClose(v, try a.tensor(p + "hook_v"), "L\(l) v")
        let positions = q.shape[1]
        let future = Tensor.arange(positions).reshaped(1, -1) .> Tensor.arange(positions).reshaped(-1, 1)
        let scores = (einsum("bqhd,bkhd->bhqk", q, k) / 4).maskedFill(future, with: -.infinity)
        let wantScores = try a.tensor(p + "hook_attn_scores")
        // Masked entries are −inf on both sides (maxAbsoluteDifference treats equal infinities as equal).
        expectClose(scores, wantScores, "L\(l) attn_scores")
        let pattern = scores.softmax()
        expectClose(pattern, try a.tensor(p + "hook_pattern"), "L\(l) pattern", tolerance: 1e-5)
        #expect((pattern * future).abs().max().scalar == 0, "masked pattern entries are exactly 0")
        let z = einsum("bhqk,bkhd->bqhd", pattern, v)
        expectClose(z, try a.tensor(p + "hook_z"), "L\(l) z")
        let result = einsum("bphd,hdm->bphm", z, try w.tensor(p + "W_O"))
        expectClose(result, try a.tensor(p + "hook_result"), "L\(l) result")
        let attnOut = result.sum(axis: 2) + (try w.tensor(p + "b_O"))
        expectClose(attnOut, try a.tensor("blocks.\(l).hook_attn_out"), "L\(l) attn_out")
    }

    @Test func gpt2StyleLayerNormAttentionGeluAndLoss() throws {
        let a = try Fixtures.open("classic/gpt2tiny/activations.safetensors")
        let w = try Fixtures.open("classic/gpt2tiny/weights.safetensors")
        let tokens = try a.intTensor("tokens")
        // Embedding lookup.
        let embed = (try w.tensor("embed.W_E")).indexSelect(tokens)
        expectClose(embed, try a.tensor("hook_embed"), "embed", tolerance: 0)
        for l in 0..<2 {
            let resid = try a.tensor("blocks.\(l).hook_resid_pre")
            // LayerNorm: TransformerLens's scale is √(var + eps); hook_normalized includes w and b (2.x).
            let centered = resid - resid.mean(axis: -1, keepDims: true)
            let scale = (centered.square().mean(axis: -1, keepDims: true) + 1e-5).sqrt()
            expectClose(scale, try a.tensor("blocks.\(l).ln1.hook_scale"), "L\(l) ln1 scale", tolerance: 1e-5)
            let normalized = resid.layerNorm(weight: try w.tensor("blocks.\(l).ln1.w"), bias: try w.tensor("blocks.\(l).ln1.b"))
            expectClose(normalized, try a.tensor("blocks.\(l).ln1.hook_normalized"), "L\(l) ln1", tolerance: 1e-5)
            try checkAttention(a, w, layer: l, normalized: normalized)
            // MLP with gelu_new.
            let mid = try a.tensor("blocks.\(l).hook_resid_mid")
            let ln2 = mid.layerNorm(weight: try w.tensor("blocks.\(l).ln2.w"), bias: try w.tensor("blocks.\(l).ln2.b"))
            let pre = ln2.matmul(try w.tensor("blocks.\(l).mlp.W_in")) + (try w.tensor("blocks.\(l).mlp.b_in"))
            expectClose(pre, try a.tensor("blocks.\(l).mlp.hook_pre"), "L\(l) mlp pre")
            let post = pre.gelu(approximate: true)
            expectClose(post, try a.tensor("blocks.\(l).mlp.hook_post"), "L\(l) mlp post")
            let out = post.matmul(try w.tensor("blocks.\(l).mlp.W_out")) + (try w.tensor("blocks.\(l).mlp.b_out"))
            expectClose(out, try a.tensor("blocks.\(l).hook_mlp_out"), "L\(l) mlp out")
        }
        // Unembedding and the loss.
        let final = try a.tensor("blocks.1.hook_resid_post")
        let logits = final.layerNorm(weight: try w.tensor("ln_final.w"), bias: try w.tensor("ln_final.b"))
            .matmul(try w.tensor("unembed.W_U")) + (try w.tensor("unembed.b_U"))
        expectClose(logits, try a.tensor("logits"), "logits")
        let perToken = logits[.all, ..<(-1)].crossEntropy(targets: tokens[.all, 1...])
        expectClose(perToken, try a.tensor("loss_per_token"), "loss_per_token")
        expectClose(perToken.mean(), try a.tensor("loss"), "loss", tolerance: 1e-5)
        let logProbs = logits.logSoftmax()
        expectClose(-logProbs[.all, ..<(-1)].takeAlongLastAxis(tokens[.all, 1...].reshaped([2, 61, 1])).squeezed(axis: -1),
                    try a.tensor("loss_per_token"), "loss via log_softmax")
    }

    @Test func attentionOnlyModelAllLayers() throws {
        let a = try Fixtures.open("classic/attn2l/activations.safetensors")
        let w = try Fixtures.open("classic/attn2l/weights.safetensors")
        for l in 0..<2 {
            let resid = try a.tensor("blocks.\(l).hook_resid_pre")
            let normalized = resid.layerNorm(weight: try w.tensor("blocks.\(l).ln1.w"), bias: try w.tensor("blocks.\(l).ln1.b"))
            try checkAttention(a, w, layer: l, normalized: normalized)
            expectClose(resid + (try a.tensor("blocks.\(l).hook_attn_out")), try a.tensor("blocks.\(l).hook_resid_post"),
                        "L\(l) resid_post")
        }
    }

    @Test func llamaStyleRMSNormAndGatedSiLU() throws {
        let a = try Fixtures.open("classic/llamatiny/activations.safetensors")
        let w = try Fixtures.open("classic/llamatiny/weights.safetensors")
        for l in 0..<2 {
            let resid = try a.tensor("blocks.\(l).hook_resid_pre")
            let scale = (resid.square().mean(axis: -1, keepDims: true) + 1e-5).sqrt()
            expectClose(scale, try a.tensor("blocks.\(l).ln1.hook_scale"), "L\(l) rms scale", tolerance: 1e-5)
            // RMS: hook_normalized is before the weight.
            expectClose(resid.rmsNorm(), try a.tensor("blocks.\(l).ln1.hook_normalized"), "L\(l) rms normalized", tolerance: 1e-5)
            let mid = try a.tensor("blocks.\(l).hook_resid_mid")
            let ln2 = mid.rmsNorm(weight: try w.tensor("blocks.\(l).ln2.w"))
            let pre = ln2.matmul(try w.tensor("blocks.\(l).mlp.W_gate"))
            let preLinear = ln2.matmul(try w.tensor("blocks.\(l).mlp.W_in"))
            expectClose(pre, try a.tensor("blocks.\(l).mlp.hook_pre"), "L\(l) gate pre")
            expectClose(preLinear, try a.tensor("blocks.\(l).mlp.hook_pre_linear"), "L\(l) pre_linear")
            let post = pre.silu() * preLinear + (try w.tensor("blocks.\(l).mlp.b_in"))
            expectClose(post, try a.tensor("blocks.\(l).mlp.hook_post"), "L\(l) mlp post")
        }
    }

    @Test func shortformerWithoutNormalization() throws {
        let a = try Fixtures.open("classic/shortformer/activations.safetensors")
        let w = try Fixtures.open("classic/shortformer/weights.safetensors")
        let final = try a.tensor("blocks.1.hook_resid_post")
        let logits = final.matmul(try w.tensor("unembed.W_U")) + (try w.tensor("unembed.b_U"))
        expectClose(logits, try a.tensor("logits"), "logits")
        let tokens = try a.intTensor("tokens")
        expectClose(logits[.all, ..<(-1)].crossEntropy(targets: tokens[.all, 1...]), try a.tensor("loss_per_token"), "loss")
    }
}
