/// A parameter as ``HookedTransformer``'s parameter visitor hands it out: its shape, read
/// without touching its data (a packed weight is not unpacked to list names or count
/// parameters), and its value in TransformerLens's layout, which may be replaced (same shape).
struct ParameterSlot {
    private enum Storage {
        case tensor(Tensor)
        case weight(Weight)
    }

    private var storage: Storage

    init(_ tensor: Tensor) { storage = .tensor(tensor) }
    init(_ weight: Weight) { storage = .weight(weight) }

    var shape: [Int] {
        switch storage {
        case .tensor(let t): t.shape
        case .weight(let w): w.shape
        }
    }

    var count: Int { shape.reduce(1, *) }

    /// The value in TransformerLens's layout; setting it keeps a weight's layout.
    var value: Tensor {
        get {
            switch storage {
            case .tensor(let t): t
            case .weight(let w): w.tensor
            }
        }
        set {
            switch storage {
            case .tensor: storage = .tensor(newValue)
            case .weight(var w):
                w.tensor = newValue
                storage = .weight(w)
            }
        }
    }

    var tensor: Tensor? { if case .tensor(let t) = storage { t } else { nil } }
    var weight: Weight? { if case .weight(let w) = storage { w } else { nil } }
}

/// The visitor components call for each parameter: its TransformerLens name, its kind, and
/// the slot to read or replace.
typealias ParameterVisitor = (String, ParameterKind, inout ParameterSlot) throws -> Void

/// Visits a tensor parameter in place.
func visit(_ name: String, _ kind: ParameterKind, _ tensor: inout Tensor, _ body: ParameterVisitor) rethrows {
    var slot = ParameterSlot(tensor)
    try body(name, kind, &slot)
    tensor = slot.tensor!
}

/// Visits an optional tensor parameter in place (nothing if absent).
func visit(_ name: String, _ kind: ParameterKind, _ tensor: inout Tensor?, _ body: ParameterVisitor) rethrows {
    guard let t = tensor else { return }
    var slot = ParameterSlot(t)
    try body(name, kind, &slot)
    tensor = slot.tensor!
}

/// Visits a weight parameter in place.
func visit(_ name: String, _ weight: inout Weight, _ body: ParameterVisitor) rethrows {
    var slot = ParameterSlot(weight)
    try body(name, .weight, &slot)
    weight = slot.weight!
}
