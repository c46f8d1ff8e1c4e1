/// A unary element-wise operation without a fused backward (those live in `Activations.swift`).
public enum UnaryOp: Sendable {
    case negate, abs, square, sqrt, reciprocal, exp, log, tanh, sigmoid, sin, cos, sign, floor, ceil, round
}
