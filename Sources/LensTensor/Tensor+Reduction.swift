import LensKernels

// Reductions over all elements or along axes. `keepDims` keeps reduced axes with extent 1 (so
// the result broadcasts against the input, e.g. `x - x.mean(axis: -1, keepDims: true)`).

extension Tensor {
    /// Splits the shape around `axis` into `[outer, n, inner]`.
    private func around(_ axis: Int) -> (outer: Int, n: Int, inner: Int) {
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    private func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
        var s = shape
        if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Sum of all elements (a scalar tensor).
    public func sum() -> Tensor {
        let out = Tensor(scalar: LensKernels.sum(pointer, count))
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in [g.expanded(to: source)] }
    }

    /// Sum along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = around(a)
        let out = Tensor(uninitializedShape: reducedShape(a, keepDims: keepDims))
        LensKernels.reduceAxis(.sum, pointer, outer: outer, n: n, inner: inner, out.pointer)
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape, kept = reducedShape(a, keepDims: true)
        return tape.recorded(out, inputs: [self]) { g, _ in [g.reshaped(kept).expanded(to: source)] }
    }

    /// Sum along several axes.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let sorted = Set(axes.map { normalizedAxis($0, rank: rank) }).sorted(by: >)
        var t = self
        for a in sorted { t = t.sum(axis: a, keepDims: true) }
        if keepDims { return t }
        var s = shape
        for a in sorted { s.remove(at: a) }
        return t.reshaped(s)
    }

    /// Mean of all elements.
    public func mean() -> Tensor { sum() / Float(Swift.max(count, 1)) }

    /// Mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        return sum(axis: a, keepDims: keepDims) / Float(shape[a])
    }

    /// Mean along several axes.
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = Set(axes.map { normalizedAxis($0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) / Float(n)
    }

    /// Variance along `axis`; `correction: 1` gives the unbiased (Bessel) estimate, PyTorch's
    /// default, `0` the population variance that layer norm uses.
    public func variance(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        let centered = self - mean(axis: a, keepDims: true)
        return centered.square().sum(axis: a, keepDims: keepDims) / Float(Swift.max(shape[a] - correction, 1))
    }

    /// Standard deviation along `axis` (see ``variance(axis:correction:keepDims:)``).
    public func standardDeviation(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        variance(axis: axis, correction: correction, keepDims: keepDims).sqrt()
    }

    /// Largest element (gradient to its first occurrence).
    public func max() -> Tensor { flattened().max(axis: 0) }
    /// Smallest element (gradient to its first occurrence).
    public func min() -> Tensor { flattened().min(axis: 0) }

    /// Largest element along `axis` (gradient to the first occurrence of the maximum).
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { extreme(.max, axis: axis, keepDims: keepDims) }
    /// Smallest element along `axis`.
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { extreme(.min, axis: axis, keepDims: keepDims) }

    private func extreme(_ kind: AxisReduction, axis: Int, keepDims: Bool) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = around(a)
        precondition(n > 0, "max/min along an empty axis (shape \(shape))")
        let out = Tensor(uninitializedShape: reducedShape(a, keepDims: keepDims))
        var indices = [Int](repeating: 0, count: outer * inner)
        indices.withUnsafeMutableBufferPointer { idx in
            LensKernels.reduceAxis(kind, pointer, outer: outer, n: n, inner: inner, out.pointer, indices: idx.baseAddress!)
        }
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in
            let dx = Tensor(shape: source, repeating: 0)
            for o in 0..<outer {
                for i in 0..<inner {
                    dx.pointer[(o * n + indices[o * inner + i]) * inner + i] = g.pointer[o * inner + i]
                }
            }
            return [dx]
        }
    }

    /// Index of the largest element along `axis` (first occurrence).
    public func argmax(axis: Int, keepDims: Bool = false) -> IntTensor { argExtreme(.max, axis: axis, keepDims: keepDims) }
    /// Index of the smallest element along `axis` (first occurrence).
    public func argmin(axis: Int, keepDims: Bool = false) -> IntTensor { argExtreme(.min, axis: axis, keepDims: keepDims) }
    /// Flat index of the largest element.
    public func argmax() -> Int { LensKernels.argmax(pointer, count) }

    private func argExtreme(_ kind: AxisReduction, axis: Int, keepDims: Bool) -> IntTensor {
        let a = normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = around(a)
        precondition(n > 0, "argmax/argmin along an empty axis (shape \(shape))")
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(outer * inner, 1))
        defer { scratch.deallocate() }
        var indices = [Int](repeating: 0, count: outer * inner)
        indices.withUnsafeMutableBufferPointer { idx in
            LensKernels.reduceAxis(kind, pointer, outer: outer, n: n, inner: inner, scratch, indices: idx.baseAddress!)
        }
        return IntTensor(shape: reducedShape(a, keepDims: keepDims), values: indices)
    }

    /// The Frobenius (L2) norm of all elements.
    public func norm() -> Tensor { square().sum().sqrt() }
}
