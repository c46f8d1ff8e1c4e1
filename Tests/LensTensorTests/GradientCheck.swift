import LensTensor
import Testing

/// Checks the tape's gradients of `f` at `inputs` against central finite differences.
///
/// The scalar being differentiated is L = Σ f(x)ᵢ·Rᵢ for a fixed random R (the tape gets R as
/// the seed, so `f` itself is what is checked); L is accumulated in double to keep the
/// difference quotient clean. With h = 1e-2 on float inputs the quotient is good to about 1e-4
/// for smooth functions; a wrong gradient is off by O(1).
func checkGradients(_ inputs: [Tensor], h: Float = 1e-2, absoluteTolerance: Float = 2e-3, relativeTolerance: Float = 2e-2,
                    _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation,
                    _ f: ([Tensor]) -> Tensor) {
    let probe = f(inputs)
    let projection = Tensor.randomNormal(probe.shape, seed: 12345)
    let tape = GradientTape()
    let (output, watched) = tape.record {
        let watched = inputs.map { tape.watch($0) }
        return (f(watched), watched)
    }
    #expect(output == probe, "\(label): recording changed the forward value", sourceLocation: sourceLocation)
    let analytic = tape.gradients(of: output, withRespectTo: watched, seed: projection)

    func loss(_ xs: [Tensor]) -> Double {
        let y = f(xs), r = projection.scalars
        return zip(y.scalars, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    for (k, input) in inputs.enumerated() {
        #expect(analytic[k].shape == input.shape, "\(label): gradient shape \(analytic[k].shape) for input \(input.shape)",
                sourceLocation: sourceLocation)
        let values = input.scalars
        for i in values.indices {
            var up = values, down = values
            up[i] += h
            down[i] -= h
            var xsUp = inputs, xsDown = inputs
            xsUp[k] = Tensor(shape: input.shape, values: up)
            xsDown[k] = Tensor(shape: input.shape, values: down)
            let numeric = Float((loss(xsUp) - loss(xsDown)) / Double(2 * h))
            let got = analytic[k].scalars[i]
            #expect(abs(got - numeric) <= absoluteTolerance + relativeTolerance * abs(numeric),
                    "\(label): input \(k) element \(i): tape \(got), finite difference \(numeric)",
                    sourceLocation: sourceLocation)
        }
    }
}

/// A seeded random tensor with values in [low, high).
func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    Tensor.randomUniform(shape, low: low, high: high, seed: seed)
}
