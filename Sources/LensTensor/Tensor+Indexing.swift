import LensKernels

/// One component of a tensor subscript, NumPy style:
///
/// ```swift
/// pattern[0, .all, 5, ..<6]          // batch 0, every head, query 5, keys 0..<6
/// resid[.ellipsis, 3]                // the 4th element of the last axis
/// x[.all, .newAxis, 2...]            // insert an axis
/// tokens[.all, .stride(1, nil, 2)]   // every other position
/// ```
/// Integers (negative counts from the end) drop their axis; ranges keep it.
public struct TensorIndex: TensorIndexConvertible, ExpressibleByIntegerLiteral, Sendable {
    enum Kind: Sendable {
        case index(Int)
        case slice(start: Int?, end: Int?, step: Int)
        case newAxis
        case ellipsis
    }
    let kind: Kind
    public var tensorIndex: TensorIndex { self }

    /// A single position, so that `[.all, 3]` reads naturally where `[TensorIndex]` is expected.
    public init(integerLiteral value: Int) { self.kind = .index(value) }

    init(kind: Kind) { self.kind = kind }

    /// Every element of the axis.
    public static let all = TensorIndex(kind: .slice(start: nil, end: nil, step: 1))
    /// A new axis of extent 1.
    public static let newAxis = TensorIndex(kind: .newAxis)
    /// As many `.all` as needed to cover the axes not otherwise indexed.
    public static let ellipsis = TensorIndex(kind: .ellipsis)
    /// A single position (drops the axis).
    public static func at(_ i: Int) -> TensorIndex { TensorIndex(kind: .index(i)) }
    /// `start..<end` in steps of `step` (> 0); nil bounds mean the ends of the axis, negative
    /// bounds count from the end, and out-of-range bounds are clamped, as in Python.
    public static func stride(_ start: Int?, _ end: Int?, _ step: Int = 1) -> TensorIndex {
        TensorIndex(kind: .slice(start: start, end: end, step: step))
    }
}

/// Anything usable inside a tensor subscript: `Int`, ranges, and ``TensorIndex`` values.
public protocol TensorIndexConvertible {
    var tensorIndex: TensorIndex { get }
}

extension TensorIndexConvertible where Self == TensorIndex {
    /// Every element of the axis.
    public static var all: TensorIndex { TensorIndex.all }
    /// A new axis of extent 1.
    public static var newAxis: TensorIndex { TensorIndex.newAxis }
    /// As many `.all` as needed.
    public static var ellipsis: TensorIndex { TensorIndex.ellipsis }
    /// `start..<end` in steps of `step`.
    public static func stride(_ start: Int?, _ end: Int?, _ step: Int = 1) -> TensorIndex {
        TensorIndex.stride(start, end, step)
    }
}

extension Int: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .at(self) }
}
extension Range<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(lowerBound, upperBound) }
}
extension ClosedRange<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(lowerBound, upperBound + 1) }
}
extension PartialRangeFrom<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(lowerBound, nil) }
}
extension PartialRangeUpTo<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(nil, upperBound) }
}
extension PartialRangeThrough<Int>: TensorIndexConvertible {
    public var tensorIndex: TensorIndex { .stride(nil, upperBound + 1) }
}

/// A subscript resolved against a shape: where the selection starts, and its extent and
/// stride along each output axis.
struct ResolvedSelection {
    var offset = 0
    /// Shape of the result (with new axes).
    var shape: [Int] = []
    /// Source strides per result axis (0 for new axes).
    var strides: [Int] = []

    init(_ indices: [TensorIndex], shape source: [Int]) {
        let sourceStrides = contiguousStrides(source)
        let explicit = indices.filter { if case .newAxis = $0.kind { return false }; if case .ellipsis = $0.kind { return false }; return true }.count
        let ellipses = indices.filter { if case .ellipsis = $0.kind { return true }; return false }.count
        precondition(ellipses <= 1, "a subscript may contain at most one .ellipsis")
        precondition(explicit <= source.count, "too many indices (\(explicit)) for shape \(source)")
        var expanded: [TensorIndex] = []
        for index in indices {
            if case .ellipsis = index.kind {
                expanded += Array(repeating: .all, count: source.count - explicit)
            } else {
                expanded.append(index)
            }
        }
        if ellipses == 0 { expanded += Array(repeating: .all, count: source.count - explicit) }
        var axis = 0
        for index in expanded {
            switch index.kind {
            case .newAxis:
                shape.append(1)
                strides.append(0)
            case .ellipsis:
                break
            case .index(let i):
                let n = source[axis]
                let j = i < 0 ? i + n : i
                precondition(j >= 0 && j < n, "index \(i) out of range for axis \(axis) of extent \(n) (shape \(source))")
                offset += j * sourceStrides[axis]
                axis += 1
            case let .slice(start, end, step):
                precondition(step > 0, "slice step must be positive, got \(step)")
                let n = source[axis]
                func clampBound(_ b: Int?, _ fallback: Int) -> Int {
                    guard let b else { return fallback }
                    return min(max(b < 0 ? b + n : b, 0), n)
                }
                let lo = clampBound(start, 0), hi = clampBound(end, n)
                let extent = hi > lo ? (hi - lo + step - 1) / step : 0
                offset += extent > 0 ? lo * sourceStrides[axis] : 0
                shape.append(extent)
                strides.append(step * sourceStrides[axis])
                axis += 1
            }
        }
    }

    /// The selection's shape without the new axes (the region of the source it covers).
    var regionShape: [Int] { zip(shape, strides).filter { $0.1 != 0 || $0.0 != 1 }.map(\.0) }
    var regionStrides: [Int] { zip(shape, strides).filter { $0.1 != 0 || $0.0 != 1 }.map(\.1) }
}

extension Tensor {
    /// A copy of the selected elements (see ``TensorIndex``). Setting writes `newValue`,
    /// broadcast to the selection, into a copy-on-write copy.
    public subscript(_ indices: any TensorIndexConvertible...) -> Tensor {
        get { selecting(indices.map(\.tensorIndex)) }
        set { self = replacing(indices.map(\.tensorIndex), with: newValue) }
    }

    /// The elements selected by `indices` (the subscript getter).
    public func selecting(_ indices: [TensorIndex]) -> Tensor {
        let sel = ResolvedSelection(indices, shape: shape)
        let out = Tensor(uninitializedShape: sel.shape)
        if out.count > 0 {
            LensKernels.copyStrided(pointer + sel.offset, shape: sel.shape, strides: sel.strides, out.pointer)
        }
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in
            let dx = Tensor(shape: source, repeating: 0)
            if g.count > 0 {
                LensKernels.writeStrided(g.pointer, shape: sel.shape, dx.pointer + sel.offset, strides: sel.strides,
                                         accumulate: true)
            }
            return [dx]
        }
    }

    /// A copy of this tensor with the selection replaced by `value` (broadcast to it).
    public func replacing(_ indices: [TensorIndex], with value: Tensor) -> Tensor {
        let sel = ResolvedSelection(indices, shape: shape)
        let region = sel.regionShape, regionStrides = sel.regionStrides
        precondition(broadcastShape(value.shape, sel.shape) == sel.shape || broadcastShape(value.shape, region) == region,
                     "cannot assign a value of shape \(value.shape) to a selection of shape \(sel.shape)")
        let fitted = value.detached.reshapedToBroadcast(region)
        var out = Tensor(shape: shape, storage: storage)
        out.makeUnique()
        if fitted.count > 0 {
            LensKernels.writeStrided(fitted.pointer, shape: region, out.pointer + sel.offset, strides: regionStrides,
                                     accumulate: false)
        }
        guard let tape = GradientTape.recording(self, value) else { return out }
        let valueShape = value.shape
        return tape.recorded(out, inputs: [self, value]) { g, needs in
            var dSelf: Tensor?
            if needs[0] {
                var d = g.detached
                d.makeUnique()
                let zeros = Tensor(shape: region, repeating: 0)
                if zeros.count > 0 {
                    LensKernels.writeStrided(zeros.pointer, shape: region, d.pointer + sel.offset, strides: regionStrides,
                                             accumulate: false)
                }
                dSelf = d
            }
            var dValue: Tensor?
            if needs[1] {
                let r = Tensor(uninitializedShape: region)
                if r.count > 0 { LensKernels.copyStrided(g.pointer + sel.offset, shape: region, strides: regionStrides, r.pointer) }
                dValue = r.summedToBroadcastSource(valueShape)
            }
            return [dSelf, dValue]
        }
    }

    /// `self` broadcast to `target`, after dropping leading/new-axis extents of 1 that the
    /// target lacks.
    fileprivate func reshapedToBroadcast(_ target: [Int]) -> Tensor {
        if broadcastShape(shape, target) == target { return expanded(to: target) }
        let squeezedShape = shape.filter { $0 != 1 }
        return reshaped(squeezedShape).expanded(to: target)
    }

    /// The inverse of ``reshapedToBroadcast(_:)`` for gradients.
    fileprivate func summedToBroadcastSource(_ source: [Int]) -> Tensor {
        if broadcastShape(source, shape) == shape { return summed(toShape: source) }
        return summed(toShape: source.filter { $0 != 1 }).reshaped(source)
    }

    /// The slices at `indices` along `axis`: the result's shape is this shape with `axis`
    /// replaced by `indices.shape` (an embedding lookup is `table.indexSelect(tokens, axis: 0)`).
    /// - Precondition: every index lies in `0 ..< shape[axis]`.
    public func indexSelect(_ indices: IntTensor, axis: Int = 0) -> Tensor {
        let a = normalizedAxis(axis, rank: rank)
        if a != 0 {
            var perm = Array(0..<rank)
            perm.remove(at: a)
            perm.insert(a, at: 0)
            let moved = permuted(perm).indexSelect(indices, axis: 0)
            // moved: indices.shape + (shape without axis a); put the index axes back at a.
            let k = indices.rank
            var back = Array(k..<(k + a)) + Array(0..<k)
            back += Array((k + a)..<moved.rank)
            return moved.permuted(back)
        }
        let n = shape[0]
        let rowLength = count / Swift.max(n, 1)
        for i in indices.scalars {
            precondition(i >= 0 && i < n, "indexSelect: index \(i) out of range 0..<\(n)")
        }
        let out = Tensor(uninitializedShape: indices.shape + Array(shape.dropFirst()))
        indices.scalars.withUnsafeBufferPointer { idx in
            LensKernels.gatherRows(pointer, rowLength: rowLength, idx.baseAddress!, count: indices.count, out.pointer)
        }
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in
            let dx = Tensor(shape: source, repeating: 0)
            indices.scalars.withUnsafeBufferPointer { idx in
                LensKernels.scatterAddRows(g.pointer, rowLength: rowLength, idx.baseAddress!, count: indices.count, dx.pointer)
            }
            return [dx]
        }
    }

    /// PyTorch `gather` along the last axis: `out[..., j] = self[..., indices[..., j]]`, where
    /// `indices` has this shape except on the last axis.
    public func takeAlongLastAxis(_ indices: IntTensor) -> Tensor {
        precondition(rank >= 1 && indices.rank == rank && Array(indices.shape.dropLast()) == Array(shape.dropLast()),
                     "takeAlongLastAxis: indices of shape \(indices.shape) do not match \(shape)")
        let n = shape[rank - 1], m = indices.shape[rank - 1]
        let rows = count / Swift.max(n, 1)
        let out = Tensor(uninitializedShape: indices.shape)
        let idx = indices.scalars
        for r in 0..<rows {
            for j in 0..<m {
                let i = idx[r * m + j]
                precondition(i >= 0 && i < n, "takeAlongLastAxis: index \(i) out of range 0..<\(n)")
                out.pointer[r * m + j] = pointer[r * n + i]
            }
        }
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in
            let dx = Tensor(shape: source, repeating: 0)
            for r in 0..<rows {
                for j in 0..<m { dx.pointer[r * n + idx[r * m + j]] += g.pointer[r * m + j] }
            }
            return [dx]
        }
    }
}
