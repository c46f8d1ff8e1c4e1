import LensTensor
import Testing

/// Every differentiable `Tensor` operation against finite differences.
@Suite struct GradientTests {
    @Test func arithmeticWithBroadcasting() {
        let a = random([2, 3, 4], seed: 1), b = random([3, 1], seed: 2), c = random([4], seed: 3)
        let d = random([2, 3, 4], seed: 4, low: 0.5, high: 2)
        checkGradients([a, b], "add") { $0[0] + $0[1] }
        checkGradients([a, c], "subtract") { $0[0] - $0[1] }
        checkGradients([a, b], "multiply") { $0[0] * $0[1] }
        checkGradients([a, d], "divide") { $0[0] / $0[1] }
        checkGradients([b, d], "divide broadcast numerator") { $0[0] / $0[1] }
        checkGradients([a], "scalars") { 3 - 2 * $0[0] / 4 + 1 }
        checkGradients([a], "negate") { -$0[0] }
        checkGradients([d, random([4], seed: 5)], "pow tensor") { $0[0].pow($0[1]) }
        checkGradients([d], "pow scalar") { $0[0].pow(1.5) }
        checkGradients([a], "square") { $0[0].pow(2) }
        // Max/min away from ties.
        // Max/min on operands at least 0.1 apart, so no finite difference straddles a tie.
        let lower = Tensor([-1, -0.5, 0, 0.5]), upper = Tensor([[0.7], [-0.2], [0.3]])
        let e = lower + 0.1 * (random([2, 3, 4], seed: 8) .> 0) - 0.6 * (random([2, 3, 4], seed: 9) .> 0.5)
        checkGradients([e, upper], "maximum") { $0[0].maximum($0[1]) }
        checkGradients([e, upper], "minimum") { $0[0].minimum($0[1]) }
    }

    @Test func unaryFunctions() {
        let x = random([3, 5], seed: 10, low: -2, high: 2)
        let positive = random([3, 5], seed: 11, low: 0.3, high: 3)
        checkGradients([x], "exp") { $0[0].exp() }
        checkGradients([positive], "log") { $0[0].log() }
        checkGradients([positive], "sqrt") { $0[0].sqrt() }
        checkGradients([positive], "rsqrt") { $0[0].rsqrt() }
        checkGradients([positive], "reciprocal") { $0[0].reciprocal() }
        checkGradients([x], "tanh") { $0[0].tanh() }
        checkGradients([x], "sigmoid") { $0[0].sigmoid() }
        checkGradients([x], "sin") { $0[0].sin() }
        checkGradients([x], "cos") { $0[0].cos() }
        checkGradients([x.maskedFill(x.abs() .< 0.1, with: 0.5)], "abs") { $0[0].abs() }
        checkGradients([x * 0.9], "clamped") { $0[0].clamped(lower: -1, upper: 1) }
    }

    @Test(arguments: ActivationKernel.allCases)
    func activations(f: ActivationKernel) {
        // Keep relu away from its kink at 0.
        let x = random([4, 6], seed: 20, low: -3, high: 3).maskedFill(random([4, 6], seed: 21).abs() .< 0.05, with: 0.5)
        checkGradients([x], "\(f)") { $0[0].activation(f) }
    }

    /// The one-pass fused forms: their untracked value equals the composition they are
    /// differentiated through, bit for bit (`checkGradients` compares the two), and that
    /// composition's gradients are right.
    @Test func fusedGatedActivationAndRotary() {
        let pre = random([3, 9], seed: 20, low: -3, high: 3), linear = random([3, 9], seed: 21, low: -2, high: 2)
        for f in [ActivationKernel.silu, .tanhGELU, .erfGELU] {
            checkGradients([pre, linear], "gated \(f)") { $0[0].gatedActivation(f, times: $0[1]) }
        }
        let x = random([2, 3, 2, 6], seed: 22, low: -1, high: 1)
        let (sin, cos) = (random([3, 4], seed: 23, low: -1, high: 1), random([3, 4], seed: 24, low: -1, high: 1))
        checkGradients([x, sin, cos], "rotate half, shared tables, 4 of 6 rotated") {
            $0[0].rotatedHalf(sin: $0[1], cos: $0[2], rotaryDim: 4)
        }
        let (sins, coss) = (random([2, 3, 6], seed: 25, low: -1, high: 1), random([2, 3, 6], seed: 26, low: -1, high: 1))
        checkGradients([x, sins, coss], "rotate half, per-sequence tables") { $0[0].rotatedHalf(sin: $0[1], cos: $0[2], rotaryDim: 6) }
    }

    @Test func softmaxFamily() {
        let x = random([3, 7], seed: 30, low: -3, high: 3)
        checkGradients([x], "softmax") { $0[0].softmax() }
        checkGradients([x], "softmax axis 0") { $0[0].softmax(axis: 0) }
        let future = Tensor.arange(7).reshaped(1, -1) .> Tensor.arange(3).reshaped(-1, 1) + 4
        checkGradients([random([2, 3, 7], seed: 34)], "causalSoftmax") { $0[0].maskedFill(future, with: -.infinity).causalSoftmax() }
        checkGradients([x], "logSoftmax") { $0[0].logSoftmax() }
        checkGradients([x], "logSoftmax axis 0") { $0[0].logSoftmax(axis: 0) }
        checkGradients([x], "logSumExp") { $0[0].logSumExp() }
        checkGradients([x], "solu") { $0[0].solu() }
        checkGradients([x], "solu axis 0") { $0[0].solu(axis: 0) }
        checkGradients([random([2, 3, 4], seed: 31)], "logSumExp axis 1") { $0[0].logSumExp(axis: 1, keepDims: true) }
        let targets = IntTensor([[0, 6, 3], [2, 2, 5]])
        checkGradients([random([2, 3, 7], seed: 32, low: -2, high: 2)], "crossEntropy") { $0[0].crossEntropy(targets: targets) }
        // A masked softmax, as attention uses it: masked entries get no gradient.
        let mask = Tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
        checkGradients([random([3, 3], seed: 33)], "masked softmax") { $0[0].maskedFill(mask, with: -.infinity).softmax() }
    }

    @Test func normalization() {
        let x = random([3, 8], seed: 40, low: -2, high: 2)
        let w = random([8], seed: 41, low: 0.5, high: 1.5), b = random([8], seed: 42)
        checkGradients([x], "layerNorm") { $0[0].layerNorm() }
        checkGradients([x, w, b], "layerNorm affine") { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        checkGradients([x, w], "layerNorm weight only") { $0[0].layerNorm(weight: $0[1]) }
        checkGradients([x], "rmsNorm") { $0[0].rmsNorm() }
        checkGradients([x, w], "rmsNorm weight") { $0[0].rmsNorm(weight: $0[1]) }
    }

    @Test func reductions() {
        let x = random([2, 3, 4], seed: 50)
        checkGradients([x], "sum") { $0[0].sum() }
        checkGradients([x], "sum axis") { $0[0].sum(axis: 1) }
        checkGradients([x], "sum axes keepDims") { $0[0].sum(axes: [0, 2], keepDims: true) }
        checkGradients([x], "mean") { $0[0].mean() }
        checkGradients([x], "mean axis") { $0[0].mean(axis: -1) }
        checkGradients([x], "mean axes") { $0[0].mean(axes: [0, 1]) }
        checkGradients([x], "variance") { $0[0].variance(axis: 2) }
        checkGradients([x], "std") { $0[0].standardDeviation(axis: 1, correction: 0) }
        checkGradients([x], "norm") { $0[0].norm() }
        // Distinct values so the arg-extremes are unambiguous.
        let distinct = x + 0.01 * Tensor.arange(24).reshaped(2, 3, 4)
        checkGradients([distinct], "max axis") { $0[0].max(axis: 1) }
        checkGradients([distinct], "min axis") { $0[0].min(axis: 0, keepDims: true) }
        checkGradients([distinct], "max") { $0[0].max() }
    }

    @Test func shapes() {
        let x = random([2, 3, 4], seed: 60)
        checkGradients([x], "reshape") { $0[0].reshaped(4, -1) * Tensor.arange(6) }
        checkGradients([x], "permute") { $0[0].permuted(2, 0, 1) * Tensor.arange(3) }
        checkGradients([x], "transpose") { $0[0].transposed() }
        checkGradients([random([3, 1], seed: 61)], "expand") { $0[0].expanded(to: [2, 3, 4]) }
        checkGradients([x], "summed to shape") { $0[0].summed(toShape: [3, 1]) }
        checkGradients([x], "squeeze/unsqueeze") { $0[0].unsqueezed(axis: 1).squeezed(axis: 1).flattened() }
        checkGradients([random([2, 2, 3], seed: 62)], "repeatedInterleave") { $0[0].repeatedInterleave(2, axis: 1) }
    }

    @Test func indexing() {
        let x = random([3, 4, 5], seed: 70)
        checkGradients([x], "subscript") { $0[0][1, .all, 1..<4] }
        checkGradients([x], "stepped subscript") { $0[0][.all, .stride(nil, nil, 2), -1] }
        checkGradients([x], "list subscript") { $0[0][[2, 0, 2], .all, [4, 1]] }
        checkGradients([x, random([2, 1], seed: 73)], "list assignment") { t in
            var y = t[0]
            y[1, [3, 0], .all] = t[1]
            return y * 2
        }
        checkGradients([x, random([4, 3], seed: 71)], "subscript assignment") { t in
            var y = t[0]
            y[0, .all, 1..<4] = t[1]
            return y * 2
        }
        checkGradients([x, random([], seed: 72)], "broadcast assignment") { t in
            var y = t[0]
            y[.all, 2] = t[1]
            return y
        }
        checkGradients([x], "indexSelect axis 0") { $0[0].indexSelect(IntTensor([[2, 0], [2, 2]]), axis: 0) }
        checkGradients([x], "indexSelect axis 2") { $0[0].indexSelect(IntTensor([4, 1, 4]), axis: 2) }
        checkGradients([x], "takeAlongLastAxis") { $0[0].takeAlongLastAxis(IntTensor(shape: [3, 4, 2], values: (0..<24).map { $0 % 5 })) }
        let condition = random([3, 4, 5], seed: 74) .> 0
        checkGradients([x, random([4, 5], seed: 73)], "select") { Tensor.select(condition, $0[0], $0[1]) }
    }

    @Test func joining() {
        let a = random([2, 3], seed: 80), b = random([2, 1], seed: 81), c = random([2, 3], seed: 82)
        checkGradients([a, b], "concatenate") { Tensor.concatenate([$0[0], $0[1]], axis: 1) * Tensor.arange(4) }
        checkGradients([a, c], "stack") { Tensor.stack([$0[0], $0[1]], axis: 1) }
        checkGradients([random([5, 2], seed: 83)], "split") { t in
            let parts = t[0].split([2, 3])
            return parts[0].sum() * parts[1].mean()
        }
    }

    @Test func matrixProducts() {
        let a = random([3, 4], seed: 90), b = random([4, 5], seed: 91)
        checkGradients([a, b], "matmul") { $0[0].matmul($0[1]) }
        checkGradients([a, random([5, 4], seed: 92)], "matmul Bᵀ") { $0[0].matmul($0[1], transposeOther: true) }
        checkGradients([random([4, 3], seed: 93), b], "matmul Aᵀ") { $0[0].matmul($0[1], transposeSelf: true) }
        checkGradients([random([4, 3], seed: 94), random([5, 4], seed: 95)], "matmul AᵀBᵀ") {
            $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        }
        checkGradients([random([2, 3, 4], seed: 96), b], "rows × matrix") { $0[0].matmul($0[1]) }
        checkGradients([random([2, 3, 4], seed: 97), random([2, 4, 2], seed: 98)], "batched") { $0[0].matmul($0[1]) }
        checkGradients([random([2, 1, 3, 4], seed: 99), random([1, 2, 4, 2], seed: 100)], "broadcast batch") {
            $0[0].matmul($0[1])
        }
        checkGradients([random([3, 4], seed: 101), random([2, 4, 2], seed: 102)], "shared left matrix") { $0[0].matmul($0[1]) }
        checkGradients([random([2, 4, 3], seed: 103), random([2, 2, 4], seed: 104)], "batched transposes") {
            $0[0].matmul($0[1], transposeSelf: true, transposeOther: true)
        }
        checkGradients([random([4], seed: 105), b], "vector × matrix") { $0[0].matmul($0[1]) }
        checkGradients([random([2, 3, 4], seed: 107), b, random([5], seed: 108)], "linear with bias") { $0[0].matmul($0[1], bias: $0[2]) }
        checkGradients([a, random([4], seed: 106)], "matrix × vector") { $0[0].matmul($0[1]) }
        checkGradients([random([2, 3, 4], seed: 109), b, random([2, 3, 5], seed: 113)], "product adding a base") {
            $0[0].matmul($0[1], adding: $0[2])
        }
        checkGradients([random([2, 3, 4], seed: 117), b, random([2, 3, 5], seed: 118)], "accumulated product") {
            var sum = $0[2]
            sum.addProduct($0[0], $0[1])
            return sum
        }
        checkGradients([random([2, 3, 5], seed: 114), random([2, 3, 1], seed: 115), random([5], seed: 116)], "scaled rows") {
            $0[0].scaledRows(by: $0[1], adding: $0[2])
        }
    }

    @Test func einsumContractions() {
        let q = random([2, 3, 2, 4], seed: 110), k = random([2, 3, 2, 4], seed: 111)
        checkGradients([q, k], "bqhd,bkhd->bhqk") { einsum("bqhd,bkhd->bhqk", $0[0], $0[1]) }
        let pattern = random([2, 2, 3, 3], seed: 112)
        checkGradients([pattern, k], "bhqk,bkhd->bqhd") { einsum("bhqk,bkhd->bqhd", $0[0], $0[1]) }
        checkGradients([q, random([2, 4, 5], seed: 113)], "bphd,hdm->bpm") { einsum("bphd,hdm->bpm", $0[0], $0[1]) }
        checkGradients([random([3, 4], seed: 114)], "ij->ji") { einsum("ij->ji", $0[0]) }
        checkGradients([random([3, 4], seed: 115), random([4, 2], seed: 116)], "implicit output") { einsum("ij,jk", $0[0], $0[1]) }
        checkGradients([random([2, 3], seed: 117), random([3, 4], seed: 118)], "outer sums") { einsum("ab,bc->a", $0[0], $0[1]) }
    }

    @Test func attentionProducts() {
        let q = random([2, 5, 3, 4], seed: 130), k = random([2, 5, 3, 4], seed: 131), v = random([2, 5, 3, 4], seed: 132)
        checkGradients([q, k], "attentionScores") { Tensor.attentionScores(queries: $0[0], keys: $0[1], divisor: 2, causal: false) }
        // Causal: the masked entries are −inf constants; compose with softmax so the check sees finite values.
        checkGradients([q, k], "causal attentionScores") {
            Tensor.attentionScores(queries: $0[0], keys: $0[1], divisor: 2, causal: true).softmax()
        }
        let pattern = random([2, 3, 5, 5], seed: 133)
        checkGradients([pattern, v], "attentionMix") { Tensor.attentionMix(pattern: $0[0], values: $0[1]) }
        checkGradients([v, random([3, 4, 6], seed: 134)], "perHeadMatmul") { $0[0].perHeadMatmul($0[1]) }
        checkGradients([random([2, 3, 5], seed: 138), random([3, 5, 4], seed: 139), random([3, 4], seed: 140)], "projectedToHeads") {
            $0[0].projectedToHeads($0[1], bias: $0[2])
        }
        let x = random([2, 4, 8], seed: 135)
        checkGradients([x, random([8], seed: 136, low: 0.5, high: 1.5), random([8], seed: 137)], "layerNormWithScale") {
            $0[0].layerNormWithScale(weight: $0[1], bias: $0[2]).output
        }
    }

    @Test func gradientsOfIntermediatesAndUnusedInputs() {
        let tape = GradientTape()
        let x = random([3], seed: 120)
        let (loss, xw, hidden, unused) = tape.record {
            let xw = tape.watch(x)
            let unused = tape.watch(Tensor.ones([2]))
            let hidden = xw * 2
            return ((hidden * hidden).sum(), xw, hidden, unused)
        }
        let g = tape.gradients(of: loss, withRespectTo: [xw, hidden, unused])
        #expect(g[0].isApproximatelyEqual(to: x * 8, absoluteTolerance: 1e-6))
        #expect(g[1].isApproximatelyEqual(to: x * 4, absoluteTolerance: 1e-6))
        #expect(g[2] == Tensor.zeros([2]))
    }

    @Test func nothingIsRecordedOutsideTheScope() {
        let tape = GradientTape()
        let w = tape.record { tape.watch(Tensor.ones([2])) }
        let before = tape.entryCount
        let y = (w * 3).exp().sum()
        #expect(tape.entryCount == before)
        #expect(!y.isTracked)
        let z = tape.record { (w * 3).sum() }
        #expect(tape.entryCount == before + 2)
        #expect(tape.gradient(of: z, withRespectTo: w) == Tensor([3, 3]))
    }

    @Test func valueWithGradientConvenience() {
        let x = Tensor([1, 2, 3])
        let (value, grad) = valueWithGradient(at: x) { ($0 * $0).sum() }
        #expect(value.scalar == 14)
        #expect(grad == Tensor([2, 4, 6]))
        let constant = valueWithGradients(at: [x]) { _ in Tensor(scalar: 5) }
        #expect(constant.gradients[0] == Tensor.zeros([3]))
    }
}
