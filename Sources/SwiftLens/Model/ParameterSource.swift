/// Where a component gets each parameter as it is built: its TransformerLens name, kind and
/// shape → the tensor. Loading hands out checked file data, random initialisation draws, an
/// empty model zeros; each parameter is made once, at its final place.
typealias ParameterSource = (String, ParameterKind, [Int]) throws -> Tensor
