import Foundation
import SwiftLens
import Testing

/// The forms real Hugging Face checkpoints come in (issue 12, item 3), each built here from the
/// tiny fixtures and required to load to exactly the state dict the plain form gives: sharded
/// (`model.safetensors.index.json`), F16 and BF16 weights, `rope_parameters` (transformers 5) as
/// well as the older top-level `rope_theta`, tied embeddings, and a `tokenizer.json` beside them.
/// A sharded index that disagrees with its shards is refused, naming the index, shard and tensor.
@Suite struct HuggingFaceCheckpointFormsTests {
    /// A Hugging Face directory built from a fixture (`hf/llamatiny/hf` or `hf/gpt2tiny`): its
    /// config text edited by `config`, its tensors by `tensors`, written in `dtype` as one file or,
    /// when `shards` > 1, as `model-0000i-of-0000n.safetensors` plus an index (tensors dealt out
    /// in name order).
    final class Directory {
        let directory: URL
        var indexPath: String { url(HuggingFaceIndex.name).path }

        init(_ fixture: String, config: (String) -> String = { $0 }, dtype: SafetensorsDType = .F32, shards: Int = 1,
             tensors: (inout [String: Tensor]) -> Void = { _ in }) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-hf-forms-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let text = try String(contentsOf: Fixtures.url("\(fixture)/config.json"), encoding: .utf8)
            try config(text).write(to: url("config.json"), atomically: true, encoding: .utf8)
            var dict = try SafetensorsFile(contentsOf: Fixtures.url("\(fixture)/model.safetensors")).tensors()
            tensors(&dict)
            let names = dict.keys.sorted()
            if shards == 1 {
                try SafetensorsFile.write(names.map { ($0, .float(dict[$0]!, dtype)) }, to: url("model.safetensors"))
                return
            }
            var map: [String: String] = [:]
            for s in 0..<shards {
                let shard = Self.shardName(s + 1, of: shards)
                let mine = names.enumerated().filter { $0.offset % shards == s }.map(\.element)
                for name in mine { map[name] = shard }
                try SafetensorsFile.write(mine.map { ($0, .float(dict[$0]!, dtype)) }, to: url(shard))
            }
            try writeIndex(map)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        static func shardName(_ i: Int, of n: Int) -> String {
            "model-\(String(format: "%05d", i))-of-\(String(format: "%05d", n)).safetensors"
        }

        func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

        /// The index's `weight_map`.
        func readMap() throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url(HuggingFaceIndex.name))) as! [String: Any]
            return object["weight_map"] as! [String: String]
        }

        func writeIndex(_ map: [String: String]) throws {
            let object: [String: Any] = ["metadata": ["total_size": 0], "weight_map": map]
            try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]).write(to: url(HuggingFaceIndex.name))
        }

        func writeIndex(text: String) throws { try text.write(to: url(HuggingFaceIndex.name), atomically: true, encoding: .utf8) }

        func load() throws -> HookedTransformer { try HookedTransformer.load(directory: directory) }
    }

    enum HuggingFaceIndex { static let name = "model.safetensors.index.json" }

    static let llama = "hf/llamatiny/hf", gpt2 = "hf/gpt2tiny"

    // MARK: Sharded

    @Test(arguments: [llama, gpt2])
    func shardedLoadsExactlyLikeOneFile(fixture: String) throws {
        let reference = try HookedTransformer.load(directory: Fixtures.url(fixture))
        for shards in [2, 3] {
            let sharded = try Directory(fixture, shards: shards)
            #expect(!FileManager.default.fileExists(atPath: sharded.url("model.safetensors").path))
            #expect(try sharded.load().stateDict == reference.stateDict, "\(fixture) in \(shards) shards")
        }
    }

    @Test func shardedTensorsMustBeWhereTheIndexSays() throws {
        // The index puts a tensor of shard 2 in shard 1: shard 1 lacks it.
        let moved = try Directory(Self.llama, shards: 3)
        var map = try moved.readMap()
        let name = map.filter { $0.value == Directory.shardName(2, of: 3) }.keys.sorted()[0]
        map[name] = Directory.shardName(1, of: 3)
        try moved.writeIndex(map)
        #expect(throws: CheckpointError.tensorNotInShard(name: name, shard: moved.url(Directory.shardName(1, of: 3)).path, index: moved.indexPath)) {
            try moved.load()
        }
        // A tensor in a shard that the map leaves out.
        let unmapped = try Directory(Self.llama, shards: 2)
        map = try unmapped.readMap()
        let dropped = map.filter { $0.value == Directory.shardName(2, of: 2) }.keys.sorted()[0]
        map[dropped] = nil
        try unmapped.writeIndex(map)
        #expect(throws: CheckpointError.unmappedTensors(names: [dropped], shard: unmapped.url(Directory.shardName(2, of: 2)).path, index: unmapped.indexPath)) {
            try unmapped.load()
        }
        // A tensor neither mapped nor stored is missing from the checkpoint as a whole: the index is named.
        let missing = try Directory(Self.llama, shards: 2, tensors: { d in d["lm_head.weight"] = nil })
        #expect(throws: CheckpointError.missingTensor(names: ["lm_head.weight"], file: missing.indexPath)) { try missing.load() }
        // A wrong shape is named in the shard that holds it.
        let shaped = try Directory(Self.llama, shards: 2, tensors: { d in d["model.norm.weight"] = .ones([8, 8]) })
        let holder = try shaped.readMap()["model.norm.weight"]!
        #expect(throws: CheckpointError.shapeMismatch(name: "model.norm.weight", file: shaped.url(holder).path, expected: [64], found: [8, 8])) {
            try shaped.load()
        }
        // An unexpected tensor is named in its shard too.
        let extra = try Directory(Self.llama, shards: 2, tensors: { d in d["model.layers.0.extra"] = .ones([2]) })
        let extraHolder = try extra.readMap()["model.layers.0.extra"]!
        #expect(throws: CheckpointError.unexpectedTensors(names: ["model.layers.0.extra"], file: extra.url(extraHolder).path)) { try extra.load() }
    }

    @Test func shardFilesMustMatchTheIndex() throws {
        let absent = try Directory(Self.llama, shards: 3)
        try FileManager.default.removeItem(at: absent.url(Directory.shardName(3, of: 3)))
        #expect(throws: CheckpointError.missingShard(shard: Directory.shardName(3, of: 3), index: absent.indexPath)) { try absent.load() }

        let leftover = try Directory(Self.llama, shards: 2)
        try FileManager.default.copyItem(at: leftover.url(Directory.shardName(1, of: 2)), to: leftover.url(Directory.shardName(1, of: 3)))
        #expect(throws: CheckpointError.unexpectedShards(names: [Directory.shardName(1, of: 3)], index: leftover.indexPath)) { try leftover.load() }

        // Shards 1 and 3 of 3 (shard 2's tensors merged into shard 1's entries of the map).
        let gap = try Directory(Self.llama, shards: 3)
        var map = try gap.readMap()
        for (k, v) in map where v == Directory.shardName(2, of: 3) { map[k] = Directory.shardName(1, of: 3) }
        try gap.writeIndex(map)
        try FileManager.default.removeItem(at: gap.url(Directory.shardName(2, of: 3)))
        let message = HuggingFaceValidationTests.message { try gap.load() }
        #expect(message.contains("invalid sharded-checkpoint index \(gap.indexPath)"), "\(message)")
        #expect(message.contains("expected shards 1 to 3, missing 2"), "\(message)")
    }

    @Test(arguments: [
        ("{\"weight_map\": [\"a\"]}", "\"weight_map\": expected an object, found an array of 1 element"),
        ("{\"metadata\": {}}", "no \"weight_map\""),
        ("{\"weight_map\": {}}", "\"weight_map\" is empty"),
        ("{\"weight_map\": {\"model.norm.weight\": 1}}", "weight_map[\"model.norm.weight\"]: expected a shard file name (a string), found the integer 1"),
        ("{\"weight_map\": {\"model.norm.weight\": \"../model.safetensors\"}}", "expected a file name beside the index, found \"../model.safetensors\""),
        ("{\"weight_map\": {\"model.norm.weight\": \"..\"}}", "expected a file name beside the index, found \"..\""),
        ("{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"y.safetensors\"}}", "\"a\""),
        ("{\"metadata\": 3, \"weight_map\": {\"a\": \"x.safetensors\"}}", "\"metadata\": expected an object, found the integer 3"),
        ("[1]", "expected a JSON object, found an array of 1 element"),
        ("{\"weight_map\": {\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00003.safetensors\"}}", "disagree on their total"),
    ])
    func malformedIndexesAreNamed(text: String, expected: String) throws {
        let dir = try Directory(Self.llama, shards: 2)
        for shard in [1, 2] { try FileManager.default.removeItem(at: dir.url(Directory.shardName(shard, of: 2))) }
        try dir.writeIndex(text: text)
        let message = HuggingFaceValidationTests.message { try dir.load() }
        #expect(message.contains(dir.indexPath) && message.contains(expected), "\(message)")
    }

    @Test func oneFileWinsOverAnIndexAsInTransformers() throws {
        let both = try Directory(Self.llama)
        try both.writeIndex(text: "not json")
        #expect(try both.load().stateDict == HookedTransformer.load(directory: Fixtures.url(Self.llama)).stateDict)
    }

    // MARK: Half precision

    /// F16 and BF16 weights (one file or sharded) load to exactly what Float32 weights rounded to
    /// that precision load to: every conversion happens on read, before any weight math.
    @Test(arguments: [SafetensorsDType.F16, .BF16])
    func halfPrecisionWeightsLoadAsTheirRoundedValues(dtype: SafetensorsDType) throws {
        for fixture in [Self.llama, Self.gpt2] {
            let half = try Directory(fixture, dtype: dtype)
            // The same values, rounded to `dtype` and stored as F32.
            let halfFile = try SafetensorsFile(contentsOf: half.url("model.safetensors"))
            #expect(halfFile.entries.values.allSatisfy { $0.dtype == dtype })
            let rounded = try halfFile.tensors()
            let reference = try Directory(fixture, tensors: { d in d = rounded })
            let expected = try reference.load().stateDict
            #expect(try half.load().stateDict == expected, "\(fixture) \(dtype)")
            #expect(try Directory(fixture, dtype: dtype, shards: 3).load().stateDict == expected, "\(fixture) \(dtype) sharded")
            // And rounding did happen: the rounded weights differ from the originals, but within the dtype's precision.
            let original = try HookedTransformer.load(directory: Fixtures.url(fixture)).stateDict
            let name = fixture == Self.llama ? "blocks.0.attn.W_Q" : "blocks.0.mlp.W_in"
            let (a, b) = (original[name]!.scalars, expected[name]!.scalars)
            #expect(a != b)
            let tolerance: Float = dtype == .F16 ? 0x1p-11 : 0x1p-8
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * abs($0) + 1e-7 }, "\(name) \(dtype)")
        }
    }

    // MARK: GGUF

    /// `gguf/llamatiny.gguf` is this LLaMA fixture as llama.cpp's converter stores it
    /// (`Scripts/make_gguf_model.py`: q/k rows permuted per head; F16 attention and embedding,
    /// Q8_0 MLP and head, F32 norms). It loads to the same config and to the fixture's weights
    /// within each storage type's rounding — the q/k permutation undone — and to nearly its logits
    /// (the same next-token choices).
    @Test func ggufOfTheLlamaFixtureLoadsToItsRoundedWeights() throws {
        let hf = try HookedTransformer.load(directory: Fixtures.url(Self.llama))
        let gguf = try HookedTransformer.load(gguf: Fixtures.url("gguf/llamatiny.gguf"))
        var config = gguf.config
        config.modelName = hf.config.modelName
        #expect(config == hf.config)
        let (a, b) = (hf.stateDict, gguf.stateDict)
        #expect(Set(a.keys) == Set(b.keys))
        for (name, original) in a {
            let (x, y) = (original.scalars, b[name]!.scalars)
            let q8 = name.contains("mlp.") || name.hasPrefix("unembed.")
            let norm = name.contains("ln") && name.hasSuffix(".w")
            // F16: half an ulp of 11 bits; Q8_0: half a step of a 32-block's scale max|w|/127.
            let largest = x.map(abs).max()!
            // (F16 subnormals, below 2^-14, are spaced 2^-24 apart.)
            let worst = zip(x, y).map { abs($0 - $1) - (norm ? 0 : q8 ? largest / 254 * 1.01 : 0x1p-11 * abs($0) + 0x1p-25) }.max()!
            #expect(worst <= 0, "\(name): \(worst) beyond the rounding of its storage type")
            if hf.parameterKinds[name] == .weight { #expect(x != y, "\(name) was not rounded") }
        }
        let tokens = IntTensor([[1, 5, 9, 2, 7, 3, 44, 0]])
        let (ha, ga) = (try hf(tokens), try gguf(tokens))
        // The Q8_0 MLP and head move logits of up to ±4.5 by up to 0.07.
        #expect(ga.isApproximatelyEqual(to: ha, absoluteTolerance: 0.1, relativeTolerance: 0))
        #expect(ga.argmax(axis: -1) == ha.argmax(axis: -1))
    }

    // MARK: Rotary base

    /// transformers 5 writes `rope_parameters.rope_theta`; older configs a top-level `rope_theta`;
    /// both say the base. SmolLM2's is 100000, which TransformerLens 4.3 misses (it reads only the
    /// old field and reports 10000).
    @Test func rotaryBaseFromEitherField() throws {
        func base(_ edit: @escaping (String) -> String) throws -> Float {
            try Directory(Self.llama, config: edit).load().config.rotaryBase
        }
        let parameters = "\"rope_parameters\": {\n    \"rope_theta\": 10000.0,\n    \"rope_type\": \"default\"\n  },"
        #expect(try base { $0 } == 10000)
        #expect(try base { $0.replacingOccurrences(of: "\"rope_theta\": 10000.0", with: "\"rope_theta\": 100000.0") } == 100000)
        // Legacy: top level only.
        #expect(try base { $0.replacingOccurrences(of: parameters, with: "\"rope_theta\": 100000.0,") } == 100000)
        // rope_type defaults to "default"; rope_theta inside wins over a stale top-level one (as in transformers).
        #expect(try base { $0.replacingOccurrences(of: parameters, with: "\"rope_parameters\": {\"rope_theta\": 500000},\n  \"rope_theta\": 10000.0,") } == 500000)
        // Neither: 10000.
        #expect(try base { $0.replacingOccurrences(of: parameters, with: "") } == 10000)
        // rope_parameters without rope_theta falls back to the top-level field.
        #expect(try base { $0.replacingOccurrences(of: parameters, with: "\"rope_parameters\": {\"rope_type\": \"default\"},\n  \"rope_theta\": 20000,") } == 20000)
        // Legacy rope_scaling with `type`.
        let scaled = try Directory(Self.llama, config: { $0.replacingOccurrences(of: parameters, with: "\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0},") })
        #expect(HuggingFaceValidationTests.message { try scaled.load() }.contains("\"dynamic\""))
    }

    // MARK: Tied embeddings

    /// Tied embeddings unembed with the embedding matrix whether or not `lm_head.weight` is stored
    /// (a stored copy is ignored, as transformers ties it on load). GPT-2 ties by default, LLaMA not.
    @Test func tiedEmbeddingsUnembedWithTheEmbedding() throws {
        let gpt2Default = try Directory(Self.gpt2, config: { $0.replacingOccurrences(of: "\"tie_word_embeddings\": true,", with: "") })
        #expect(try !String(contentsOf: gpt2Default.url("config.json"), encoding: .utf8).contains("tie_word_embeddings"))
        let gpt2Model = try gpt2Default.load()
        #expect(gpt2Model.stateDict["unembed.W_U"] == gpt2Model.stateDict["embed.W_E"]!.transposed())
        let gpt2Copy = try Directory(Self.gpt2, tensors: { d in d["lm_head.weight"] = .ones([50, 64]) })
        #expect(try gpt2Copy.load().stateDict == gpt2Model.stateDict)
        let gpt2Untied = try Directory(Self.gpt2, config: HuggingFaceValidationTests.set("tie_word_embeddings", "false"), tensors: { d in
            d["lm_head.weight"] = .ones([50, 64])
        })
        #expect(try gpt2Untied.load().stateDict["unembed.W_U"] == .ones([64, 50]))

        let llamaTied = try Directory(Self.llama, config: HuggingFaceValidationTests.set("tie_word_embeddings", "true"), shards: 2, tensors: { d in
            d["lm_head.weight"] = .ones(d["lm_head.weight"]!.shape)
        })
        let model = try llamaTied.load()
        #expect(model.stateDict["unembed.W_U"] == model.stateDict["embed.W_E"]!.transposed())
    }

    // MARK: Tokenizer

    @Test func tokenizerFileBesideTheWeightsIsFound() throws {
        let dir = try Directory(Self.llama)
        #expect(HookedTransformer.huggingFaceTokenizerFile(in: dir.directory) == nil)
        try Data("{}".utf8).write(to: dir.url("tokenizer.json"))
        #expect(HookedTransformer.huggingFaceTokenizerFile(in: dir.directory)?.path == dir.url("tokenizer.json").path)
        try FileManager.default.removeItem(at: dir.url("tokenizer.json"))
        try FileManager.default.createDirectory(at: dir.url("tokenizer.json"), withIntermediateDirectories: false)
        #expect(HookedTransformer.huggingFaceTokenizerFile(in: dir.directory) == nil)
    }
}
