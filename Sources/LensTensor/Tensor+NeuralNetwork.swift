import LensKernels

// Fused neural-network operations over the last axis, each with a hand-written backward that
// sits next to its forward in LensKernels. Another axis is handled by moving it last.

extension Tensor {
    /// Moves `axis` last, applies `body`, and moves it back.
    private func alongLastAxis(_ axis: Int, _ body: (Tensor) -> Tensor) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        if a == rank - 1 { return body(self) }
        return body(transposed(a, -1)).transposed(a, -1)
    }

    /// Rows of the last axis: (rows, n).
    private var rowsAndLength: (Int, Int) {
        let n = shape.last ?? 1
        return (n == 0 ? 0 : count / n, n)
    }

    /// A row kernel over the last axis whose backward needs only the output and the incoming
    /// gradient (softmax, log-softmax).
    private typealias RowKernel = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    private typealias RowBackward = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void

    private func rowOperation(axis: Int, _ forward: RowKernel, _ backward: @escaping RowBackward) -> Tensor {
        alongLastAxis(axis) { x in
            let (rows, n) = x.rowsAndLength
            let out = Tensor(uninitializedShape: x.shape)
            forward(x.pointer, out.pointer, rows, n)
            guard let tape = GradientTape.recording(x) else { return out }
            let y = out
            return tape.recorded(out, inputs: [x]) { g, _ in
                let dx = Tensor(uninitializedShape: y.shape)
                backward(y.pointer, g.pointer, dx.pointer, rows, n)
                return [dx]
            }
        }
    }

    /// Softmax along `axis`. A slice whose entries are all −inf (a fully masked attention row)
    /// becomes zeros, as in TransformerLens.
    public func softmax(axis: Int = -1) -> Tensor {
        rowOperation(axis: axis, { LensKernels.softmaxForward($0, $1, rows: $2, n: $3) },
                     { LensKernels.softmaxBackward($0, $1, $2, rows: $3, n: $4) })
    }

    /// Softmax over the last axis of causally masked attention scores [..., query, key]
    /// (entries with key > query + (keys − queries) are −inf, as `attentionScores(causal:)`
    /// makes them): only the unmasked part of each row is computed, half the work.
    public func causalSoftmax() -> Tensor {
        precondition(rank >= 2, "causalSoftmax needs [..., query, key] scores, got \(shape)")
        let queries = shape[rank - 2]
        return rowOperation(axis: -1, { LensKernels.softmaxForward($0, $1, rows: $2, n: $3, causalQueries: queries) },
                            { LensKernels.softmaxBackward($0, $1, $2, rows: $3, n: $4, causalQueries: queries) })
    }

    /// SoLU, x ⊙ softmax(x) along `axis` (TransformerLens's `solu`). Its gradient is the
    /// product rule over the two factors: g ⊙ softmax(x) (the identity term) plus the softmax
    /// Jacobian applied to g ⊙ x.
    public func solu(axis: Int = -1) -> Tensor {
        self * softmax(axis: axis)
    }

    /// log(softmax) along `axis`, computed stably as x − logsumexp(x).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        rowOperation(axis: axis, { LensKernels.logSoftmaxForward($0, $1, rows: $2, n: $3) },
                     { LensKernels.logSoftmaxBackward($0, $1, $2, rows: $3, n: $4) })
    }

    /// log Σ exp along `axis` (the axis is removed unless `keepDims`).
    public func logSumExp(axis: Int = -1, keepDims: Bool = false) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        // Move the axis last; the other axes keep their order, which is the reduced shape.
        let moved = permuted(Array(0..<rank).filter { $0 != a } + [a])
        let (rows, n) = moved.rowsAndLength
        var out = Tensor(uninitializedShape: Array(moved.shape.dropLast()))
        LensKernels.logSumExpForward(moved.pointer, out.pointer, rows: rows, n: n)
        if let tape = GradientTape.recording(moved) {
            let x = moved.detached, lse = out
            out = tape.recorded(out, inputs: [moved]) { g, _ in
                [(x - lse.unsqueezed(axis: -1)).exp() * g.unsqueezed(axis: -1)]
            }
        }
        return keepDims ? out.unsqueezed(axis: a) : out
    }

    /// Layer normalisation over the last axis: (x − mean) / √(var + eps) · weight + bias, with
    /// the population variance. `weight` and `bias` (shape `[n]`) are optional (TransformerLens
    /// `LNPre` has neither).
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        layerNormCore(weight: weight, bias: bias, eps: eps).output
    }

    /// ``layerNorm(weight:bias:eps:)`` that also returns TransformerLens's `hook_scale`,
    /// √(var + eps), shaped [..., 1]. The scale is a by-product without a gradient link.
    public func layerNormWithScale(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> (output: Tensor, scale: Tensor) {
        let (out, rstd) = layerNormCore(weight: weight, bias: bias, eps: eps)
        return (out, rstd.reciprocal().reshaped(Array(shape.dropLast()) + [1]).detached)
    }

    private func layerNormCore(weight: Tensor?, bias: Tensor?, eps: Float) -> (output: Tensor, rstd: Tensor) {
        let (rows, n) = rowsAndLength
        if let weight { precondition(weight.shape == [n], "layerNorm weight shape \(weight.shape), expected [\(n)]") }
        if let bias { precondition(bias.shape == [n], "layerNorm bias shape \(bias.shape), expected [\(n)]") }
        let out = Tensor(uninitializedShape: shape)
        let mean = Tensor(uninitializedShape: [rows]), rstd = Tensor(uninitializedShape: [rows])
        LensKernels.layerNormForward(pointer, rows: rows, n: n, weight: weight?.pointer, bias: bias?.pointer, eps: eps,
                                     out.pointer, mean: mean.pointer, rstd: rstd.pointer)
        let inputs = [self] + [weight, bias].compactMap { $0 }
        guard let tape = inputs.lazy.compactMap({ $0.link?.tape }).first(where: { $0.isRecording }) else { return (out, rstd) }
        let x = self.detached, w = weight?.detached
        let hasBias = bias != nil
        return (tape.recorded(out, inputs: inputs) { g, needs in
            let dx = Tensor(uninitializedShape: x.shape)
            let dw = w.map { Tensor(shape: $0.shape, repeating: 0) }
            let db = hasBias ? Tensor(shape: [n], repeating: 0) : nil
            LensKernels.layerNormBackward(g.pointer, x.pointer, mean: mean.pointer, rstd: rstd.pointer, weight: w?.pointer,
                                          rows: rows, n: n, dx: dx.pointer, dWeight: dw?.pointer, dBias: db?.pointer)
            return [needs[0] ? dx : nil] + [dw, db].compactMap { $0 }.map { Optional($0) }
        }, rstd)
    }

    /// RMS normalisation over the last axis: x / √(mean(x²) + eps) · weight (`weight` optional,
    /// as in `RMSNormPre`).
    public func rmsNorm(weight: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        rmsNormCore(weight: weight, eps: eps).output
    }

    /// ``rmsNorm(weight:eps:)`` that also returns TransformerLens's `hook_scale`,
    /// √(mean(x²) + eps), shaped [..., 1], without a gradient link.
    public func rmsNormWithScale(weight: Tensor? = nil, eps: Float = 1e-5) -> (output: Tensor, scale: Tensor) {
        let (out, rstd) = rmsNormCore(weight: weight, eps: eps)
        return (out, rstd.reciprocal().reshaped(Array(shape.dropLast()) + [1]).detached)
    }

    private func rmsNormCore(weight: Tensor?, eps: Float) -> (output: Tensor, rstd: Tensor) {
        let (rows, n) = rowsAndLength
        if let weight { precondition(weight.shape == [n], "rmsNorm weight shape \(weight.shape), expected [\(n)]") }
        let out = Tensor(uninitializedShape: shape)
        let rstd = Tensor(uninitializedShape: [rows])
        LensKernels.rmsNormForward(pointer, rows: rows, n: n, weight: weight?.pointer, eps: eps, out.pointer, rstd: rstd.pointer)
        let inputs = [self] + [weight].compactMap { $0 }
        guard let tape = inputs.lazy.compactMap({ $0.link?.tape }).first(where: { $0.isRecording }) else { return (out, rstd) }
        let x = self.detached, w = weight?.detached
        return (tape.recorded(out, inputs: inputs) { g, needs in
            let dx = Tensor(uninitializedShape: x.shape)
            let dw = w.map { Tensor(shape: $0.shape, repeating: 0) }
            LensKernels.rmsNormBackward(g.pointer, x.pointer, rstd: rstd.pointer, weight: w?.pointer, rows: rows, n: n,
                                        dx: dx.pointer, dWeight: dw?.pointer)
            return [needs[0] ? dx : nil] + (dw.map { [$0] } ?? [])
        }, rstd)
    }

    /// Cross-entropy of each row of logits against a target class: −log softmax(logits)[target].
    /// `self` is `[..., classes]`, `targets` has the leading shape `[...]`; the result has it too
    /// (average it for the usual mean loss). Fused: the backward is softmax − one-hot.
    /// - Precondition: every target lies in `0 ..< classes`.
    public func crossEntropy(targets: IntTensor) -> Tensor {
        precondition(rank >= 1 && targets.shape == Array(shape.dropLast()),
                     "crossEntropy: targets of shape \(targets.shape) do not match logits \(shape)")
        let (rows, n) = rowsAndLength
        let t = targets.scalars
        for v in t { precondition(v >= 0 && v < n, "crossEntropy: target \(v) out of range 0..<\(n)") }
        let losses = Tensor(uninitializedShape: targets.shape)
        let lse = Tensor(uninitializedShape: [rows])
        t.withUnsafeBufferPointer { tp in
            LensKernels.crossEntropyForward(pointer, rows: rows, n: n, targets: tp.baseAddress!, losses: losses.pointer,
                                            lse: lse.pointer)
        }
        guard let tape = GradientTape.recording(self) else { return losses }
        let logits = self.detached
        return tape.recorded(losses, inputs: [self]) { g, _ in
            let dx = Tensor(uninitializedShape: logits.shape)
            t.withUnsafeBufferPointer { tp in
                LensKernels.crossEntropyBackward(logits.pointer, lse: lse.pointer, rows: rows, n: n, targets: tp.baseAddress!,
                                                 dLoss: g.pointer, dLogits: dx.pointer)
            }
            return [dx]
        }
    }
}
