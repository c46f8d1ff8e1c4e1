/// A checkpoint whose tensors disagree with its config (or, when sharded, with its index), found
/// from the headers before any weight is read. Every message names the file and the tensor and
/// says what the config or index implies and what the header holds.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The config implies a tensor (under any of `names`) that the file lacks.
    case missingTensor(names: [String], file: String)
    /// A tensor's shape in the header differs from the one the config implies (even when the
    /// element count is the same: a transposed or reshaped weight is refused, not reinterpreted).
    case shapeMismatch(name: String, file: String, expected: [Int], found: [Int])
    /// A weight stored with an integer or boolean dtype.
    case notFloatingPoint(name: String, file: String, dtype: String)
    /// The file holds tensors the conversion would not use (a config of a different model, or a
    /// feature the config does not enable): every one is named.
    case unexpectedTensors(names: [String], file: String)
    /// A sharded checkpoint's `model.safetensors.index.json` is not what the format requires
    /// (not JSON, no `weight_map` object, a shard name that is not a file beside it, shard
    /// numbers that skip or disagree).
    case invalidIndex(file: String, reason: String)
    /// The index lists a shard that is not in the directory.
    case missingShard(shard: String, index: String)
    /// The index puts tensor `name` in `shard`, whose header does not hold it.
    case tensorNotInShard(name: String, shard: String, index: String)
    /// `shard` holds tensors the index does not put in it (absent from the map, or mapped to
    /// another shard): the index and the shards are from different saves.
    case unmappedTensors(names: [String], shard: String, index: String)
    /// Shard files of this checkpoint's naming (`model-…-of-….safetensors`) beside the index that
    /// it does not list: left over from another save, whose tensors would silently be ignored.
    case unexpectedShards(names: [String], index: String)

    public var description: String {
        switch self {
        case let .missingTensor(names, file):
            "\(file) has no tensor \"\(names[0])\"\(names.count > 1 ? " (nor \(names.dropFirst().map { "\"\($0)\"" }.joined(separator: ", ")))" : ""), which the config requires"
        case let .shapeMismatch(name, file, expected, found):
            "tensor \"\(name)\" in \(file) has shape \(found); the config implies \(expected)"
        case let .notFloatingPoint(name, file, dtype):
            "tensor \"\(name)\" in \(file) has dtype \(dtype); expected a floating-point weight (F32, F16, BF16 or F64)"
        case let .unexpectedTensors(names, file):
            "\(file) holds \(names.count == 1 ? "a tensor" : "\(names.count) tensors") that the config has no parameter for "
                + "(a config of a different model?): \(Self.list(names))"
        case let .invalidIndex(file, reason):
            "invalid sharded-checkpoint index \(file): \(reason)"
        case let .missingShard(shard, index):
            "\(index) lists the shard \"\(shard)\", which is not in its directory; expected every shard the weight_map names beside the index"
        case let .tensorNotInShard(name, shard, index):
            "\(index) puts tensor \"\(name)\" in \(shard), whose header has no such tensor"
        case let .unmappedTensors(names, shard, index):
            "\(shard) holds \(names.count == 1 ? "a tensor" : "\(names.count) tensors") that \(index) does not map to it "
                + "(the index and the shards are from different saves?): \(Self.list(names))"
        case let .unexpectedShards(names, index):
            "\(index) does not list \(names.count == 1 ? "the shard" : "the shards") \(Self.list(names)) beside it "
                + "(left over from another save?); expected only the shards its weight_map names"
        }
    }

    /// Up to ten quoted names, then "…".
    private static func list(_ names: [String]) -> String {
        names.prefix(10).map { "\"\($0)\"" }.joined(separator: ", ") + (names.count > 10 ? ", …" : "")
    }
}
