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
    public static func load(directory: URL, process: Bool = false) throws -> HookedTransformer {
        let configURL = directory.appendingPathComponent("config.json")
        let data: Data
        do { data = try Data(contentsOf: configURL) } catch {
            throw ModelError.io("cannot read \(configURL.path): \(error.localizedDescription)")
        }
        let model: HookedTransformer
        if HuggingFaceCheckpoint.isHuggingFaceConfig(data) {
            model = try HuggingFaceCheckpoint.load(directory: directory, configData: data)
        } else {
            let config = try HookedTransformerConfig.decode(json: data)
            let weightsURL = directory.appendingPathComponent("weights.safetensors")
            guard FileManager.default.fileExists(atPath: weightsURL.path) else {
                throw ModelError.io("\(directory.path) has a TransformerLens config.json but no weights.safetensors")
            }
            let file = try SafetensorsFile(contentsOf: weightsURL)
            var dict: [String: Tensor] = [:]
            for name in file.names where !isBuffer(name) { dict[name] = try file.tensor(name) }
            model = try HookedTransformer(config: config, stateDict: dict)
        }
        return process ? try model.processed() : model
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
