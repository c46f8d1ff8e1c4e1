/// A selection along one axis, TransformerLens's `Slice` (`utilities/slice.py`): everything, one
/// index (drops the axis), a range with a step (keeps it), or a list of indices (keeps it).
/// The cache analyses take one for positions (`pos_slice`) and neurons (`neuron_slice`).
///
/// ```swift
/// cache.accumulatedResid(positions: -1)             // last position, axis dropped
/// cache.accumulatedResid(positions: .range(0..<61)) // TL's pos_slice=(0, 61)
/// cache.neuronResults(layer: 0, neurons: [3, 17])   // two neurons
/// ```
/// Unlike a tensor subscript, an out-of-range index throws instead of trapping.
public enum AxisSlice: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    /// Every element (TL's `Slice(None)`).
    case all
    /// One element, negative counting from the end; the axis is dropped (TL's `Slice(int)`).
    case at(Int)
    /// `start..<end` by `step` (> 0); nil or out-of-range bounds clamp as in Python; negative
    /// bounds count from the end (TL's `Slice((start, stop, step))`).
    case stride(start: Int?, end: Int?, step: Int)
    /// These elements, in this order (TL's `Slice([i, j, …])`).
    case indices([Int])

    public init(integerLiteral value: Int) { self = .at(value) }
    public init(arrayLiteral elements: Int...) { self = .indices(elements) }

    /// `range` with step 1.
    public static func range(_ range: Range<Int>) -> AxisSlice { .stride(start: range.lowerBound, end: range.upperBound, step: 1) }

    /// Whether applying the slice removes the axis.
    public var dropsAxis: Bool { if case .at = self { return true } else { return false } }

    /// The selected indices of an axis of `extent` elements, in order.
    /// - Throws: ``CacheAnalysisError/invalidArgument(_:)`` for an index outside the axis or a
    ///   step ≤ 0.
    public func indices(extent n: Int) throws -> [Int] {
        switch self {
        case .all:
            return Array(0..<n)
        case let .at(i):
            return [try Self.resolve(i, extent: n)]
        case let .stride(start, end, step):
            guard step > 0 else { throw CacheAnalysisError.invalidArgument("a slice step must be positive; found \(step)") }
            func clamp(_ b: Int?, _ fallback: Int) -> Int {
                guard let b else { return fallback }
                return min(max(b < 0 ? b + n : b, 0), n)
            }
            let lo = clamp(start, 0), hi = clamp(end, n)
            return lo < hi ? Array(Swift.stride(from: lo, to: hi, by: step)) : []
        case let .indices(list):
            return try list.map { try Self.resolve($0, extent: n) }
        }
    }

    /// `tensor` with the slice applied along `axis` (negative counts from the end).
    /// - Throws: ``CacheAnalysisError`` for an axis the tensor lacks or an index outside it.
    public func apply(_ tensor: Tensor, axis: Int) throws -> Tensor {
        if case .all = self { return tensor }
        let a = axis < 0 ? axis + tensor.rank : axis
        guard a >= 0 && a < tensor.rank else {
            throw CacheAnalysisError.shapeMismatch("a slice along axis \(axis)", expected: "a tensor with that axis",
                                                   found: tensor.shape)
        }
        let selected = try indices(extent: tensor.shape[a])
        var index = [TensorIndex](repeating: .all, count: tensor.rank)
        if selected.isEmpty {
            index[a] = .stride(0, 0)
            return tensor.selecting(index)
        }
        switch self {
        case .at:
            index[a] = .at(selected[0])
            return tensor.selecting(index)
        case let .stride(_, _, step):
            index[a] = .stride(selected[0], selected[selected.count - 1] + 1, step)
            return tensor.selecting(index)
        default:
            return tensor.indexSelect(IntTensor(selected), axis: a)
        }
    }

    private static func resolve(_ i: Int, extent n: Int) throws -> Int {
        let j = i < 0 ? i + n : i
        guard j >= 0 && j < n else {
            throw CacheAnalysisError.invalidArgument("index \(i) is outside an axis of \(n) elements (valid: \(-n)..<\(n))")
        }
        return j
    }
}
