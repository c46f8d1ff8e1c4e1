/// The hook point a patching grid touches in each layer and, for each grid axis after the
/// layer, the activation axis it indexes — read from the layouts the points declare. Shared by
/// activation and attribution patching.
struct PatchGrid {
    /// The patched point of each layer.
    let names: [HookName]
    /// Their layouts (one per layer).
    let layouts: [ActivationLayout]
    /// The activation axis each grid axis after `.layer` indexes, in grid order.
    let activationAxes: [Int]

    /// - Throws: ``PatchingError/axes(_:activation:)`` unless `axes` starts with `.layer`, does
    ///   not repeat, and each exists for the activation; ``HookError`` for a point this model lacks.
    init(_ model: HookedTransformer, activation: (Int) -> HookName, axes: [PatchAxis]) throws {
        let label = activation(0).activation
        guard axes.first == .layer, Set(axes).count == axes.count else {
            throw PatchingError.axes(axes.map(\.rawValue), activation: label)
        }
        let table = model.hookPointTable
        names = (0..<model.config.nLayers).map(activation)
        layouts = try names.map { name in
            guard let layout = table.layouts[name] else {
                throw HookError.unknownHookPoint(name, suggestions: HookRunner.suggestions(for: name, in: table.names))
            }
            return layout
        }
        guard let first = layouts.first else { throw PatchingError.axes(axes.map(\.rawValue), activation: label) }
        activationAxes = try axes.dropFirst().map { axis in
            guard let index = axis.axis(in: first) else { throw PatchingError.axes(axes.map(\.rawValue), activation: label) }
            return index
        }
    }
}
