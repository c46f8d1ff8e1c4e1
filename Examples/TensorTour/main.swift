// A short tour of the tensor layer every SwiftLens capability is built on:
// values, broadcasting, einsum, gradients, and safetensors files.
//
//     swift run -c release TensorTour
import Foundation
import SwiftLens

// Values: copy-on-write, row-major, shapes in TransformerLens order.
let resid = Tensor.randomNormal([2, 5, 8], seed: 0)          // [batch, pos, d_model]
print("residual stream", resid.shape, "mean", resid.mean().scalar)

// Broadcasting and reductions: centre each position's vector, as LayerNorm does.
let centered = resid - resid.mean(axis: -1, keepDims: true)
print("max |mean| after centring:", centered.mean(axis: -1).abs().max().scalar)

// Subscripts read like NumPy: batch 0, every position, the first 3 dimensions.
print(resid[0, .all, ..<3])

// Attention scores with einsum: [batch, pos, head, d_head] × itself → [batch, head, q, k].
let q = resid.reshaped(2, 5, 2, 4)
let scores = einsum("bqhd,bkhd->bhqk", q, q) / 2
let future = Tensor.arange(5).reshaped(1, -1) .> Tensor.arange(5).reshaped(-1, 1)
let pattern = scores.maskedFill(future, with: -.infinity).softmax()
print("pattern rows sum to", pattern.sum(axis: -1)[0, 0].scalars)

// Gradients: fit y = 3x + 1 by gradient descent on a tape.
let x = Tensor.randomUniform([64, 1], seed: 1), y = 3 * x + 1
var w = Tensor.zeros([1, 1]), b = Tensor.zeros([1])
for _ in 0..<500 {
    let (_, grads) = valueWithGradients(at: [w, b]) { p in ((x.matmul(p[0]) + p[1] - y).square()).mean() }
    w -= 0.5 * grads[0]
    b -= 0.5 * grads[1]
}
print("fitted w =", w.scalar, "b =", b.scalar)

// safetensors: write and read back.
let url = FileManager.default.temporaryDirectory.appendingPathComponent("tour.safetensors")
try SafetensorsFile.write(floats: ["w": w, "b": b], metadata: ["fit": "y = 3x + 1"], to: url)
let file = try SafetensorsFile(contentsOf: url)
print("read back", file.names, file.metadata, try file.tensor("w").scalar)
try? FileManager.default.removeItem(at: url)
