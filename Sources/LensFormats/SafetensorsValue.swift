import LensTensor

/// A tensor to write: floats stored as F32 (default), F16, BF16 or F64; integers as I64
/// (default), I32, I16, I8, U8 or BOOL.
public enum SafetensorsValue {
    case float(Tensor, SafetensorsDType = .F32)
    case int(IntTensor, SafetensorsDType = .I64)

    var dtype: SafetensorsDType {
        switch self {
        case let .float(_, d), let .int(_, d): d
        }
    }

    var shape: [Int] {
        switch self {
        case let .float(t, _): t.shape
        case let .int(t, _): t.shape
        }
    }
}
