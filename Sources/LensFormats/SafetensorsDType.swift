/// A tensor element type of the safetensors format.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .F64, .I64: 8
        case .F32, .I32: 4
        case .F16, .BF16, .I16: 2
        case .I8, .U8, .BOOL: 1
        }
    }

    /// Whether values are floating point (read with `tensor(_:)`) or integers (`intTensor(_:)`,
    /// or `tensor(_:)`, converted).
    public var isFloatingPoint: Bool { [.F64, .F32, .F16, .BF16].contains(self) }
}
