import LensKernels

/// A weight matrix packed once into the GEMM's panel layout, for products with few rows: at
/// 128 tokens, re-packing each weight on every call is ~10% of a forward pass. Costs one extra
/// copy of the weight's memory. Used by `matmul(_:bias:packed:)` and
/// `projectedToHeads(_:bias:packed:)` when the input is not being differentiated.
public final class PackedWeight: @unchecked Sendable {
    /// The weight this was packed from (kept alive: the packed form refers to it).
    public let source: Tensor
    let matrix: PackedMatrix

    /// Packs a [k, n] matrix.
    public init(matrix w: Tensor) {
        precondition(w.rank == 2, "PackedWeight(matrix:) needs a [k, n] tensor, got \(w.shape)")
        source = w.detached
        matrix = PackedMatrix(b: source.pointer, ldb: w.shape[1], k: w.shape[0], n: w.shape[1])
    }

    /// Packs per-head weights [head, d_model, d_head] as the [d_model, head·d_head] matrix.
    public init(heads w: Tensor) {
        precondition(w.rank == 3, "PackedWeight(heads:) needs a [head, d_model, d_head] tensor, got \(w.shape)")
        source = w.detached
        let (h, d, dh) = (w.shape[0], w.shape[1], w.shape[2])
        matrix = PackedMatrix(b: source.pointer, ldb: dh, k: d, n: h * dh, columnGroups: (dh, d * dh))
    }

    /// Bytes of the packed copy.
    public var byteCount: Int { matrix.byteCount }

    /// Whether this packs exactly `w`'s current buffer.
    func packs(_ w: Tensor) -> Bool { w.storageIdentity == source.storageIdentity }
}

extension Tensor {
    /// ``matmul(_:bias:)`` using `packed` (a packing of `weight`) when nothing is differentiated.
    public func matmul(_ weight: Tensor, bias: Tensor, packed: PackedWeight?) -> Tensor {
        guard let packed, packed.packs(weight), !isTracked, !weight.isTracked, !bias.isTracked else {
            return matmul(weight, bias: bias)
        }
        let (k, n) = (weight.shape[0], weight.shape[1])
        precondition(shape.last == k && bias.shape == [n], "matmul(_:bias:packed:): \(shape) · \(weight.shape) + \(bias.shape)")
        let rows = count / Swift.max(k, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [n])
        LensKernels.copyStrided(bias.pointer, shape: [rows, n], strides: [0, 1], out.pointer)
        LensKernels.sgemm(m: rows, a: pointer, lda: k, packed: packed.matrix, beta: 1, c: out.pointer, ldc: n)
        return out
    }

    /// ``projectedToHeads(_:bias:)`` using `packed` (a packing of `w`) when nothing is
    /// differentiated.
    public func projectedToHeads(_ w: Tensor, bias: Tensor, packed: PackedWeight?) -> Tensor {
        guard let packed, packed.packs(w), !isTracked, !w.isTracked, !bias.isTracked else {
            return projectedToHeads(w, bias: bias)
        }
        let (heads, d, dh) = (w.shape[0], w.shape[1], w.shape[2])
        precondition(shape.last == d && bias.shape == [heads, dh], "projectedToHeads(packed:): \(shape), \(w.shape), \(bias.shape)")
        let rows = count / Swift.max(d, 1)
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [heads, dh])
        LensKernels.copyStrided(bias.pointer, shape: [rows, heads * dh], strides: [0, 1], out.pointer)
        LensKernels.sgemm(m: rows, a: pointer, lda: d, packed: packed.matrix, beta: 1, c: out.pointer, ldc: heads * dh)
        return out
    }
}
