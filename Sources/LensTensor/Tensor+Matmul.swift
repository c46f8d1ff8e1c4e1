import LensKernels

// Matrix products on the packed GEMM kernel. Transposed operands are read in place (the kernel
// handles transposes while packing), so `a.matmul(b, transposeOther: true)` costs no copy.

extension Tensor {
    /// The matrix product `op(self) · op(other)`, PyTorch `matmul` semantics:
    ///
    /// - 2-D × 2-D: `[m, k] · [k, n] → [m, n]`;
    /// - N-D × 2-D: the leading axes are flattened into rows, one GEMM (`x · W` for
    ///   `[batch, pos, d_model] · [d_model, d_mlp]`);
    /// - N-D × N-D: a batch of products over the leading axes, which broadcast
    ///   (`[b, h, q, d] · [b, h, d, k]`);
    /// - a 1-D operand is a row (left) or column (right) vector, dropped from the result.
    ///
    /// `transposeSelf` / `transposeOther` swap the last two axes of that operand first.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        if rank == 1 {
            precondition(!transposeSelf, "matmul: cannot transpose a vector")
            return unsqueezed(axis: 0).matmul(other, transposeOther: transposeOther).squeezed(axis: -2)
        }
        if other.rank == 1 {
            precondition(!transposeOther, "matmul: cannot transpose a vector")
            return matmul(other.unsqueezed(axis: 1), transposeSelf: transposeSelf).squeezed(axis: -1)
        }
        let a = self, b = other
        let m = transposeSelf ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        let k = transposeSelf ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        let kb = transposeOther ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        let n = transposeOther ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        precondition(k == kb, "matmul: inner dimensions differ: \(a.shape)\(transposeSelf ? "ᵀ" : "") · \(b.shape)\(transposeOther ? "ᵀ" : "")")
        let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
        var out: Tensor
        if b.rank == 2 && (a.rank == 2 || !transposeSelf) {
            // Leading axes of a are rows of one GEMM.
            let rows = a.rank == 2 ? m : a.count / Swift.max(k, 1)
            out = Tensor(uninitializedShape: Array(a.shape.dropLast(2)) + [m, n])
            LensKernels.sgemm(transA: transposeSelf, transB: transposeOther, m: rows, n: n, k: k,
                              a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, c: out.pointer, ldc: n)
        } else {
            let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
            guard let batch = broadcastShape(batchA, batchB) else {
                preconditionFailure("matmul: batch shapes \(batchA) and \(batchB) do not broadcast")
            }
            let count = batch.reduce(1, *)
            // An operand whose batch is all ones is shared by every item (stride 0); any other
            // partial broadcast is materialised.
            let aFull = batchA.reduce(1, *) == 1 ? a : a.expanded(to: batch + Array(a.shape.suffix(2)))
            let bFull = batchB.reduce(1, *) == 1 ? b : b.expanded(to: batch + Array(b.shape.suffix(2)))
            let aStride = batchA.reduce(1, *) == 1 ? 0 : m * k, bStride = batchB.reduce(1, *) == 1 ? 0 : k * n
            out = Tensor(uninitializedShape: batch + [m, n])
            LensKernels.sgemmBatched(batch: count, transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                                     a: aFull.pointer, lda: lda, strideA: aStride, b: bFull.pointer, ldb: ldb,
                                     strideB: bStride, c: out.pointer, ldc: n, strideC: m * n)
        }
        guard let tape = GradientTape.recording(a, b) else { return out }
        return tape.recorded(out, inputs: [a, b]) { g, needs in
            [needs[0] ? Tensor.matmulGradientSelf(g, a, b, transposeSelf, transposeOther) : nil,
             needs[1] ? Tensor.matmulGradientOther(g, a, b, transposeSelf, transposeOther) : nil]
        }
    }

    /// d op(a) = G · op(b)ᵀ, returned in a's stored layout and shape.
    private static func matmulGradientSelf(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ tA: Bool, _ tB: Bool) -> Tensor {
        let d = tA ? b.matmul(g, transposeSelf: tB, transposeOther: true) : g.matmul(b, transposeOther: !tB)
        return d.summed(toShape: a.shape)
    }

    /// d op(b) = op(a)ᵀ · G, returned in b's stored layout and shape. When b is a shared 2-D
    /// matrix, the batch is folded into one GEMM over all rows.
    private static func matmulGradientOther(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ tA: Bool, _ tB: Bool) -> Tensor {
        if b.rank == 2 && a.rank > 2 && !tA {
            let a2 = a.reshaped([-1, a.shape[a.rank - 1]]), g2 = g.reshaped([-1, g.shape[g.rank - 1]])
            return tB ? g2.matmul(a2, transposeSelf: true) : a2.matmul(g2, transposeSelf: true)
        }
        let d = tB ? g.matmul(a, transposeSelf: true, transposeOther: tA) : a.matmul(g, transposeSelf: !tA)
        return d.summed(toShape: b.shape)
    }
}

extension Tensor {
    /// `self · weight + bias` for `self` [..., k], `weight` [k, n], `bias` [n] — a linear layer.
    /// The bias is written into the output before the GEMM accumulates onto it, which saves a
    /// full pass over the (possibly large, e.g. logits) output.
    public func matmul(_ weight: Tensor, bias: Tensor) -> Tensor {
        precondition(rank >= 1 && weight.rank == 2 && shape[rank - 1] == weight.shape[0] && bias.shape == [weight.shape[1]],
                     "matmul(_:bias:) needs [..., k] · [k, n] + [n]; got \(shape) · \(weight.shape) + \(bias.shape)")
        let (k, n) = (weight.shape[0], weight.shape[1])
        let rows = count / Swift.max(k, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [n])
        LensKernels.copyStrided(bias.pointer, shape: [rows, n], strides: [0, 1], out.pointer)
        LensKernels.sgemm(m: rows, n: n, k: k, a: pointer, lda: k, b: weight.pointer, ldb: n, beta: 1, c: out.pointer, ldc: n)
        guard let tape = GradientTape.recording(self, weight, bias) else { return out }
        let x = self
        return tape.recorded(out, inputs: [x, weight, bias]) { g, needs in
            let g2 = g.reshaped([-1, n]), x2 = x.reshaped([-1, k])
            return [needs[0] ? g.matmul(weight, transposeOther: true) : nil,
                    needs[1] ? x2.matmul(g2, transposeSelf: true) : nil,
                    needs[2] ? g2.sum(axis: 0) : nil]
        }
    }
}

extension Tensor {
    /// `base + self · weight` for `self` [..., k], `weight` [k, n] and `base` [..., n]: the GEMM
    /// accumulates onto a copy of `base`, which saves the separate sum's pass over the output
    /// and its allocation (a residual update, or logits updated by a low-rank change).
    public func matmul(_ weight: Tensor, adding base: Tensor) -> Tensor {
        precondition(rank >= 1 && weight.rank == 2 && shape[rank - 1] == weight.shape[0]
                     && base.shape == Array(shape.dropLast()) + [weight.shape[1]],
                     "matmul(_:adding:) needs [..., k] · [k, n] + [..., n]; got \(shape) · \(weight.shape) + \(base.shape)")
        if GradientTape.recording(self, weight, base) != nil { return base + matmul(weight) }
        let (k, n) = (weight.shape[0], weight.shape[1])
        let rows = count / Swift.max(k, 1)
        let out = Tensor(uninitializedShape: base.shape)
        out.pointer.update(from: base.pointer, count: base.count)
        LensKernels.sgemm(m: rows, n: n, k: k, a: pointer, lda: k, b: weight.pointer, ldb: n, beta: 1, c: out.pointer, ldc: n)
        return out
    }

    /// `self += a · b` in place, for `a` [..., k], `b` [k, n] and `self` [..., n]: the GEMM
    /// accumulates straight into this tensor's storage (copied first only if it is shared).
    /// With a tracked operand it records the sum as a new value instead.
    public mutating func addProduct(_ a: Tensor, _ b: Tensor) {
        precondition(a.rank >= 1 && b.rank == 2 && a.shape[a.rank - 1] == b.shape[0]
                     && shape == Array(a.shape.dropLast()) + [b.shape[1]],
                     "addProduct needs [..., n] += [..., k] · [k, n]; got \(shape) += \(a.shape) · \(b.shape)")
        if GradientTape.recording(self, a, b) != nil {
            self = self + a.matmul(b)
            return
        }
        let (k, n) = (b.shape[0], b.shape[1])
        makeUnique()
        link = nil
        LensKernels.sgemm(m: a.count / Swift.max(k, 1), n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, beta: 1,
                          c: storage.pointer, ldc: n)
    }
}

/// `a · b`; see ``Tensor/matmul(_:transposeSelf:transposeOther:)``.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { a.matmul(b) }
