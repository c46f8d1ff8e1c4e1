import LensKernels

/// An n-dimensional array of `Float`: a value type with copy-on-write storage, contiguous and
/// row-major, the unit every SwiftLens activation, weight and gradient is made of.
///
/// Shapes follow TransformerLens's conventions (`[batch, pos, d_model]`, `[batch, head, query,
/// key]` …). Copies are cheap until one of them is mutated. Operations that can take part in a
/// gradient computation record themselves when one of their inputs is watched by a recording
/// ``GradientTape``; otherwise they record nothing.
///
/// Shape misuse (adding tensors whose shapes do not broadcast, reshaping to a different element
/// count, an index out of range) is a programming error and traps with a message that names the
/// shapes, as `Array` does for an index out of range. Input that comes from outside the program
/// (files, token ids, configs, hook results) is validated by the layers that read it, which throw.
public struct Tensor: @unchecked Sendable {
    /// The extent of each axis; `[]` for a scalar.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage
    /// Membership in a gradient tape, if this value is being tracked.
    var link: GradientLink?

    /// A tensor of `shape` whose elements are uninitialised (callers overwrite every element).
    @usableFromInline init(uninitializedShape shape: [Int]) {
        self.shape = shape
        self.storage = TensorStorage(count: shapeCount(shape))
        self.link = nil
    }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
        self.link = nil
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(uninitializedShape: checkedShape(shape))
        storage.pointer.update(repeating: value, count: storage.count)
    }

    /// A tensor of `shape` holding `values` in row-major order.
    /// - Precondition: `values.count` equals the product of `shape`.
    public init(shape: [Int], values: [Float]) {
        let count = shapeCount(checkedShape(shape))
        precondition(values.count == count, "Tensor(shape: \(shape)) needs \(count) values, got \(values.count)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) }
    }

    /// A tensor of `shape` whose elements `body` writes, in row-major order, straight into the
    /// new storage (every element must be written).
    public init(shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        self.init(uninitializedShape: checkedShape(shape))
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// A 1-D tensor.
    public init(_ values: [Float]) {
        self.init(shape: [values.count], values: values)
    }

    /// A 2-D tensor from rows of equal length.
    public init(_ rows: [[Float]]) {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols }, "Tensor rows must have equal lengths")
        self.init(shape: [rows.count, cols], values: rows.flatMap { $0 })
    }

    /// A 3-D tensor from nested arrays of equal lengths.
    public init(_ blocks: [[[Float]]]) {
        let rows = blocks.first?.count ?? 0, cols = blocks.first?.first?.count ?? 0
        precondition(blocks.allSatisfy { $0.count == rows && $0.allSatisfy { $0.count == cols } },
                     "Tensor blocks must have equal shapes")
        self.init(shape: [blocks.count, rows, cols], values: blocks.flatMap { $0.flatMap { $0 } })
    }

    /// A 0-dimensional tensor holding one value.
    public init(scalar value: Float) {
        self.init(shape: [], repeating: value)
    }

    /// Number of axes.
    public var rank: Int { shape.count }

    /// Number of elements (1 for a scalar).
    public var count: Int { storage.count }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The rows of a matrix as arrays, [[Float]] (a [n_layers, n_heads] score grid for a figure
    /// or JSON, for instance).
    public var rowScalars: [[Float]] {
        precondition(rank == 2, "rowScalars needs a matrix, shape is \(shape)")
        let columns = shape[1]
        return (0..<shape[0]).map { Array(UnsafeBufferPointer(start: storage.pointer + $0 * columns, count: columns)) }
    }

    /// The single element of a one-element tensor (any shape with one element).
    public var scalar: Float {
        precondition(count == 1, "scalar needs a tensor with one element, shape is \(shape)")
        return storage.pointer[0]
    }

    /// The element at a full index (negative indices count from the end).
    public func element(at index: [Int]) -> Float {
        storage.pointer[flatIndex(index)]
    }

    /// Replaces the element at a full index. Drops gradient tracking (an in-place edit is not
    /// differentiable).
    public mutating func setElement(_ value: Float, at index: [Int]) {
        let i = flatIndex(index)
        makeUnique()
        link = nil
        storage.pointer[i] = value
    }

    func flatIndex(_ index: [Int]) -> Int { rowMajorOffset(index, shape: shape) }

    /// Read access to the elements in row-major order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Write access to the elements in row-major order. Copies first if the storage is shared,
    /// and drops gradient tracking (an in-place edit is not differentiable).
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        makeUnique()
        link = nil
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Ensures this value owns its storage (copy-on-write).
    @usableFromInline mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
    }

    /// The same values without gradient tracking.
    public var detached: Tensor {
        var t = self
        t.link = nil
        return t
    }

    /// Identity of the underlying buffer: equal for copies that share storage (until one of them
    /// is written to). Lets callers cache values derived from a tensor.
    public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// Whether this value is tracked by a gradient tape that is recording now.
    public var isTracked: Bool { link?.tape?.isRecording == true }

    /// Whether every element is zero: a scan, so that a zero bias (LLaMA's `b_in`, `b_U` …) can
    /// skip a pass that would add nothing.
    public var isAllZeros: Bool { withUnsafeBufferPointer { values in values.allSatisfy { $0 == 0 } } }

    /// Pointer for kernels; valid while `self` is alive and unmodified.
    @usableFromInline var pointer: UnsafeMutablePointer<Float> { storage.pointer }

    /// Same storage, new shape (element counts must match; no copy).
    func sharingStorage(shape newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }
}

/// Contiguous, 64-byte-aligned float storage shared between copies of a `Tensor`.
@usableFromInline
final class TensorStorage {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int
    private let capacity: Int
    /// Set for a buffer that will not be needed again at its size (a weight's plain copy once
    /// the weight is packed): its pages go back to the system instead of the reuse pool.
    var returnsPagesToSystem = false

    init(count: Int) {
        self.count = count
        (pointer, capacity) = TensorMemory.allocate(count)
    }

    func copy() -> TensorStorage {
        let s = TensorStorage(count: count)
        s.pointer.update(from: pointer, count: count)
        return s
    }

    deinit {
        TensorMemory.deallocate(pointer, capacity: capacity, keepForReuse: !returnsPagesToSystem)
    }
}

/// Product of the extents.
@inline(__always)
func shapeCount(_ shape: [Int]) -> Int {
    var n = 1
    for d in shape { n *= d }
    return n
}

/// The row-major offset of a full index (negative components count from the end).
func rowMajorOffset(_ index: [Int], shape: [Int]) -> Int {
    precondition(index.count == shape.count, "index \(index) has \(index.count) components for shape \(shape)")
    var flat = 0
    for (axis, i) in index.enumerated() {
        let j = i < 0 ? i + shape[axis] : i
        precondition(j >= 0 && j < shape[axis], "index \(i) out of range for axis \(axis) of shape \(shape)")
        flat = flat * shape[axis] + j
    }
    return flat
}

/// `shape` with a −1 extent replaced by whatever makes the element count `count`.
/// - Precondition: the result has exactly `count` elements.
func resolvedShape(_ shape: [Int], count: Int) -> [Int] {
    var target = shape
    if let inferred = shape.firstIndex(of: -1) {
        let known = shape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
        precondition(known > 0 && count % known == 0, "cannot reshape \(count) elements to \(shape)")
        target[inferred] = count / known
    }
    precondition(shapeCount(checkedShape(target)) == count, "cannot reshape \(count) elements to \(shape)")
    return target
}

/// Validates that a shape has no negative extents and a representable element count.
func checkedShape(_ shape: [Int]) -> [Int] {
    var n = 1
    for d in shape {
        precondition(d >= 0, "negative dimension in shape \(shape)")
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        precondition(!overflow, "shape \(shape) has too many elements")
        n = p
    }
    return shape
}
