import LensKernels

/// One component of a tensor subscript, NumPy style:
///
/// ```swift
/// pattern[0, .all, 5, ..<6]          // batch 0, every head, query 5, keys 0..<6
/// resid[.ellipsis, 3]                // the 4th element of the last axis
/// x[.all, .newAxis, 2...]            // insert an axis
/// tokens[.all, .stride(1, nil, 2)]   // every other position
/// post[.all, .all, [3, 17]]          // two neurons, in this order
/// ```
/// Integers (negative counts from the end) drop their axis; ranges, strides and lists keep it.
///
/// It is also the one type for TransformerLens's `Slice` (`pos_slice`, `neuron_slice`): an
/// argument `positions: TensorIndex` takes `-1` (the last position, axis dropped),
/// `.stride(0, 61)` (TL's `pos_slice=(0, 61)`) or `[0, 5]`. Callers that must not trap on an
/// index from outside the program check it first with ``resolved(extent:)``.
public struct TensorIndex: TensorIndexConvertible, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
                           Equatable, Sendable {
    enum Kind: Sendable, Equatable {
        case index(Int)
        case slice(start: Int?, end: Int?, step: Int)
        case list([Int])
        case newAxis
        case ellipsis
    }
    let kind: Kind
    public var tensorIndex: TensorIndex { self }

    /// A single position, so that `[.all, 3]` reads naturally where `[TensorIndex]` is expected.
    public init(integerLiteral value: Int) { self.kind = .index(value) }

    /// These positions, in this order (`[3, 17]`); see ``indices(_:)``.
    public init(arrayLiteral elements: Int...) { self.kind = .list(elements) }

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
    /// These positions, in this order, repeats allowed (negative counts from the end); the axis
    /// is kept. Several lists in one subscript each select along their own axis (outer
    /// indexing, as TransformerLens's `Slice` — not NumPy's paired advanced indexing).
    public static func indices(_ list: [Int]) -> TensorIndex { TensorIndex(kind: .list(list)) }

    /// Whether the index removes its axis (a single position).
    public var dropsAxis: Bool { if case .index = kind { return true } else { return false } }

    /// The positions this index selects along an axis of `extent` elements, in order, with
    /// negative ones resolved; nil where a subscript would trap — a single position or a list
    /// element outside the axis, a step ≤ 0 — and for `.newAxis` and `.ellipsis`, which select
    /// no positions of their own. Out-of-range slice bounds clamp, as in the subscript.
    public func resolved(extent n: Int) -> [Int]? {
        func resolve(_ i: Int) -> Int? {
            let j = i < 0 ? i + n : i
            return j >= 0 && j < n ? j : nil
        }
        switch kind {
        case let .index(i):
            return resolve(i).map { [$0] }
        case let .slice(start, end, step):
            guard step > 0 else { return nil }
            let (lo, hi) = Self.clampedBounds(start, end, extent: n)
            return lo < hi ? Array(Swift.stride(from: lo, to: hi, by: step)) : []
        case let .list(list):
            let resolved = list.compactMap(resolve)
            return resolved.count == list.count ? resolved : nil
        case .newAxis, .ellipsis:
            return nil
        }
    }

    /// The positions this index selects that exist in an axis of `n` elements — where
    /// ``resolved(extent:)`` gives nil for a single position or a list element outside it,
    /// this keeps the others (a sequence still growing, as during generation); nil only for
    /// a step ≤ 0, `.newAxis` and `.ellipsis`.
    public func positions(within n: Int) -> [Int]? {
        switch kind {
        case let .index(i):
            let j = i < 0 ? i + n : i
            return j >= 0 && j < n ? [j] : []
        case let .list(list):
            return list.compactMap { i in
                let j = i < 0 ? i + n : i
                return j >= 0 && j < n ? j : nil
            }
        default:
            return resolved(extent: n)
        }
    }

    /// Python's slice bounds on an axis of `n`: nil = the end, negative counts from the end,
    /// out-of-range clamps.
    static func clampedBounds(_ start: Int?, _ end: Int?, extent n: Int) -> (lo: Int, hi: Int) {
        func clamp(_ b: Int?, _ fallback: Int) -> Int {
            guard let b else { return fallback }
            return min(max(b < 0 ? b + n : b, 0), n)
        }
        return (clamp(start, 0), clamp(end, n))
    }
}

/// A subscript resolved against a shape: where the selection starts, and its extent and
/// stride along each output axis.
struct ResolvedSelection {
    var offset = 0
    /// Shape of the result (with new axes).
    var shape: [Int] = []
    /// Source strides per result axis (0 for new axes).
    var strides: [Int] = []
    /// For result axes indexed by a list: the source positions along that axis, in order
    /// (the element offset is position · stride). Empty when the selection is a strided view.
    var lists: [Int: [Int]] = [:]

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
                let (lo, hi) = TensorIndex.clampedBounds(start, end, extent: n)
                let extent = hi > lo ? (hi - lo + step - 1) / step : 0
                offset += extent > 0 ? lo * sourceStrides[axis] : 0
                shape.append(extent)
                strides.append(step * sourceStrides[axis])
                axis += 1
            case let .list(list):
                let n = source[axis]
                lists[shape.count] = list.map { i in
                    let j = i < 0 ? i + n : i
                    precondition(j >= 0 && j < n, "index \(i) out of range for axis \(axis) of extent \(n) (shape \(source))")
                    return j
                }
                shape.append(list.count)
                strides.append(sourceStrides[axis])
                axis += 1
            }
        }
    }

    /// The offset from `offset` of every selected element, in row-major order of `shape` (new
    /// axes contribute nothing, so this is also the order of `regionShape`). For selections
    /// with lists, which no single stride describes.
    func elementOffsets() -> [Int] {
        var offsets = [0]
        for (axis, extent) in shape.enumerated() {
            let steps = lists[axis].map { $0.map { $0 * strides[axis] } } ?? (0..<extent).map { $0 * strides[axis] }
            offsets = offsets.flatMap { base in steps.map { base + $0 } }
        }
        return offsets
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
        if !sel.lists.isEmpty { return gathering(sel) }
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
        if !sel.lists.isEmpty { return scattering(sel, fitted: fitted, value: value) }
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

    /// The subscript getter for a selection with lists: element by element.
    private func gathering(_ sel: ResolvedSelection) -> Tensor {
        let offsets = sel.elementOffsets().map { $0 + sel.offset }
        let out = Tensor(uninitializedShape: sel.shape)
        for (i, o) in offsets.enumerated() { out.pointer[i] = pointer[o] }
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in
            let dx = Tensor(shape: source, repeating: 0)
            for (i, o) in offsets.enumerated() { dx.pointer[o] += g.pointer[i] }  // repeats accumulate
            return [dx]
        }
    }

    /// The subscript setter for a selection with lists; `fitted` is the value broadcast to the
    /// region. A position listed twice keeps the last write, as in NumPy.
    private func scattering(_ sel: ResolvedSelection, fitted: Tensor, value: Tensor) -> Tensor {
        let offsets = sel.elementOffsets().map { $0 + sel.offset }
        var out = Tensor(shape: shape, storage: storage)
        out.makeUnique()
        for (i, o) in offsets.enumerated() { out.pointer[o] = fitted.pointer[i] }
        guard let tape = GradientTape.recording(self, value) else { return out }
        let (valueShape, region) = (value.shape, sel.regionShape)
        return tape.recorded(out, inputs: [self, value]) { g, needs in
            var dSelf: Tensor?
            if needs[0] {
                var d = g.detached
                d.makeUnique()
                for o in offsets { d.pointer[o] = 0 }
                dSelf = d
            }
            var dValue: Tensor?
            if needs[1] {
                let r = Tensor(uninitializedShape: region)
                for (i, o) in offsets.enumerated() { r.pointer[i] = g.pointer[o] }
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
