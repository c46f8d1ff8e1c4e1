import Foundation

extension HookedTransformer {
    /// Loads a model from a GGUF file (see ``load(gguf:)``) or a directory in TransformerLens or
    /// Hugging Face layout (see ``load(directory:process:)``).
    ///
    /// - Parameter keepQuantized: for a GGUF file, keep the matrices in the file's block format
    ///   (see ``load(gguf:keepQuantized:)``); ignored for directories and with `process`
    ///   (weight processing works on Float32 weights).
    public static func load(_ url: URL, process: Bool = false, keepQuantized: Bool = false) throws -> HookedTransformer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.io("\(url.path) does not exist (expected a GGUF file or a model directory)")
        }
        if isDirectory.boolValue { return try load(directory: url, process: process) }
        let model = try load(gguf: url, keepQuantized: keepQuantized && !process)
        return process ? try model.processed() : model
    }

    /// Loads a GGUF file (architectures `llama`, `qwen2`, `gpt2`): its metadata becomes the
    /// config, its tensors — dequantised to Float32, `attn_q`/`attn_k` rows of `llama` files
    /// put back in Hugging Face's order — the TransformerLens state dict, every shape checked
    /// against the config before a weight is read.
    ///
    /// - Parameter keepQuantized: keep the matrices of a `llama` / `qwen2` file in its block
    ///   format (Q8_0, Q4_0/1, Q5_0/1, Q2_K…Q6_K, F16, BF16): products decode the blocks inside
    ///   the kernel with Float32 activations, so every activation is the one the dequantised
    ///   model gives up to summation order, while the weights take the file's size in memory
    ///   (SmolLM2-135M in Q4_1: `parameterBytes` 127 MB instead of 652 MB, counting the
    ///   embedding's blocks twice; the embedding is kept as a table of quantised rows, of which
    ///   a pass decodes its tokens', and a tied unembedding shares them).
    ///   Reading a weight (`model.parameter("blocks.0.attn.W_Q")`) dequantises it; setting one
    ///   makes it Float32.
    public static func load(gguf url: URL, keepQuantized: Bool = false) throws -> HookedTransformer {
        let file = try GGUFFile(contentsOf: url)
        var (config, dict, prepared) = try GGUFCheckpoint.stateDict(file, keepingQuantized: keepQuantized)
        let tokenizer = try GGUFCheckpoint.tokenizer(file)
        prepared.merge(tieUnembedding(&dict, processing: false, prepared: prepared)) { a, _ in a }
        TensorMemory.releaseCachedBuffers()
        let model = try HookedTransformer(config: config, stateDict: dict, prepared: prepared)
        model.tokenizer = tokenizer
        return model
    }

    /// A tied unembedding, which the Hugging Face and GGUF conversions leave out of the state
    /// dict (`unembed.W_U` absent, `embed.W_E` present): W_U = W_Eᵀ. A model used as loaded gets
    /// it packed straight from W_E (one packed copy, no transposed one: ~113 MB less at the
    /// peak of a SmolLM2 load); weight processing, which changes W_U, gets the transposed
    /// tensor in the dict.
    static func tieUnembedding(_ dict: inout [String: Tensor], processing: Bool, prepared: [String: Weight] = [:]) -> [String: Weight] {
        guard dict["unembed.W_U"] == nil, prepared["unembed.W_U"] == nil, let embedding = dict["embed.W_E"] else { return [:] }
        if processing {
            dict["unembed.W_U"] = embedding.transposed()
            return [:]
        }
        return ["unembed.W_U": Weight(transposing: embedding)]
    }

    /// Loads a model directory in either layout:
    ///
    /// - **TransformerLens**: `config.json` (a TL config object, or the fixture layout with the
    ///   config under `"cfg"`) and `weights.safetensors` (TL parameter names);
    /// - **Hugging Face** (GPT-2 or LLaMA): `config.json` with `model_type` / `architectures`
    ///   and `model.safetensors` (or the shards of `model.safetensors.index.json`; F32, F16 or
    ///   BF16), converted to TL names as TransformerLens does. Its `tokenizer.json`, if any, is
    ///   found with ``huggingFaceTokenizerFile(in:)``.
    ///
    /// - Parameter process: apply TransformerLens's default weight processing (fold_ln,
    ///   center_writing_weights, center_unembed, fold_value_biases), as `from_pretrained` does.
    ///
    /// The config is read first and every tensor's shape in the weights file's header is checked
    /// against it before any weight is read (a mismatch throws ``CheckpointError``); the weights
    /// are then read one tensor at a time, converted to TransformerLens names (and processed) in
    /// one state dict, and the model is built from it once: one resident copy of each weight.
    public static func load(directory: URL, process: Bool = false) throws -> HookedTransformer {
        let (data, configPath) = try readConfig(in: directory)
        // Strict JSON first, for either layout: a repeated key, text that is not UTF-8 or nesting
        // past any config's is an error naming the file, not a guess.
        let json: JSONValue
        do { json = try JSONValue.parse(data, origin: configPath) } catch let error as JSONParseError {
            throw ConfigError.invalidJSON(error.description)
        }
        guard let object = json.object else {
            throw ConfigError.invalidJSON("\(configPath): expected a JSON object (a TransformerLens or Hugging Face config), found \(json.summary)")
        }
        var (config, dict) = HuggingFaceConfig.isHuggingFace(object)
            ? try HuggingFaceCheckpoint.stateDict(directory: directory, fields: object, configPath: configPath)
            : try transformerLensStateDict(directory: directory, configData: data)
        let prepared = tieUnembedding(&dict, processing: process)
        if process { WeightProcessing.default.apply(config: &config, stateDict: &dict) }
        // Conversion intermediates (file tensors split, transposed or processed) went into the
        // buffer pool when freed; nothing reuses their sizes, so their pages go back now.
        TensorMemory.releaseCachedBuffers()
        let model = try HookedTransformer(config: config, stateDict: dict, prepared: prepared)
        // A Hugging Face directory's tokenizer.json, if any (it adds no BOS: its post-processor
        // is not applied, and GPT-2's and SmolLM2's add none).
        if let url = huggingFaceTokenizerFile(in: directory) {
            model.tokenizer = TokenizerBinding(try BPETokenizer(huggingFaceJSON: url))
        }
        return model
    }

    /// The Hugging Face `tokenizer.json` in `directory` — where `save_pretrained` puts it, beside
    /// the config and weights — or nil when there is none (or it is not a regular file).
    ///
    /// A loaded model does not carry its tokenizer (``HookedTransformerConfig/tokenizerName`` is
    /// TransformerLens's hub name, not a file), so code that loads a Hugging Face directory asks
    /// for the tokenizer file here, with the same directory, and hands it to a tokenizer reader.
    public static func huggingFaceTokenizerFile(in directory: URL) -> URL? {
        let url = directory.appendingPathComponent("tokenizer.json")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return url
    }

    /// Largest `config.json` read: configs are a few kilobytes, so anything near this is not one.
    static let maximumConfigBytes = 16 << 20

    /// The bytes and path of `directory`'s `config.json`, checked to be a regular file of a
    /// config's size before it is read.
    private static func readConfig(in directory: URL) throws -> (Data, String) {
        let url = directory.appendingPathComponent("config.json")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError.io("\(directory.path) is not a directory; expected a model directory holding config.json and the weights")
        }
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ModelError.io("\(directory.path) has no config.json; expected a TransformerLens or Hugging Face model directory")
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumConfigBytes else {
            throw ModelError.io("\(url.path) is \(size) bytes; expected a config of at most \(maximumConfigBytes) bytes")
        }
        do {
            return (try Data(contentsOf: url), url.path)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw ModelError.io("cannot read \(url.path): \(reason)")
        }
    }

    /// The config and state dict of a TransformerLens-layout directory, every header shape
    /// checked against the config (and no tensor but TransformerLens's buffers left over) before
    /// any weight is read.
    private static func transformerLensStateDict(directory: URL, configData: Data) throws -> (HookedTransformerConfig, [String: Tensor]) {
        let config = try HookedTransformerConfig.decode(json: configData).validated()
        let weightsURL = directory.appendingPathComponent("weights.safetensors")
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw ModelError.io("\(directory.path) has a TransformerLens config.json but no weights.safetensors")
        }
        let shapes = try config.parameterShapes
        let file = try CheckedCheckpoint(SafetensorsFile(contentsOf: weightsURL),
                                         expecting: shapes.map { .init([$0.name], $0.shape) }, tolerated: isBuffer)
        var dict: [String: Tensor] = [:]
        for (name, _) in shapes { dict[name] = try file.tensor(name) }
        return (config, dict)
    }

    /// Writes the model in the TransformerLens layout: `config.json` (the TL config object) and
    /// `weights.safetensors` (TL names, F32).
    public func save(to directory: URL, metadata: [String: String] = [:]) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(config).write(to: directory.appendingPathComponent("config.json"))
        } catch {
            throw ModelError.io("cannot write \(directory.path): \(error.localizedDescription)")
        }
        try SafetensorsFile.write(floats: stateDict, metadata: ["format": "transformer_lens"].merging(metadata) { $1 },
                                  to: directory.appendingPathComponent("weights.safetensors"))
    }
}
