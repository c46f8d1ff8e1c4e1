import Foundation

/// What is wrong with a model config: every case names the field (or the tensor whose size
/// the fields make) and says what was expected and what was found, because a config comes from
/// outside the program and its reader must be told how to fix it.
public enum ConfigError: LocalizedError, CustomStringConvertible, Equatable {
    case missingField(String)
    case invalid(field: String, reason: String)
    case unsupported(field: String, value: String, supported: String)
    /// The file is not JSON, or not the JSON object a config is: what was expected, what was
    /// found and where.
    case invalidJSON(String)
    /// A field holds the wrong kind of value (`true` where a number belongs, a string where an
    /// integer belongs) or a number its type cannot hold (`1e30` for an `Int`, `1e300` for a
    /// `Float`).
    case wrongValue(field: String, expected: String, found: String)
    /// The size of a tensor the model would hold — the product of the named fields — does not
    /// fit in an `Int`. `size` spells the product out, e.g. "n_heads × d_model × d_head =
    /// 4 × 64 × 1000000000000000000".
    case sizeOverflow(tensor: String, size: String)
    /// A model of this config would need `bytes` bytes for its parameters (with a per-layer
    /// estimate of its components' bookkeeping), more than `limit`
    /// (``HookedTransformer/memoryLimit``); `largest` names the biggest tensor and its sizes.
    case exceedsMemoryLimit(bytes: Int, limit: Int, largest: String)

    public var description: String {
        switch self {
        case let .missingField(f): "config is missing the required field \"\(f)\""
        case let .invalid(field, reason): "config field \"\(field)\": \(reason)"
        case let .unsupported(field, value, supported): "config field \"\(field)\" = \(value) is not supported (expected \(supported))"
        case let .invalidJSON(reason): "config JSON could not be read: \(reason)"
        case let .wrongValue(field, expected, found): "config field \"\(field)\": expected \(expected), found \(found)"
        case let .sizeOverflow(tensor, size):
            "config sizes overflow: \(tensor) would hold \(size) elements, more than an Int can count (\(Int.max))"
        case let .exceedsMemoryLimit(bytes, limit, largest):
            "a model of this config needs \(bytes) bytes (\(Self.readable(bytes))) for its parameters and their bookkeeping, "
                + "more than the memory limit "
                + "of \(limit) bytes (\(Self.readable(limit)); see HookedTransformer.memoryLimit); its largest tensor is \(largest)"
        }
    }

    /// The description, so that `localizedDescription` (what Foundation-style callers print)
    /// says what is wrong rather than "The operation could not be completed".
    public var errorDescription: String? { description }

    /// `bytes` in GiB, MiB or KiB with one decimal.
    static func readable(_ bytes: Int) -> String {
        let units: [(String, Double)] = [("TiB", 0x1p40), ("GiB", 0x1p30), ("MiB", 0x1p20), ("KiB", 0x1p10)]
        for (name, size) in units where Double(bytes) >= size {
            return "\((Double(bytes) / size * 10).rounded() / 10) \(name)"
        }
        return "\(bytes) B"
    }
}
