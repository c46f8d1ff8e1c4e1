/// The type id of a GGUF metadata value (the `u32` before each value, and before the elements of
/// an array). Ids and encodings are those of ggml's `docs/gguf.md`.
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The fewest bytes one value of this type occupies: a fixed-width value's size; 8 for a
    /// string (its length); 12 for an array (element type and count). An array's declared count
    /// times this must fit in the bytes that remain, so a hostile count is refused before
    /// anything is allocated for it.
    public var minimumByteCount: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }

    /// The spec's upper-case name, e.g. `UINT32`, as gguf-py prints it.
    public var description: String {
        switch self {
        case .uint8: "UINT8"
        case .int8: "INT8"
        case .uint16: "UINT16"
        case .int16: "INT16"
        case .uint32: "UINT32"
        case .int32: "INT32"
        case .float32: "FLOAT32"
        case .bool: "BOOL"
        case .string: "STRING"
        case .array: "ARRAY"
        case .uint64: "UINT64"
        case .int64: "INT64"
        case .float64: "FLOAT64"
        }
    }
}
