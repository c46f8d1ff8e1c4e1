import LensKernels

/// How tensors concatenate along an axis: for each of `outer` leading blocks, part i contributes
/// a contiguous chunk of `chunks[i]` elements.
struct ConcatenationPlan {
    let shape: [Int]
    let axis: Int
    let outer: Int
    let chunks: [Int]

    init(_ shapes: [[Int]], axis: Int) {
        precondition(!shapes.isEmpty, "concatenate needs at least one tensor")
        let rank = shapes[0].count
        precondition(rank > 0, "cannot concatenate scalars; stack them instead")
        let a = normalizedAxis(axis, rank: rank, "concatenate")
        for s in shapes {
            precondition(s.count == rank && (0..<rank).allSatisfy { $0 == a || s[$0] == shapes[0][$0] },
                         "concatenate along axis \(axis): shapes \(shapes) differ off that axis")
        }
        var shape = shapes[0]
        shape[a] = shapes.reduce(0) { $0 + $1[a] }
        self.shape = shape
        self.axis = a
        outer = shapes[0][..<a].reduce(1, *)
        let inner = shapes[0][(a + 1)...].reduce(1, *)
        chunks = shapes.map { $0[a] * inner }
    }
}

extension Tensor {
    /// `tensors` joined along an existing `axis`.
    public static func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        let plan = ConcatenationPlan(tensors.map(\.shape), axis: axis)
        let out = Tensor(uninitializedShape: plan.shape)
        let total = plan.chunks.reduce(0, +)
        for o in 0..<plan.outer {
            var dst = out.pointer + o * total
            for (t, chunk) in zip(tensors, plan.chunks) {
                dst.update(from: t.pointer + o * chunk, count: chunk)
                dst += chunk
            }
        }
        guard let tape = tensors.lazy.compactMap({ t in t.link?.tape }).first(where: { $0.isRecording }) else { return out }
        let extents = tensors.map { $0.shape[plan.axis] }
        return tape.recorded(out, inputs: tensors) { g, needs in
            var start = 0
            return extents.enumerated().map { i, e in
                defer { start += e }
                guard needs[i] else { return nil }
                var idx = [TensorIndex](repeating: .all, count: plan.shape.count)
                idx[plan.axis] = .stride(start, start + e)
                return g.selecting(idx)
            }
        }
    }

    /// `tensors` (all of one shape) stacked along a new `axis`.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack needs at least one tensor")
        let shape = tensors[0].shape
        precondition(tensors.allSatisfy { $0.shape == shape }, "stack: shapes differ: \(tensors.map(\.shape))")
        let a = normalizedAxis(axis, rank: shape.count + 1, "stack")
        return concatenate(tensors.map { $0.unsqueezed(axis: a) }, axis: a)
    }

    /// Splits along `axis` into pieces of the given extents (which must add up to the axis).
    public func split(_ sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = normalizedAxis(axis, rank: rank)
        precondition(sizes.reduce(0, +) == shape[a], "split sizes \(sizes) do not add up to \(shape[a]) (shape \(shape))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            var idx = [TensorIndex](repeating: .all, count: rank)
            idx[a] = .stride(start, start + size)
            return selecting(idx)
        }
    }

    /// Splits along `axis` into `parts` equal pieces.
    public func chunked(_ parts: Int, axis: Int = 0) -> [Tensor] {
        let a = normalizedAxis(axis, rank: rank)
        precondition(parts > 0 && shape[a] % parts == 0, "cannot split extent \(shape[a]) into \(parts) equal parts")
        return split(Array(repeating: shape[a] / parts, count: parts), axis: a)
    }
}
