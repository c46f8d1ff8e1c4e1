import LensKernels

// Element-wise binary operations with NumPy/PyTorch broadcasting: shapes are aligned on their
// last axes, and an axis of extent 1 (or a missing leading axis) stretches to match.

/// The shape two shapes broadcast to, or `nil` if they do not broadcast.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if da == db || db == 1 {
            out[i] = da
        } else if da == 1 {
            out[i] = db
        } else {
            return nil
        }
    }
    return out
}

/// Strides that read an array of `shape` as if it had the (broadcast) shape `target`.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let offset = target.count - shape.count
    return (0..<target.count).map { i in
        i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
    }
}

extension Tensor {
    /// `self ∘ other` with broadcasting; records its gradient when an input is tracked.
    func broadcasting(_ op: BinaryOp, _ other: Tensor) -> Tensor {
        let a = self, b = other
        var out: Tensor
        if a.shape == b.shape {
            out = Tensor(uninitializedShape: a.shape)
            LensKernels.binary(op, a.pointer, 1, b.pointer, 1, out.pointer, a.count)
        } else {
            guard let shape = broadcastShape(a.shape, b.shape) else {
                preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            out = Tensor(uninitializedShape: shape)
            if b.count == 1 && shape == a.shape {
                LensKernels.binary(op, a.pointer, 1, b.pointer, 0, out.pointer, out.count)
            } else if a.count == 1 && shape == b.shape {
                LensKernels.binary(op, a.pointer, 0, b.pointer, 1, out.pointer, out.count)
            } else {
                LensKernels.binaryStrided(op, a.pointer, aStrides: broadcastStrides(a.shape, to: shape),
                                          b.pointer, bStrides: broadcastStrides(b.shape, to: shape),
                                          shape: shape, out.pointer)
            }
        }
        guard let tape = GradientTape.recording(a, b) else { return out }
        let result = out
        return tape.recorded(out, inputs: [a, b]) { g, needs in
            switch op {
            case .add:
                return [needs[0] ? g.summed(toShape: a.shape) : nil, needs[1] ? g.summed(toShape: b.shape) : nil]
            case .subtract:
                return [needs[0] ? g.summed(toShape: a.shape) : nil, needs[1] ? (-g).summed(toShape: b.shape) : nil]
            case .multiply:
                return [needs[0] ? (g * b).summed(toShape: a.shape) : nil, needs[1] ? (g * a).summed(toShape: b.shape) : nil]
            case .divide:
                return [needs[0] ? (g / b).summed(toShape: a.shape) : nil,
                        needs[1] ? (-(g * result) / b).summed(toShape: b.shape) : nil]
            case .maximum, .minimum:
                // The gradient goes to the selected operand (to `a` on ties).
                let pickA = op == .maximum ? a.broadcasting(.greaterOrEqual, b) : a.broadcasting(.lessOrEqual, b)
                return [needs[0] ? (g * pickA).summed(toShape: a.shape) : nil,
                        needs[1] ? (g * (1 - pickA)).summed(toShape: b.shape) : nil]
            case .power:
                return [needs[0] ? (g * b * a.broadcasting(.power, b - 1)).summed(toShape: a.shape) : nil,
                        needs[1] ? (g * result * a.log()).summed(toShape: b.shape) : nil]
            case .greater, .greaterOrEqual, .less, .lessOrEqual, .equal, .notEqual:
                return [nil, nil]
            }
        }
    }

    /// Sums over the axes along which `shape` was broadcast to this tensor's shape (the
    /// gradient of a broadcast).
    public func summed(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(broadcastShape(target, shape) == shape,
                     "cannot sum shape \(shape) down to \(target): \(target) does not broadcast to it")
        let out = Tensor(shape: target, repeating: 0)
        LensKernels.writeStrided(pointer, shape: shape, out.pointer, strides: broadcastStrides(target, to: shape),
                                 accumulate: true)
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in [g.expanded(to: source)] }
    }

    /// This tensor broadcast (copied) to `target`.
    public func expanded(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(broadcastShape(shape, target) == target, "cannot expand shape \(shape) to \(target)")
        let out = Tensor(uninitializedShape: target)
        LensKernels.copyStrided(pointer, shape: target, strides: broadcastStrides(shape, to: target), out.pointer)
        guard let tape = GradientTape.recording(self) else { return out }
        let source = shape
        return tape.recorded(out, inputs: [self]) { g, _ in [g.summed(toShape: source)] }
    }

    // MARK: Operators

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.add, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.subtract, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.multiply, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.divide, b) }

    public static func + (a: Tensor, b: Float) -> Tensor { a.broadcasting(.add, Tensor(scalar: b)) }
    public static func - (a: Tensor, b: Float) -> Tensor { a.broadcasting(.subtract, Tensor(scalar: b)) }
    public static func * (a: Tensor, b: Float) -> Tensor { a.broadcasting(.multiply, Tensor(scalar: b)) }
    public static func / (a: Tensor, b: Float) -> Tensor { a.broadcasting(.divide, Tensor(scalar: b)) }
    public static func + (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).broadcasting(.add, b) }
    public static func - (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).broadcasting(.subtract, b) }
    public static func * (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).broadcasting(.multiply, b) }
    public static func / (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a).broadcasting(.divide, b) }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
    public static func /= (a: inout Tensor, b: Tensor) { a = a / b }
    public static func += (a: inout Tensor, b: Float) { a = a + b }
    public static func -= (a: inout Tensor, b: Float) { a = a - b }
    public static func *= (a: inout Tensor, b: Float) { a = a * b }
    public static func /= (a: inout Tensor, b: Float) { a = a / b }

    public static prefix func - (a: Tensor) -> Tensor { a.unary(.negate) { _, _, g in -g } }

    /// Element-wise maximum (broadcasting); the gradient goes to the larger operand.
    public func maximum(_ other: Tensor) -> Tensor { broadcasting(.maximum, other) }
    /// Element-wise minimum (broadcasting); the gradient goes to the smaller operand.
    public func minimum(_ other: Tensor) -> Tensor { broadcasting(.minimum, other) }
    /// Element-wise `self ^ exponent` (broadcasting).
    public func pow(_ exponent: Tensor) -> Tensor { broadcasting(.power, exponent) }
    /// Element-wise `self ^ exponent`.
    public func pow(_ exponent: Float) -> Tensor {
        if exponent == 2 { return square() }
        return broadcasting(.power, Tensor(scalar: exponent))
    }

    /// `self * scale + bias` for `self` [..., n], a per-row `scale` [..., 1] and an optional
    /// `bias` [n], in one pass over the output (two broadcasting ops would make two, and a
    /// temporary): e.g. logits whose rows are divided by a norm's scale and offset by a bias.
    public func scaledRows(by scale: Tensor, adding bias: Tensor? = nil) -> Tensor {
        let n = shape.last ?? 1
        precondition(rank >= 1 && scale.shape == Array(shape.dropLast()) + [1] && (bias == nil || bias!.shape == [n]),
                     "scaledRows(by:adding:) needs [..., n], [..., 1] and [n]; got \(shape), \(scale.shape), \(bias?.shape ?? [])")
        if GradientTape.recording(self, scale) != nil || bias.map({ GradientTape.recording($0) != nil }) == true {
            return bias.map { self * scale + $0 } ?? self * scale
        }
        let out = Tensor(uninitializedShape: shape)
        let (x, s, o) = (SendableFloats(pointer), SendableFloats(scale.pointer), SendableFloats(out.pointer))
        let b = bias.map { SendableFloats($0.pointer) }
        LensKernels.parallelChunks(scale.count, work: count) { rows in
            for r in rows {
                LensKernels.binary(.multiply, x.pointer + r * n, 1, s.pointer + r, 0, o.pointer + r * n, n)
                if let b { LensKernels.binary(.add, o.pointer + r * n, 1, b.pointer, 1, o.pointer + r * n, n) }
            }
        }
        return out
    }

    // MARK: Comparisons (1 where true, 0 where false; no gradient)

    public static func .> (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.greater, b).detached }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.greaterOrEqual, b).detached }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.less, b).detached }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.lessOrEqual, b).detached }
    public static func .== (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.equal, b).detached }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { a.broadcasting(.notEqual, b).detached }
    public static func .> (a: Tensor, b: Float) -> Tensor { a .> Tensor(scalar: b) }
    public static func .>= (a: Tensor, b: Float) -> Tensor { a .>= Tensor(scalar: b) }
    public static func .< (a: Tensor, b: Float) -> Tensor { a .< Tensor(scalar: b) }
    public static func .<= (a: Tensor, b: Float) -> Tensor { a .<= Tensor(scalar: b) }
    public static func .== (a: Tensor, b: Float) -> Tensor { a .== Tensor(scalar: b) }
    public static func .!= (a: Tensor, b: Float) -> Tensor { a .!= Tensor(scalar: b) }

    /// Elements of `a` where `condition` is non-zero, of `b` elsewhere (all three broadcast).
    /// Unlike `condition * a + (1 − condition) * b`, infinities in the unselected operand do not
    /// leak in as NaN, so this is how to mask attention scores with −inf.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let ab = broadcastShape(a.shape, b.shape), let shape = broadcastShape(condition.shape, ab) else {
            preconditionFailure("select: shapes \(condition.shape), \(a.shape), \(b.shape) do not broadcast")
        }
        let c = condition.expanded(to: shape).detached, x = a.detached.expanded(to: shape), y = b.detached.expanded(to: shape)
        let out = Tensor(uninitializedShape: shape)
        let cp = c.pointer, xp = x.pointer, yp = y.pointer, op = out.pointer
        for i in 0..<out.count { op[i] = cp[i] != 0 ? xp[i] : yp[i] }
        guard let tape = GradientTape.recording(a, b) else { return out }
        return tape.recorded(out, inputs: [a, b]) { g, needs in
            let zero = Tensor(scalar: 0)
            return [needs[0] ? select(c, g, zero).summed(toShape: a.shape) : nil,
                    needs[1] ? select(c, zero, g).summed(toShape: b.shape) : nil]
        }
    }

    /// This tensor with `value` wherever `mask` (broadcast) is non-zero.
    public func maskedFill(_ mask: Tensor, with value: Float) -> Tensor {
        Tensor.select(mask, Tensor(scalar: value), self)
    }
}
