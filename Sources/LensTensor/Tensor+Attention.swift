import LensKernels

// Attention's per-head products, read and written in place in TransformerLens's layouts
// ([batch, pos, head, d_head] activations, [batch, head, query, key] patterns): each (batch,
// head) pair is one small GEMM on strided views, so no activation or weight is permuted or
// copied. Forward and backward side by side; the backward GEMMs use the same strided views.

extension Tensor {
    /// Attention scores `s[b, h, i, j] = Σ_d q[b, i, h, d] · k[b, j, h, d] / divisor`.
    /// With `causal`, entries with key position j > i are −inf (TransformerLens's `hook_attn_scores`).
    /// - Parameters:
    ///   - queries: [batch, query_pos, head, d_head]
    ///   - keys: [batch, key_pos, kv_head, d_head]. With grouped-query attention (kv_head
    ///     dividing head) query head h reads key head h / (head / kv_head) in place — no
    ///     expanded copy — when nothing is differentiated; expand the key heads first to
    ///     differentiate.
    ///   - keyCount: read only the first `keyCount` key positions of `keys` (a key-value
    ///     cache's buffer, longer than the sequence so far); not while differentiating.
    /// - Returns: [batch, head, query_pos, key_pos]
    public static func attentionScores(queries q: Tensor, keys k: Tensor, keyCount: Int? = nil, divisor: Float,
                                       causal: Bool) -> Tensor {
        precondition(q.rank == 4 && k.rank == 4 && q.shape[0] == k.shape[0] && k.shape[2] > 0 && q.shape[2] % k.shape[2] == 0
                     && q.shape[3] == k.shape[3],
                     "attentionScores: queries \(q.shape) and keys \(k.shape) must be [batch, pos, head, d_head] alike")
        let (batch, p, heads, dh) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let kRows = k.shape[1], kLen = keyCount ?? kRows
        let kvHeads = k.shape[2], group = heads / kvHeads
        precondition(kLen >= 0 && kLen <= kRows, "attentionScores: keyCount \(kLen) outside the \(kRows) key positions")
        precondition((group == 1 && kLen == kRows) || GradientTape.recording(q, k) == nil,
                     "attentionScores: expand grouped key heads \(k.shape) to \(heads) heads (and pass every key) before differentiating")
        let out = Tensor(uninitializedShape: [batch, heads, p, kLen])
        let alpha = 1 / divisor
        if causal && p > causalBlockRows {
            // Only the keys a block of queries can see: about half the work of the full square.
            causalBlocks(items: batch * heads, queries: p, keys: kLen, work: dh) { i, rows, visible in
                let (b, h) = (i / heads, i % heads)
                LensKernels.sgemm(transB: true, m: rows.count, n: visible, k: dh, alpha: alpha,
                                  a: q.pointer + (b * p + rows.lowerBound) * heads * dh + h * dh, lda: heads * dh,
                                  b: k.pointer + b * kRows * kvHeads * dh + (h / group) * dh, ldb: kvHeads * dh,
                                  c: out.pointer + (i * p + rows.lowerBound) * kLen, ldc: kLen, threads: 1)
            }
        } else {
            LensKernels.sgemmBatched(count: batch * heads, transB: true, m: p, n: kLen, k: dh, alpha: alpha,
                                     a: q.pointer, lda: heads * dh, b: k.pointer, ldb: kvHeads * dh, c: out.pointer, ldc: kLen) { i in
                let (b, h) = (i / heads, i % heads)
                return (b * p * heads * dh + h * dh, b * kRows * kvHeads * dh + (h / group) * dh, i * p * kLen)
            }
        }
        if causal { maskFuture(out, rows: batch * heads, queries: p, keys: kLen, value: -.infinity) }
        guard let tape = GradientTape.recording(q, k) else { return out }
        return tape.recorded(out, inputs: [q, k]) { g, needs in
            var dS = g
            if causal {
                dS = g.detached
                dS.makeUnique()
                maskFuture(dS, rows: batch * heads, queries: p, keys: kLen, value: 0)
            }
            var dq: Tensor?, dk: Tensor?
            if needs[0] {
                let d = Tensor(uninitializedShape: q.shape)
                LensKernels.sgemmBatched(count: batch * heads, m: p, n: dh, k: kLen, alpha: alpha, a: dS.pointer, lda: kLen,
                                         b: k.pointer, ldb: heads * dh, c: d.pointer, ldc: heads * dh) { i in
                    let (b, h) = (i / heads, i % heads)
                    return (i * p * kLen, b * kLen * heads * dh + h * dh, b * p * heads * dh + h * dh)
                }
                dq = d
            }
            if needs[1] {
                let d = Tensor(uninitializedShape: k.shape)
                LensKernels.sgemmBatched(count: batch * heads, transA: true, m: kLen, n: dh, k: p, alpha: alpha,
                                         a: dS.pointer, lda: kLen, b: q.pointer, ldb: heads * dh, c: d.pointer,
                                         ldc: heads * dh) { i in
                    let (b, h) = (i / heads, i % heads)
                    return (i * p * kLen, b * p * heads * dh + h * dh, b * kLen * heads * dh + h * dh)
                }
                dk = d
            }
            return [dq, dk]
        }
    }

    /// Writes `value` at every entry with key position j > query position i (aligned so that the
    /// last query sees every key) of `rows` [queries, keys] matrices.
    private static func maskFuture(_ t: Tensor, rows: Int, queries: Int, keys: Int, value: Float) {
        let base = SendableFloats(t.pointer)
        let offset = keys - queries
        LensKernels.parallelChunks(rows, work: rows * queries * keys / 2) { range in
            for r in range {
                for i in 0..<queries {
                    let row = base.pointer + (r * queries + i) * keys
                    let first = Swift.max(0, i + offset + 1)
                    if first < keys { (row + first).update(repeating: value, count: keys - first) }
                }
            }
        }
    }

    /// Query rows per block of a causal product: the block sees keys up to its last row. Shorter
    /// sequences (one block) take the plain product: more, smaller GEMMs would cost more than
    /// the masked quarter they skip.
    static let causalBlockRows = 128

    /// Calls `body(item, rows, visibleKeys)` for every block of query rows of every item, in
    /// parallel: a block of rows [i0, i1) sees the first i1 + (keys − queries) keys.
    static func causalBlocks(items: Int, queries: Int, keys: Int, work: Int,
                             _ body: @Sendable (Int, Range<Int>, Int) -> Void) {
        let blocks = (queries + causalBlockRows - 1) / causalBlockRows
        let offset = keys - queries
        LensKernels.parallelChunks(items * blocks, work: items * queries * keys * work) { range in
            for t in range {
                let (item, block) = (t / blocks, t % blocks)
                let rows = (block * causalBlockRows)..<Swift.min(queries, (block + 1) * causalBlockRows)
                body(item, rows, Swift.min(keys, rows.upperBound + offset))
            }
        }
    }

    /// Attention-weighted values `z[b, i, h, d] = Σ_j pattern[b, h, i, j] · v[b, j, h, d]`.
    /// - Parameters:
    ///   - pattern: [batch, head, query_pos, key_pos]
    ///   - values: [batch, key_pos, kv_head, d_head]; grouped value heads (kv_head dividing
    ///     head) are read in place as in ``attentionScores(queries:keys:keyCount:divisor:causal:)``.
    ///     It may hold more positions than the pattern's keys (a key-value cache's buffer):
    ///     only the first key_pos are read, and then nothing may be differentiated.
    /// - Returns: [batch, query_pos, head, d_head] (TransformerLens's `hook_z` layout)
    ///   - causal: the pattern is zero wherever key position j > i (a causal softmax); the
    ///     product then skips those entries, about half the work. The gradient is unaffected.
    public static func attentionMix(pattern: Tensor, values v: Tensor, causal: Bool = false) -> Tensor {
        precondition(pattern.rank == 4 && v.rank == 4 && pattern.shape[0] == v.shape[0] && v.shape[2] > 0
                     && pattern.shape[1] % v.shape[2] == 0 && pattern.shape[3] <= v.shape[1],
                     "attentionMix: pattern \(pattern.shape) and values \(v.shape) do not match")
        let (batch, heads, p, kLen) = (pattern.shape[0], pattern.shape[1], pattern.shape[2], pattern.shape[3])
        let dh = v.shape[3], vRows = v.shape[1]
        let kvHeads = v.shape[2], group = heads / kvHeads
        precondition((group == 1 && kLen == vRows) || GradientTape.recording(pattern, v) == nil,
                     "attentionMix: expand grouped value heads \(v.shape) to \(heads) heads (and pass only the pattern's keys) before differentiating")
        let out = Tensor(uninitializedShape: [batch, p, heads, dh])
        if causal && p > causalBlockRows {
            causalBlocks(items: batch * heads, queries: p, keys: kLen, work: dh) { i, rows, visible in
                let (b, h) = (i / heads, i % heads)
                LensKernels.sgemm(m: rows.count, n: dh, k: visible, a: pattern.pointer + (i * p + rows.lowerBound) * kLen, lda: kLen,
                                  b: v.pointer + b * vRows * kvHeads * dh + (h / group) * dh, ldb: kvHeads * dh,
                                  c: out.pointer + (b * p + rows.lowerBound) * heads * dh + h * dh, ldc: heads * dh, threads: 1)
            }
        } else {
            LensKernels.sgemmBatched(count: batch * heads, m: p, n: dh, k: kLen, a: pattern.pointer, lda: kLen,
                                     b: v.pointer, ldb: kvHeads * dh, c: out.pointer, ldc: heads * dh) { i in
                let (b, h) = (i / heads, i % heads)
                return (i * p * kLen, b * vRows * kvHeads * dh + (h / group) * dh, b * p * heads * dh + h * dh)
            }
        }
        guard let tape = GradientTape.recording(pattern, v) else { return out }
        return tape.recorded(out, inputs: [pattern, v]) { g, needs in
            var dp: Tensor?, dv: Tensor?
            if needs[0] {
                let d = Tensor(uninitializedShape: pattern.shape)
                LensKernels.sgemmBatched(count: batch * heads, transB: true, m: p, n: kLen, k: dh, a: g.pointer,
                                         lda: heads * dh, b: v.pointer, ldb: heads * dh, c: d.pointer, ldc: kLen) { i in
                    let (b, h) = (i / heads, i % heads)
                    return (b * p * heads * dh + h * dh, b * kLen * heads * dh + h * dh, i * p * kLen)
                }
                dp = d
            }
            if needs[1] {
                let d = Tensor(uninitializedShape: v.shape)
                LensKernels.sgemmBatched(count: batch * heads, transA: true, m: kLen, n: dh, k: p, a: pattern.pointer,
                                         lda: kLen, b: g.pointer, ldb: heads * dh, c: d.pointer, ldc: heads * dh) { i in
                    let (b, h) = (i / heads, i % heads)
                    return (i * p * kLen, b * p * heads * dh + h * dh, b * kLen * heads * dh + h * dh)
                }
                dv = d
            }
            return [dp, dv]
        }
    }

    /// A separate matrix per head: `out[..., h, :] = self[..., h, :] · w[h]`.
    /// - Parameters:
    ///   - self: [..., head, d_in], e.g. `hook_z` [batch, pos, head, d_head]
    ///   - w: [head, d_in, d_out], e.g. `W_O` [head, d_head, d_model]
    /// - Returns: [..., head, d_out], e.g. `hook_result` [batch, pos, head, d_model]
    public func perHeadMatmul(_ w: Tensor) -> Tensor {
        precondition(rank >= 2 && w.rank == 3 && shape[rank - 2] == w.shape[0] && shape[rank - 1] == w.shape[1],
                     "perHeadMatmul: input \(shape) and weight \(w.shape) must be [..., head, d_in] and [head, d_in, d_out]")
        let x = self
        let (heads, dIn, dOut) = (w.shape[0], w.shape[1], w.shape[2])
        let rows = count / Swift.max(heads * dIn, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [dOut])
        LensKernels.sgemmBatched(count: heads, m: rows, n: dOut, k: dIn, a: x.pointer, lda: heads * dIn, b: w.pointer,
                                 ldb: dOut, c: out.pointer, ldc: heads * dOut) { h in (h * dIn, h * dIn * dOut, h * dOut) }
        guard let tape = GradientTape.recording(x, w) else { return out }
        return tape.recorded(out, inputs: [x, w]) { g, needs in
            var dx: Tensor?, dw: Tensor?
            if needs[0] {
                let d = Tensor(uninitializedShape: x.shape)
                LensKernels.sgemmBatched(count: heads, transB: true, m: rows, n: dIn, k: dOut, a: g.pointer, lda: heads * dOut,
                                         b: w.pointer, ldb: dOut, c: d.pointer, ldc: heads * dIn) { h in
                    (h * dOut, h * dIn * dOut, h * dIn)
                }
                dx = d
            }
            if needs[1] {
                let d = Tensor(uninitializedShape: w.shape)
                LensKernels.sgemmBatched(count: heads, transA: true, m: dIn, n: dOut, k: rows, a: x.pointer, lda: heads * dIn,
                                         b: g.pointer, ldb: heads * dOut, c: d.pointer, ldc: dOut) { h in
                    (h * dIn, h * dOut, h * dIn * dOut)
                }
                dw = d
            }
            return [dx, dw]
        }
    }
}

extension Tensor {
    /// Per-head projections `out[..., h, :] = self · w[h] + bias[h]`: queries, keys or values from
    /// the residual stream. One GEMM reads `w` in TransformerLens's layout in place (as the
    /// [d_model, head·d_head] matrix it is, through column groups), so nothing is permuted.
    /// - Parameters:
    ///   - self: [..., d_model]
    ///   - w: [head, d_model, d_head] (`W_Q`, `W_K`, `W_V`)
    ///   - bias: [head, d_head]
    /// - Returns: [..., head, d_head]
    public func projectedToHeads(_ w: Tensor, bias: Tensor) -> Tensor {
        precondition(rank >= 1 && w.rank == 3 && shape[rank - 1] == w.shape[1] && bias.shape == [w.shape[0], w.shape[2]],
                     "projectedToHeads: input \(shape), weight \(w.shape), bias \(bias.shape) must be [..., d], [h, d, k], [h, k]")
        let x = self
        let (heads, d, dh) = (w.shape[0], w.shape[1], w.shape[2])
        let rows = count / Swift.max(d, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [heads, dh])
        LensKernels.copyStrided(bias.pointer, shape: [rows, heads * dh], strides: [0, 1], out.pointer)
        LensKernels.sgemm(m: rows, n: heads * dh, k: d, a: x.pointer, lda: d, b: w.pointer, ldb: dh, beta: 1,
                          c: out.pointer, ldc: heads * dh, columnGroups: (dh, d * dh))
        guard let tape = GradientTape.recording(x, w, bias) else { return out }
        return tape.recorded(out, inputs: [x, w, bias]) { g, needs in
            var dx: Tensor?, dw: Tensor?
            if needs[0] {
                // dx = g · Wᵀ with W read in place as [d_model, head·d_head]: one GEMM.
                let t = Tensor(uninitializedShape: x.shape)
                LensKernels.sgemm(transB: true, m: rows, n: d, k: heads * dh, a: g.pointer, lda: heads * dh, b: w.pointer, ldb: dh,
                                  c: t.pointer, ldc: d, columnGroups: (dh, d * dh))
                dx = t
            }
            if needs[1] {
                // dW as [d_model, head·d_head] in one GEMM, then into W's [head, d_model, d_head].
                let flat = Tensor(uninitializedShape: [d, heads * dh])
                LensKernels.sgemm(transA: true, m: d, n: heads * dh, k: rows, a: x.pointer, lda: d, b: g.pointer, ldb: heads * dh,
                                  c: flat.pointer, ldc: heads * dh)
                dw = flat.reshaped(d, heads, dh).permuted(1, 0, 2)
            }
            return [dx, dw, needs[2] ? g.reshaped([rows, heads, dh]).sum(axis: 0) : nil]
        }
    }
}

/// A float pointer that may cross into a `@Sendable` worker closure (workers write disjoint parts).
struct SendableFloats: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
