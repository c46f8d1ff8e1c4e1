import Foundation

extension Tensor: Equatable {
    /// Exact equality of shape and every element (NaN ≠ NaN, as for `Float`).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return !lhs.scalars.contains { $0.isNaN } }
        for i in 0..<lhs.count where lhs.pointer[i] != rhs.pointer[i] { return false }
        return true
    }
}

extension Tensor {
    /// The largest |self − other| over all elements (0 where both are the same infinity, NaN if
    /// exactly one side is NaN at some position, ignoring positions where both are NaN).
    /// - Precondition: equal shapes.
    public func maxAbsoluteDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsoluteDifference: shapes \(shape) and \(other.shape) differ")
        var worst: Float = 0
        for i in 0..<count {
            let a = pointer[i], b = other.pointer[i]
            if a == b || (a.isNaN && b.isNaN) { continue }
            if a.isNaN || b.isNaN { return .nan }
            worst = Swift.max(worst, Swift.abs(a - b))
        }
        return worst
    }

    /// Whether every element satisfies |self − other| ≤ absoluteTolerance + relativeTolerance·|other|
    /// (NumPy's `allclose`). Equal infinities match; NaN matches only NaN when `nanEqual`.
    public func isApproximatelyEqual(to other: Tensor, absoluteTolerance: Float = 1e-5, relativeTolerance: Float = 1e-5,
                                     nanEqual: Bool = false) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let a = pointer[i], b = other.pointer[i]
            if a == b { continue }
            if a.isNaN || b.isNaN {
                if nanEqual && a.isNaN && b.isNaN { continue }
                return false
            }
            if !(Swift.abs(a - b) <= absoluteTolerance + relativeTolerance * Swift.abs(b)) { return false }
        }
        return true
    }
}
