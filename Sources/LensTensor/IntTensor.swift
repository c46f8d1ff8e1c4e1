import LensKernels

/// An n-dimensional array of integers: token ids (`[batch, pos]`), targets, argmax results.
///
/// A plain value type over `[Int]`; token tensors are small next to activations, so it needs no
/// kernels. It has no gradients.
public struct IntTensor: Equatable, Hashable, Sendable {
    /// The extent of each axis.
    public private(set) var shape: [Int]
    /// The elements in row-major order.
    public private(set) var scalars: [Int]

    /// A tensor of `shape` holding `values` in row-major order.
    public init(shape: [Int], values: [Int]) {
        precondition(values.count == shapeCount(checkedShape(shape)),
                     "IntTensor(shape: \(shape)) needs \(shapeCount(shape)) values, got \(values.count)")
        self.shape = shape
        self.scalars = values
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Int) {
        self.init(shape: shape, values: Array(repeating: value, count: shapeCount(checkedShape(shape))))
    }

    /// A 1-D tensor.
    public init(_ values: [Int]) { self.init(shape: [values.count], values: values) }

    /// A 2-D tensor from rows of equal length (e.g. a batch of token sequences).
    public init(_ rows: [[Int]]) {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols }, "IntTensor rows must have equal lengths")
        self.init(shape: [rows.count, cols], values: rows.flatMap { $0 })
    }

    /// Number of axes.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { scalars.count }

    /// The element at a full index (negative indices count from the end).
    public subscript(_ index: Int...) -> Int {
        get { scalars[flatIndex(index)] }
        set { scalars[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int { rowMajorOffset(index, shape: shape) }

    /// The selected elements, with the same subscript language as `Tensor`
    /// (`tokens[.all, 1...]`).
    public func selecting(_ indices: [TensorIndex]) -> IntTensor {
        let sel = ResolvedSelection(indices, shape: shape)
        if !sel.lists.isEmpty {
            return IntTensor(shape: sel.shape, values: sel.elementOffsets().map { scalars[sel.offset + $0] })
        }
        var out = [Int]()
        out.reserveCapacity(shapeCount(sel.shape))
        let dims = coalesce(shape: sel.shape, strides: [sel.strides, contiguousStrides(sel.shape)])
        let n = dims.shape.last ?? 1
        let step = dims.strides[0].last ?? 0
        if shapeCount(sel.shape) > 0 {
            if dims.shape.isEmpty {
                out.append(scalars[sel.offset])
            } else {
                forEachRow(dims) { offsets in
                    for i in 0..<n { out.append(scalars[sel.offset + offsets[0] + i * step]) }
                }
            }
        }
        return IntTensor(shape: sel.shape, values: out)
    }

    /// Row/slice selection: `tokens[0]`, `tokens[.all, 5...]`.
    public subscript(_ indices: any TensorIndexConvertible...) -> IntTensor {
        selecting(indices.map(\.tensorIndex))
    }

    /// The same elements with a new shape (one extent may be −1).
    public func reshaped(_ newShape: [Int]) -> IntTensor {
        IntTensor(shape: resolvedShape(newShape, count: count), values: scalars)
    }

    /// Concatenation along `axis` (all other extents equal).
    public static func concatenate(_ parts: [IntTensor], axis: Int = 0) -> IntTensor {
        let plan = ConcatenationPlan(parts.map(\.shape), axis: axis)
        var out = [Int]()
        out.reserveCapacity(shapeCount(plan.shape))
        for o in 0..<plan.outer {
            for (part, chunk) in zip(parts, plan.chunks) {
                out += part.scalars[(o * chunk)..<((o + 1) * chunk)]
            }
        }
        return IntTensor(shape: plan.shape, values: out)
    }

    /// The values as floats.
    public var asTensor: Tensor { Tensor(shape: shape, values: scalars.map(Float.init)) }

    /// Smallest and largest element (nil when empty).
    public var range: ClosedRange<Int>? {
        guard let lo = scalars.min(), let hi = scalars.max() else { return nil }
        return lo...hi
    }
}

extension IntTensor: CustomStringConvertible {
    public var description: String {
        "IntTensor(" + formatNested(shape: shape, count: count, indent: 10) { i in String(scalars[i]) } + ", shape: \(shape))"
    }
}
