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

    /// f(self) ⊙ `linear` in one pass: a gated MLP's neurons, act(x·W_gate) ⊙ x·W_in. Equal,
    /// element for element, to `activation(f) * linear` (which it is, when differentiated).
    public func gatedActivation(_ f: ActivationKernel, times linear: Tensor) -> Tensor {
        precondition(shape == linear.shape, "gatedActivation: shapes \(shape) and \(linear.shape) differ")
        if GradientTape.recording(self, linear) != nil { return activation(f) * linear }
        let out = Tensor(uninitializedShape: shape)
        LensKernels.gatedActivationForward(f, pointer, linear.pointer, out.pointer, count)
        return out
    }

    /// The rotary embedding in the "rotate half" form (LLaMA, GPT-NeoX) of [batch, pos, head,
    /// d_head] queries or keys, in one pass: the first `rotaryDim` components become
    /// x·cos + rotate_half(x)·sin, rotate_half(x) = (−x[h ..< 2h], x[0 ..< h]) with h =
    /// rotaryDim / 2, and the rest pass through. `sin` and `cos` are [pos, rotaryDim] (every
    /// sequence at the same positions) or [batch, pos, rotaryDim]. Equal, element for element, to
    /// that formula in tensor operations, which it falls back to when differentiated.
    public func rotatedHalf(sin: Tensor, cos: Tensor, rotaryDim: Int) -> Tensor {
        precondition(rank == 4 && rotaryDim % 2 == 0 && rotaryDim <= shape[3], "rotatedHalf: needs [batch, pos, head, d_head] and an even rotaryDim ≤ d_head, got \(shape) and \(rotaryDim)")
        let (batch, positions) = (shape[0], shape[1])
        let perBatch = sin.rank == 3
        precondition(sin.shape == cos.shape && sin.shape == (perBatch ? [batch, positions, rotaryDim] : [positions, rotaryDim]),
                     "rotatedHalf: sin \(sin.shape) and cos \(cos.shape) do not fit \(shape) with rotaryDim \(rotaryDim)")
        if GradientTape.recording(self, sin, cos) != nil {
            let tables = perBatch ? [batch, positions, 1, rotaryDim] : [1, positions, 1, rotaryDim]
            let rotated = rotaryDim == shape[3] ? self : self[.ellipsis, ..<rotaryDim]
            let halves = rotated.split([rotaryDim / 2, rotaryDim / 2], axis: -1)
            let out = rotated * cos.reshaped(tables) + Tensor.concatenate([-halves[1], halves[0]], axis: -1) * sin.reshaped(tables)
            return rotaryDim == shape[3] ? out : Tensor.concatenate([out, self[.ellipsis, rotaryDim...]], axis: -1)
        }
        let out = Tensor(uninitializedShape: shape)
        LensKernels.rotateHalfForward(pointer, out.pointer, batch: batch, positions: positions, heads: shape[2], dHead: shape[3],
                                      rotaryDim: rotaryDim, sin: sin.pointer, cos: cos.pointer, perBatchTables: perBatch)
        return out
    }

    /// max(0, x).
    public func relu() -> Tensor { activation(.relu) }
    /// GELU: exact (erf) form by default; `approximate: true` is the tanh form GPT-2 calls
    /// `gelu_new`.
    public func gelu(approximate: Bool = false) -> Tensor { activation(approximate ? .tanhGELU : .erfGELU) }
    /// x·σ(x) (a.k.a. swish).
    public func silu() -> Tensor { activation(.silu) }
}
