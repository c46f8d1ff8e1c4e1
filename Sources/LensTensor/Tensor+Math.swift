import LensKernels

// Element-wise unary functions and activation functions, each with its derivative.

extension Tensor {
    /// Applies a kernel unary op and records `derivative(input, output, gradient)`.
    func unary(_ op: UnaryOp, derivative: ((Tensor, Tensor, Tensor) -> Tensor)? = nil) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        LensKernels.unary(op, pointer, out.pointer, count)
        guard let tape = GradientTape.recording(self) else { return out }
        let x = self, y = out
        return tape.recorded(out, inputs: [x]) { g, _ in
            [derivative.map { $0(x.detached, y.detached, g) }]
        }
    }

    /// e^x.
    public func exp() -> Tensor { unary(.exp) { _, y, g in g * y } }
    /// Natural logarithm.
    public func log() -> Tensor { unary(.log) { x, _, g in g / x } }
    /// Square root.
    public func sqrt() -> Tensor { unary(.sqrt) { _, y, g in g / (2 * y) } }
    /// 1/√x.
    public func rsqrt() -> Tensor { sqrt().reciprocal() }
    /// |x| (gradient sign(x), 0 at 0).
    public func abs() -> Tensor { unary(.abs) { x, _, g in g * x.unary(.sign) } }
    /// x².
    public func square() -> Tensor { unary(.square) { x, _, g in g * x * 2 } }
    /// 1/x.
    public func reciprocal() -> Tensor { unary(.reciprocal) { _, y, g in -(g * y * y) } }
    /// tanh x.
    public func tanh() -> Tensor { unary(.tanh) { _, y, g in g * (1 - y * y) } }
    /// The logistic sigmoid 1/(1 + e^{−x}).
    public func sigmoid() -> Tensor { unary(.sigmoid) { _, y, g in g * y * (1 - y) } }
    /// sin x.
    public func sin() -> Tensor { unary(.sin) { x, _, g in g * x.cos() } }
    /// cos x.
    public func cos() -> Tensor { unary(.cos) { x, _, g in -(g * x.sin()) } }
    /// −1, 0 or 1 (no gradient).
    public func sign() -> Tensor { unary(.sign).detached }
    /// Rounded down (no gradient).
    public func floor() -> Tensor { unary(.floor).detached }
    /// Rounded up (no gradient).
    public func ceil() -> Tensor { unary(.ceil).detached }
    /// Rounded to nearest, ties to even (no gradient).
    public func rounded() -> Tensor { unary(.round).detached }

    /// Each element limited to `[lower, upper]`; the gradient passes only where x is inside.
    public func clamped(lower: Float = -.infinity, upper: Float = .infinity) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        LensKernels.clamp(pointer, lo: lower, hi: upper, out.pointer, count)
        guard let tape = GradientTape.recording(self) else { return out }
        let x = self.detached
        return tape.recorded(out, inputs: [self]) { g, _ in [g * (x .>= lower) * (x .<= upper)] }
    }

    /// An MLP activation function (`gelu_new`, `gelu`, `silu`, `relu` …) with its fused
    /// derivative.
    public func activation(_ f: ActivationKernel) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        LensKernels.activationForward(f, pointer, out.pointer, count)
        guard let tape = GradientTape.recording(self) else { return out }
        let x = self.detached
        return tape.recorded(out, inputs: [self]) { g, _ in
            let dx = Tensor(uninitializedShape: x.shape)
            LensKernels.activationBackward(f, x.pointer, g.pointer, dx.pointer, x.count)
            return [dx]
        }
    }

    /// max(0, x).
    public func relu() -> Tensor { activation(.relu) }
    /// GELU: exact (erf) form by default; `approximate: true` is the tanh form GPT-2 calls
    /// `gelu_new`.
    public func gelu(approximate: Bool = false) -> Tensor { activation(approximate ? .tanhGELU : .erfGELU) }
    /// x·σ(x) (a.k.a. swish).
    public func silu() -> Tensor { activation(.silu) }
}
