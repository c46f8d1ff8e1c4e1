import LensKernels

// Reshaping (free: shares storage) and axis permutation (a copy: storage is always contiguous).

/// `axis` resolved against `rank`, Python style (−1 is the last axis).
@inline(__always)
func normalizedAxis(_ axis: Int, rank: Int, _ function: String = #function) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "\(function): axis \(axis) out of range for rank \(rank)")
    return a
}

extension Tensor {
    /// The same elements with a new shape; one extent may be −1 (inferred). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let target = resolvedShape(newShape, count: count)
        if target == shape { return self }
        let out = sharingStorage(shape: target)
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in [g.reshaped(source)] }
    }

    /// Variadic form of ``reshaped(_:)``.
    public func reshaped(_ newShape: Int...) -> Tensor { reshaped(newShape) }

    /// Merges axes `startAxis...endAxis` into one.
    public func flattened(from startAxis: Int = 0, through endAxis: Int = -1) -> Tensor {
        if rank == 0 { return reshaped([1]) }
        let s = normalizedAxis(startAxis, rank: rank), e = normalizedAxis(endAxis, rank: rank)
        precondition(s <= e, "flattened(from: \(startAxis), through: \(endAxis)) on shape \(shape)")
        let merged = shape[s...e].reduce(1, *)
        return reshaped(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Removes an axis of extent 1 (every such axis when `axis` is nil).
    public func squeezed(axis: Int? = nil) -> Tensor {
        if let axis {
            let a = normalizedAxis(axis, rank: rank)
            precondition(shape[a] == 1, "squeezed(axis: \(axis)): extent is \(shape[a]), not 1, in shape \(shape)")
            var s = shape
            s.remove(at: a)
            return reshaped(s)
        }
        return reshaped(shape.filter { $0 != 1 })
    }

    /// Inserts an axis of extent 1 at `axis` (−1 appends).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = normalizedAxis(axis, rank: rank + 1)
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// The axes reordered: output axis i is input axis `axes[i]`. Copies (unless the order is
    /// unchanged).
    public func permuted(_ axes: [Int]) -> Tensor {
        let perm = axes.map { normalizedAxis($0, rank: rank) }
        precondition(perm.count == rank && Set(perm).count == rank, "permuted(\(axes)) is not a permutation of \(rank) axes")
        if perm == Array(0..<rank) { return self }
        let newShape = perm.map { shape[$0] }
        let own = contiguousStrides(shape)
        let out = Tensor(uninitializedShape: newShape)
        LensKernels.copyStrided(pointer, shape: newShape, strides: perm.map { own[$0] }, out.pointer)
        guard let tape = GradientTape.recording(self) else { return out }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return tape.recorded(out, inputs: [self]) { g, _ in [g.permuted(inverse)] }
    }

    /// Variadic form of ``permuted(_:)``.
    public func permuted(_ axes: Int...) -> Tensor { permuted(axes) }

    /// Two axes swapped (by default the last two: the matrix transpose).
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) -> Tensor {
        var perm = Array(0..<rank)
        perm.swapAt(normalizedAxis(axis0, rank: rank), normalizedAxis(axis1, rank: rank))
        return permuted(perm)
    }

    /// Each slice along `axis` repeated `times` times in place (PyTorch `repeat_interleave`),
    /// e.g. expanding grouped-query key heads to every query head.
    public func repeatedInterleave(_ times: Int, axis: Int) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        precondition(times >= 1, "repeatedInterleave needs times ≥ 1, got \(times)")
        if times == 1 { return self }
        var withAxis = shape
        withAxis.insert(1, at: a + 1)
        var target = withAxis
        target[a + 1] = times
        var merged = shape
        merged[a] *= times
        return reshaped(withAxis).expanded(to: target).reshaped(merged)
    }
}
