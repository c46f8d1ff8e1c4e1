import Foundation

extension HookedTransformer {
    /// Loads a model directory in either layout:
    ///
    /// - **TransformerLens**: `config.json` (a TL config object, or the fixture layout with the
    ///   config under `"cfg"`) and `weights.safetensors` (TL parameter names);
    /// - **Hugging Face** (GPT-2 or LLaMA): `config.json` with `model_type` / `architectures`
    ///   and `model.safetensors`, converted to TL names as TransformerLens does.
    ///
    /// - Parameter process: apply TransformerLens's default weight processing (fold_ln,
    ///   center_writing_weights, center_unembed, fold_value_biases), as `from_pretrained` does.
    ///
    /// The config is read first and every tensor's shape in the weights file's header is checked
    /// against it before any weight is read (a mismatch throws ``CheckpointError``); the weights
    /// are then read one tensor at a time, converted to TransformerLens names (and processed) in
    /// one state dict, and the model is built from it once: one resident copy of each weight.
    public static func load(directory: URL, process: Bool = false) throws -> HookedTransformer {
        let configURL = directory.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: configURL) } catch {
            throw ModelError.io("cannot read \(configURL.path): \(error.localizedDescription)")
        }
        var (config, dict) = HuggingFaceCheckpoint.isHuggingFaceConfig(data)
            ? try HuggingFaceCheckpoint.stateDict(directory: directory, configData: data)
            : try transformerLensStateDict(directory: directory, configData: data)
        if process { WeightProcessing.default.apply(config: &config, stateDict: &dict) }
        // Conversion intermediates (file tensors split, transposed or processed) went into the
        // buffer pool when freed; nothing reuses their sizes, so their pages go back now.
        TensorMemory.releaseCachedBuffers()
        return try HookedTransformer(config: config, stateDict: dict)
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
