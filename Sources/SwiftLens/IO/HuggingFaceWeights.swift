import Foundation

/// The safetensors files holding a Hugging Face checkpoint's weights: one `model.safetensors`, or
/// the shards a `model.safetensors.index.json` lists (how `save_pretrained` writes any model
/// larger than its shard size, 5 GB by default, and how most hub checkpoints above ~2B parameters
/// are published).
///
/// Opening a sharded checkpoint reads the index strictly and every shard's header — no tensor
/// data — and checks the two agree in both directions before anything else looks at them:
/// every tensor the `weight_map` puts in a shard is in that shard's header, every tensor a shard
/// holds is mapped to that shard, every listed shard exists, shard numbers (`-00001-of-00003`)
/// run from 1 to their total, and no shard of the same naming lies beside the index unlisted.
/// A tensor is then found in exactly one file, so ``CheckedCheckpoint`` checks names and shapes
/// across all shards as if they were one file, and each weight is read from its own shard.
///
/// `model.safetensors` wins when both it and an index are present, as in transformers.
struct HuggingFaceWeights {
    /// Every file: the single file, or the shards in name order.
    let files: [SafetensorsFile]
    /// The path errors about the whole checkpoint name: the single file, or the index.
    let path: String

    static let singleFileName = "model.safetensors"
    static let indexFileName = "model.safetensors.index.json"
    /// Largest index read: a 1,000-layer model's index is a few megabytes.
    static let maximumIndexBytes = 64 << 20

    /// Where a checkpoint's weights are: one file, or a sharded index.
    enum Layout {
        case single(URL)
        case sharded(index: URL)
    }

    /// The layout of the checkpoint in `directory` (`model.safetensors`, else the sharded index),
    /// from the file names alone; an error naming the directory when it has neither.
    static func layout(directory: URL) throws -> Layout {
        let single = directory.appendingPathComponent(singleFileName)
        if FileManager.default.fileExists(atPath: single.path) { return .single(single) }
        let index = directory.appendingPathComponent(indexFileName)
        guard FileManager.default.fileExists(atPath: index.path) else {
            throw ModelError.io("\(directory.path) has a Hugging Face config.json but no \(singleFileName) (nor a sharded \(indexFileName))")
        }
        return .sharded(index: index)
    }

    /// Opens the file, or the index and every shard, reading headers only.
    static func open(_ layout: Layout) throws -> HuggingFaceWeights {
        switch layout {
        case let .single(url): HuggingFaceWeights(files: [try SafetensorsFile(contentsOf: url)], path: url.path)
        case let .sharded(index): try openSharded(index: index)
        }
    }

    /// The weights of the checkpoint in `directory`.
    static func open(directory: URL) throws -> HuggingFaceWeights {
        try open(layout(directory: directory))
    }

    /// Reads the index at `index`, opens every shard it lists and checks them against it.
    static func openSharded(index: URL) throws -> HuggingFaceWeights {
        let indexPath = index.path
        func invalid(_ reason: String) -> CheckpointError { .invalidIndex(file: indexPath, reason: reason) }
        let map = try weightMap(index: index)

        // Shard names: plain file names beside the index, never a path out of the directory.
        var tensorsByShard: [String: [String]] = [:]
        for (tensor, value) in map {
            guard let shard = value.string else {
                throw invalid("weight_map[\"\(tensor)\"]: expected a shard file name (a string), found \(value.summary)")
            }
            guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\\"), !shard.contains("\0") else {
                throw invalid("weight_map[\"\(tensor)\"]: expected a file name beside the index, found \(shard.debugDescription)")
            }
            tensorsByShard[shard, default: []].append(tensor)
        }
        let shardNames = tensorsByShard.keys.sorted()
        try checkNumbering(shardNames, invalid: invalid)

        let directory = index.deletingLastPathComponent()
        try checkNoUnlistedShards(shardNames, directory: directory, index: indexPath)

        var files: [SafetensorsFile] = []
        for shard in shardNames {
            let url = directory.appendingPathComponent(shard)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw CheckpointError.missingShard(shard: shard, index: indexPath)
            }
            let file = try SafetensorsFile(contentsOf: url)
            let mapped = tensorsByShard[shard]!
            if let absent = mapped.sorted().first(where: { file.entries[$0] == nil }) {
                throw CheckpointError.tensorNotInShard(name: absent, shard: file.path, index: indexPath)
            }
            let mappedSet = Set(mapped)
            let unmapped = file.names.filter { !mappedSet.contains($0) }
            guard unmapped.isEmpty else { throw CheckpointError.unmappedTensors(names: unmapped, shard: file.path, index: indexPath) }
            files.append(file)
        }
        return HuggingFaceWeights(files: files, path: indexPath)
    }

    /// The index's `weight_map` (tensor name → shard name), read strictly: a repeated key, text
    /// that is not UTF-8 or a `weight_map` that is not a non-empty object is an error naming the file.
    private static func weightMap(index: URL) throws -> [String: JSONValue] {
        func invalid(_ reason: String) -> CheckpointError { .invalidIndex(file: index.path, reason: reason) }
        let size = ((try? FileManager.default.attributesOfItem(atPath: index.path))?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumIndexBytes else {
            throw invalid("it is \(size) bytes; expected an index of at most \(maximumIndexBytes) bytes")
        }
        let data: Data
        do { data = try Data(contentsOf: index) } catch {
            throw ModelError.io("cannot read \(index.path): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data, origin: index.path) } catch let error as JSONParseError {
            throw invalid(error.description)
        }
        guard let object = json.object else { throw invalid("expected a JSON object, found \(json.summary)") }
        if let metadata = object["metadata"], !metadata.isNull, metadata.object == nil {
            throw invalid("\"metadata\": expected an object, found \(metadata.summary)")
        }
        guard let value = object["weight_map"] else { throw invalid("no \"weight_map\"; expected an object mapping tensor names to shard files") }
        guard let map = value.object else { throw invalid("\"weight_map\": expected an object, found \(value.summary)") }
        guard !map.isEmpty else { throw invalid("\"weight_map\" is empty; expected at least one tensor") }
        return map
    }

    /// `prefix-NNNNN-of-MMMMM.safetensors` → (prefix, N, M); nil for other names.
    static func numbered(_ name: String) -> (prefix: Substring, number: Int, total: Int)? {
        guard name.hasSuffix(".safetensors") else { return nil }
        let parts = name.dropLast(".safetensors".count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[parts.count - 2] == "of",
              let number = Int(parts[parts.count - 3]), let total = Int(parts[parts.count - 1]),
              parts[parts.count - 3].allSatisfy(\.isASCIIDigit), parts[parts.count - 1].allSatisfy(\.isASCIIDigit) else { return nil }
        let prefix = name[..<parts[parts.count - 4].endIndex]
        return (prefix, number, total)
    }

    /// Numbered shards of one prefix must all say the same total and be numbered 1…total.
    private static func checkNumbering(_ shards: [String], invalid: (String) -> CheckpointError) throws {
        var byPrefix: [Substring: [(number: Int, total: Int, name: String)]] = [:]
        for name in shards {
            if let n = numbered(name) { byPrefix[n.prefix, default: []].append((n.number, n.total, name)) }
        }
        for (prefix, items) in byPrefix.sorted(by: { $0.key < $1.key }) {
            let totals = Set(items.map(\.total))
            guard totals.count == 1, let total = totals.first else {
                throw invalid("the shards \(items.map(\.name).sorted()) disagree on their total (\(totals.sorted().map(String.init).joined(separator: ", ")))")
            }
            let numbers = Set(items.map(\.number))
            let missing = (1...max(total, 1)).filter { !numbers.contains($0) }
            let outside = numbers.filter { !(1...max(total, 1)).contains($0) }.sorted()
            guard missing.isEmpty, outside.isEmpty else {
                throw invalid("the weight_map names \(items.count) \"\(prefix)-…-of-\(total)\" shard\(items.count == 1 ? "" : "s"); expected shards 1 to \(total)"
                              + (missing.isEmpty ? "" : ", missing \(missing.prefix(10).map(String.init).joined(separator: ", "))")
                              + (outside.isEmpty ? "" : ", found out-of-range \(outside.prefix(10).map(String.init).joined(separator: ", "))"))
            }
        }
    }

    /// Files beside the index named like its numbered shards (same prefix; `model` always) that it
    /// does not list.
    private static func checkNoUnlistedShards(_ shards: [String], directory: URL, index: String) throws {
        let listed = Set(shards)
        let prefixes = Set(shards.compactMap { numbered($0)?.prefix }).union(["model"])
        let present = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let unlisted = present.filter { name in
            guard !listed.contains(name), let n = numbered(name) else { return false }
            return prefixes.contains(n.prefix)
        }.sorted()
        guard unlisted.isEmpty else { throw CheckpointError.unexpectedShards(names: unlisted, index: index) }
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
