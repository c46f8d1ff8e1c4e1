extension HookedTransformer {
    /// Replaces several parameters at once (TransformerLens names; shapes must match).
    public func updateParameters(_ values: [String: Tensor]) throws {
        var seen = 0
        try visitParameters { name, _, slot in
            guard let value = values[name] else { return }
            guard value.shape == slot.shape else { throw ModelError.parameterShape(name, expected: slot.shape, found: value.shape) }
            slot.value = value
            seen += 1
        }
        if seen != values.count, let unknown = values.keys.sorted().first(where: { !parameterNames.contains($0) }) {
            throw ModelError.unknownParameter(unknown, available: parameterNames)
        }
    }
}
