/// Attribution patching (Nanda 2023; Syed et al. 2023): the first-order estimate of every
/// activation-patching cell from one forward and one backward pass on the corrupted input,
///
///     patch(cell) − metric(corrupted) ≈ Σ_cell (clean − corrupted) · ∂metric/∂activation,
///
/// the gradient taken at the corrupted run and the sum over the cell's slice (and the batch).
/// It is exact where the metric is linear in the activation (e.g. a logit difference and the
/// last layer's outputs of a model without a final norm) and a ranking heuristic elsewhere;
/// its cost does not grow with the number of cells.
///
/// ```swift
/// let estimate = try AttributionPatching.patch(model, corrupted: corrupted, clean: cleanCache,
///                                              activation: HookName.z, axes: [.layer, .pos, .head]) { logits in
///     logits[0, -1, a] - logits[0, -1, b]
/// }   // ≈ ActivationPatching.headOut(byPosition: true, …) − corrupted metric
/// ```
public enum AttributionPatching {
    /// The estimated change of the metric for each cell of the grid `axes` (as in
    /// ``ActivationPatching/sweep(_:corrupted:clean:metric:activation:axes:)``), and the
    /// metric's value on the corrupted input.
    ///
    /// - Parameters:
    ///   - metric: a scalar built from tensor operations on the logits [batch, pos, d_vocab]
    ///     (it is differentiated).
    public static func estimate(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                                activation: (Int) -> HookName, axes: [PatchAxis],
                                metric: (Tensor) throws -> Tensor) throws -> (grid: Tensor, corruptedMetric: Float) {
        let patchGrid = try PatchGrid(model, activation: activation, axes: axes)
        let names = patchGrid.names
        let (value, cache) = try model.runWithGradientCache(corrupted, names: .only(names), metric: metric)
        var layers: [Tensor] = []
        for name in names {
            let corruptedValue = try cache.tensor(name)
            guard let cleanValue = clean[name] else { throw CacheError.missing(name, available: clean.names) }
            guard cleanValue.shape == corruptedValue.shape else {
                throw ModelError.tokensShapeMismatch(purpose: "clean and corrupted", expected: corruptedValue.shape, found: cleanValue.shape)
            }
            guard let gradient = cache.gradient(name) else { throw CacheError.missing(HookName(name.rawValue + "_grad"), available: cache.names) }
            // Σ over everything but the grid's axes, which are then put in the grid's order.
            let product = (cleanValue - corruptedValue) * gradient
            let kept = patchGrid.activationAxes
            let summed = (0..<product.rank).filter { !kept.contains($0) }
            var reduced = summed.isEmpty ? product : product.sum(axes: summed)
            let order = kept.sorted()
            if order != kept { reduced = reduced.permuted(kept.map { order.firstIndex(of: $0)! }) }
            layers.append(reduced)
        }
        return (Tensor.stack(layers, axis: 0), value)
    }

    /// The estimated patched metric per cell: ``estimate(_:corrupted:clean:activation:axes:metric:)``'s
    /// change plus the corrupted metric — directly comparable with activation patching's grid.
    public static func patch(_ model: HookedTransformer, corrupted: IntTensor, clean: ActivationCache,
                             activation: (Int) -> HookName, axes: [PatchAxis], metric: (Tensor) throws -> Tensor) throws -> Tensor {
        let (grid, base) = try estimate(model, corrupted: corrupted, clean: clean, activation: activation, axes: axes, metric: metric)
        return grid + base
    }
}
