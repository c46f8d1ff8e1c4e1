/// Where a component gets each parameter as it is built: its TransformerLens name, kind and
/// shape → the tensor. Loading hands out checked file data, random initialisation draws, an
/// empty model zeros; each parameter is made once, at its final place.
///
/// A loader may also hand out weight matrices already in a resident form of their own (a GGUF
/// file's quantised blocks): components ask for their matrices with ``weight(_:_:layout:)``,
/// which takes such a prepared ``Weight`` when there is one and builds a plain one otherwise.
struct ParameterSource {
    /// name, kind, shape → the tensor.
    let tensor: (String, ParameterKind, [Int]) throws -> Tensor
    /// name → a weight prepared in its resident form (nil: build it from ``tensor``).
    var prepared: (String) -> Weight? = { _ in nil }

    init(_ tensor: @escaping (String, ParameterKind, [Int]) throws -> Tensor) {
        self.tensor = tensor
    }

    /// The tensor of parameter `name`.
    func callAsFunction(_ name: String, _ kind: ParameterKind, _ shape: [Int]) throws -> Tensor {
        try tensor(name, kind, shape)
    }

    /// The weight matrix `name` of TransformerLens shape `shape`, read as `layout`.
    func weight(_ name: String, _ shape: [Int], layout: Weight.Layout = .matrix) throws -> Weight {
        if let weight = prepared(name) {
            guard weight.shape == shape, weight.layout == layout else {
                throw ModelError.parameterShape(name, expected: shape, found: weight.shape)
            }
            return weight
        }
        return Weight(try tensor(name, .weight, shape), layout: layout)
    }
}
