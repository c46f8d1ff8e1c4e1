import Foundation
import SwiftLens
import Testing

@Suite struct OptimizerTests {
    @Test func adamWMatchesTheFormulaInDouble() {
        var opt = AdamW(learningRate: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1)
        var params = ["w": Tensor([1, -2, 0.5])]
        var (p, m, v) = ([1.0, -2, 0.5], [0.0, 0, 0], [0.0, 0, 0])
        let grads: [[Double]] = [[0.1, -0.3, 2], [0.2, 0.1, -1], [-0.5, 0.4, 0.3]]
        for (t, g) in grads.enumerated() {
            opt.update(&params, gradients: ["w": Tensor(g.map(Float.init))])
            let bc1 = 1 - pow(0.9, Double(t + 1)), bc2 = 1 - pow(0.99, Double(t + 1))
            for i in 0..<3 {
                p[i] *= 1 - 0.01 * 0.1
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i]
                p[i] -= 0.01 / bc1 * m[i] / (v[i].squareRoot() / bc2.squareRoot() + 1e-6)
            }
            for i in 0..<3 { #expect(abs(Double(params["w"]!.scalars[i]) - p[i]) < 1e-6) }
        }
        #expect(opt.step == 3)
    }

    @Test func adamWMinimisesAQuadratic() throws {
        var opt = AdamW(learningRate: 0.05, weightDecay: 0)
        var params = ["x": Tensor([3, -4])]
        for _ in 0..<400 {
            let (_, g) = valueWithGradient(at: params["x"]!) { ($0 - Tensor([1, 2])).square().sum() }
            opt.update(&params, gradients: ["x": g])
        }
        #expect(params["x"]!.isApproximatelyEqual(to: Tensor([1, 2]), absoluteTolerance: 1e-2))
    }

    @Test func gradientClippingAndSchedules() {
        var grads = ["a": Tensor([3, 0]), "b": Tensor([0, 4])]
        let norm = clipGradientNorm(&grads, maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        #expect(abs(grads["a"]!.scalars[0] - 3 / (5 + 1e-6)) < 1e-6 && abs(grads["b"]!.scalars[1] - 4 / (5 + 1e-6)) < 1e-6)
        var small = ["a": Tensor([0.1])]
        clipGradientNorm(&small, maxNorm: 1)
        #expect(small["a"]! == Tensor([0.1]))
        #expect(LearningRateSchedule.constant.rate(at: 10, base: 0.1) == 0.1)
        #expect(LearningRateSchedule.warmup(steps: 10).rate(at: 0, base: 1) == 0.1)
        #expect(LearningRateSchedule.warmup(steps: 10).rate(at: 50, base: 1) == 1)
        let cosine = LearningRateSchedule.cosine(warmup: 10, total: 110, minimum: 0.1)
        #expect(abs(cosine.rate(at: 9, base: 1) - 1) < 1e-6)
        #expect(abs(cosine.rate(at: 60, base: 1) - 0.55) < 1e-5)
        #expect(abs(cosine.rate(at: 110, base: 1) - 0.1) < 1e-6)
    }
}
