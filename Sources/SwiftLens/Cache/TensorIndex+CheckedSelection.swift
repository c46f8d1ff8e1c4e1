// The cache analyses take TransformerLens's `pos_slice` and `neuron_slice` as a `TensorIndex`
// (`-1`, `.stride(0, 61)`, `[3, 17]`). Those indices come from the caller, so an index outside
// the axis throws a `CacheAnalysisError` here instead of trapping in the tensor subscript.

extension TensorIndex {
    /// The positions selected along an axis of `extent` elements, in order.
    /// - Throws: ``CacheAnalysisError/invalidArgument(_:)`` for an index outside the axis, a step
    ///   ≤ 0, or `.newAxis` / `.ellipsis` (which select nothing along one axis).
    func checkedIndices(extent n: Int) throws -> [Int] {
        guard let indices = resolved(extent: n) else {
            throw CacheAnalysisError.invalidArgument(
                "the selection does not fit an axis of \(n) elements: indices must lie in \(-n)..<\(n), steps must be positive, "
                    + "and .newAxis or .ellipsis select nothing along one axis")
        }
        return indices
    }

    /// `tensor` with this index applied along `axis` (negative counts from the end).
    /// - Throws: ``CacheAnalysisError`` for an axis the tensor lacks or a selection that does not
    ///   fit it (see ``checkedIndices(extent:)``).
    func apply(_ tensor: Tensor, axis: Int) throws -> Tensor {
        let a = axis < 0 ? axis + tensor.rank : axis
        guard a >= 0 && a < tensor.rank else {
            throw CacheAnalysisError.shapeMismatch("a selection along axis \(axis)", expected: "a tensor with that axis",
                                                   found: tensor.shape)
        }
        _ = try checkedIndices(extent: tensor.shape[a])
        if self == .all { return tensor }
        var index = [TensorIndex](repeating: .all, count: tensor.rank)
        index[a] = self
        return tensor.selecting(index)
    }
}
