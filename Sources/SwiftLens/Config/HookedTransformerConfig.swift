import Foundation

/// The architecture of a `HookedTransformer`, with TransformerLens's field names so that a TL
/// config JSON (`cfg.to_dict()`) decodes directly.
///
/// Unset fields get TransformerLens's defaults and derived values: `n_heads = d_model / d_head`,
/// `d_mlp = 4 · d_model`, `d_vocab_out = d_vocab`, `attn_scale = √d_head`, `rotary_dim = d_head`,
/// `initializer_range = 0.8 / √d_model`. ``validated()`` rejects inconsistent or unsupported
/// combinations with a ``ConfigError`` that names the fields.
public struct HookedTransformerConfig: Codable, Equatable, Sendable {
    /// LayerNorm-family choices (`normalization_type`).
    public enum Normalization: String, Codable, Sendable {
        /// LayerNorm with weight and bias.
        case layerNorm = "LN"
        /// LayerNorm without weight or bias (after folding).
        case layerNormPre = "LNPre"
        /// RMSNorm with weight.
        case rms = "RMS"
        /// RMSNorm without weight (after folding).
        case rmsPre = "RMSPre"
    }

    /// How positions enter the model (`positional_embedding_type`).
    public enum PositionalEmbedding: String, Codable, Sendable {
        /// Learned positions added to the residual stream.
        case standard
        /// Learned positions added to the query and key inputs only (Press et al.).
        case shortformer
        /// Rotary embeddings applied to queries and keys.
        case rotary
    }

    public var nLayers: Int
    public var dModel: Int
    public var nCtx: Int
    public var dHead: Int
    public var nHeads: Int
    public var dMLP: Int
    public var dVocab: Int
    public var dVocabOut: Int
    /// Activation function name (`act_fn`); ignored by attention-only models.
    public var actFn: Activation?
    public var eps: Float
    /// `nil` means no normalisation at all.
    public var normalizationType: Normalization?
    /// Use RMSNorm for `ln_final` even when the blocks use LayerNorm.
    public var finalRMS: Bool
    public var positionalEmbeddingType: PositionalEmbedding
    public var rotaryDim: Int
    public var rotaryBase: Float
    /// GPT-J pairing (2i, 2i+1) instead of GPT-NeoX/LLaMA halves (i, i + rotary_dim/2).
    public var rotaryAdjacentPairs: Bool
    public var attnOnly: Bool
    public var gatedMLP: Bool
    /// Grouped-query attention: number of key/value heads (`nil`: one per query head).
    public var nKeyValueHeads: Int?
    public var useAttnScale: Bool
    /// The divisor of the attention scores (√d_head unless set).
    public var attnScale: Float
    public var scaleAttnByInverseLayerIdx: Bool
    public var parallelAttnMLP: Bool
    /// `"causal"` or `"bidirectional"`.
    public var attentionDir: String
    public var attnScoresSoftCap: Float
    public var outputLogitsSoftCap: Float
    public var initMode: String
    public var initializerRange: Float
    public var seed: Int?
    public var modelName: String
    public var originalArchitecture: String?
    public var defaultPrependBOS: Bool
    public var tokenizerName: String?
    /// Smeared keys (Olsson et al. 2022, Argument 2): each head mixes the key at position j with
    /// the key at j − 1 by a learned σ(α) per head (parameter `blocks.L.attn.smear` [n_heads]).
    /// Not a TransformerLens option; written as `smear_keys`.
    public var smearKeys: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case nLayers = "n_layers", dModel = "d_model", nCtx = "n_ctx", dHead = "d_head", nHeads = "n_heads"
        case dMLP = "d_mlp", dVocab = "d_vocab", dVocabOut = "d_vocab_out", actFn = "act_fn", eps
        case normalizationType = "normalization_type", finalRMS = "final_rms"
        case positionalEmbeddingType = "positional_embedding_type", rotaryDim = "rotary_dim", rotaryBase = "rotary_base"
        case rotaryAdjacentPairs = "rotary_adjacent_pairs", attnOnly = "attn_only", gatedMLP = "gated_mlp"
        case nKeyValueHeads = "n_key_value_heads", useAttnScale = "use_attn_scale", attnScale = "attn_scale"
        case scaleAttnByInverseLayerIdx = "scale_attn_by_inverse_layer_idx", parallelAttnMLP = "parallel_attn_mlp"
        case attentionDir = "attention_dir", attnScoresSoftCap = "attn_scores_soft_cap"
        case outputLogitsSoftCap = "output_logits_soft_cap", initMode = "init_mode"
        case initializerRange = "initializer_range", seed, modelName = "model_name"
        case originalArchitecture = "original_architecture", defaultPrependBOS = "default_prepend_bos"
        case tokenizerName = "tokenizer_name"
        case smearKeys = "smear_keys"
    }

    /// TransformerLens fields whose non-default values this library does not implement; a config
    /// that sets one is rejected rather than run with different semantics.
    /// A boolean flag is at its default unless it is `true`; `num_experts` unless it is a number.
    static let unsupportedFlags = ["use_local_attn", "use_qk_norm", "post_embedding_ln", "use_normalization_before_and_after",
                                   "use_NTK_by_parts_rope", "ungroup_grouped_query_attention", "num_experts"]

    static func isDefault(_ value: Any) -> Bool {
        if value is NSNull { return true }
        if let b = value as? Bool, let n = value as? NSNumber, n.intValue <= 1 { return !b }
        return false
    }

    /// A config with TransformerLens's defaults for everything not given.
    public init(nLayers: Int, dModel: Int, nCtx: Int, dHead: Int, nHeads: Int? = nil, dMLP: Int? = nil,
                dVocab: Int, dVocabOut: Int? = nil, actFn: Activation? = .relu, eps: Float = 1e-5,
                normalizationType: Normalization? = .layerNorm, finalRMS: Bool = false,
                positionalEmbeddingType: PositionalEmbedding = .standard, rotaryDim: Int? = nil,
                rotaryBase: Float = 10000, rotaryAdjacentPairs: Bool = false, attnOnly: Bool = false,
                gatedMLP: Bool = false, nKeyValueHeads: Int? = nil, useAttnScale: Bool = true, attnScale: Float? = nil,
                scaleAttnByInverseLayerIdx: Bool = false, parallelAttnMLP: Bool = false,
                attentionDir: String = "causal", initializerRange: Float? = nil, seed: Int? = nil,
                modelName: String = "custom", smearKeys: Bool = false) {
        self.nLayers = nLayers
        self.dModel = dModel
        self.nCtx = nCtx
        self.dHead = dHead
        self.nHeads = nHeads ?? (dHead > 0 ? dModel / dHead : 0)
        self.dMLP = dMLP ?? 4 * dModel
        self.dVocab = dVocab
        self.dVocabOut = dVocabOut ?? dVocab
        self.actFn = actFn
        self.eps = eps
        self.normalizationType = normalizationType
        self.finalRMS = finalRMS
        self.positionalEmbeddingType = positionalEmbeddingType
        self.rotaryDim = rotaryDim ?? dHead
        self.rotaryBase = rotaryBase
        self.rotaryAdjacentPairs = rotaryAdjacentPairs
        self.attnOnly = attnOnly
        self.gatedMLP = gatedMLP
        self.nKeyValueHeads = nKeyValueHeads
        self.useAttnScale = useAttnScale
        self.attnScale = attnScale ?? Float(dHead).squareRoot()
        self.scaleAttnByInverseLayerIdx = scaleAttnByInverseLayerIdx
        self.parallelAttnMLP = parallelAttnMLP
        self.attentionDir = attentionDir
        self.attnScoresSoftCap = -1
        self.outputLogitsSoftCap = -1
        self.initMode = "gpt2"
        self.initializerRange = initializerRange ?? 0.8 / Float(dModel).squareRoot()
        self.seed = seed
        self.modelName = modelName
        self.originalArchitecture = nil
        self.defaultPrependBOS = true
        self.tokenizerName = nil
        self.smearKeys = smearKeys
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func required(_ key: CodingKeys) throws -> Int {
            guard let v = try c.decodeIfPresent(Int.self, forKey: key) else {
                throw ConfigError.missingField(key.rawValue)
            }
            return v
        }
        let dModel = try required(.dModel), dHead = try required(.dHead)
        let nHeads = try c.decodeIfPresent(Int.self, forKey: .nHeads).flatMap { $0 > 0 ? $0 : nil }
        let dVocab = try c.decodeIfPresent(Int.self, forKey: .dVocab) ?? -1
        guard dVocab > 0 else { throw ConfigError.invalid(field: "d_vocab", reason: "must be set to the vocabulary size (found \(dVocab))") }
        let actName = try c.decodeIfPresent(String.self, forKey: .actFn)
        var act: Activation?
        if let actName {
            guard let a = Activation(rawValue: actName) else {
                throw ConfigError.unsupported(field: "act_fn", value: actName,
                                              supported: Activation.allCases.map(\.rawValue).joined(separator: ", "))
            }
            act = a
        }
        // Absent means TransformerLens's default "LN"; an explicit null means no normalisation.
        let normName = c.contains(.normalizationType) ? try c.decodeIfPresent(String.self, forKey: .normalizationType) : "LN"
        var norm: Normalization?
        if let normName {
            guard let n = Normalization(rawValue: normName) else {
                throw ConfigError.unsupported(field: "normalization_type", value: normName, supported: "LN, LNPre, RMS, RMSPre, null")
            }
            norm = n
        }
        let posName = try c.decodeIfPresent(String.self, forKey: .positionalEmbeddingType) ?? "standard"
        guard let pos = PositionalEmbedding(rawValue: posName) else {
            throw ConfigError.unsupported(field: "positional_embedding_type", value: posName, supported: "standard, shortformer, rotary")
        }
        let attnScale = try c.decodeIfPresent(Float.self, forKey: .attnScale).flatMap { $0 > 0 ? $0 : nil }
        let initRange = try c.decodeIfPresent(Float.self, forKey: .initializerRange).flatMap { $0 > 0 ? $0 : nil }
        self.init(nLayers: try required(.nLayers), dModel: dModel, nCtx: try required(.nCtx), dHead: dHead, nHeads: nHeads,
                  dMLP: try c.decodeIfPresent(Int.self, forKey: .dMLP), dVocab: dVocab,
                  dVocabOut: try c.decodeIfPresent(Int.self, forKey: .dVocabOut).flatMap { $0 > 0 ? $0 : nil },
                  actFn: act, eps: try c.decodeIfPresent(Float.self, forKey: .eps) ?? 1e-5, normalizationType: norm,
                  finalRMS: try c.decodeIfPresent(Bool.self, forKey: .finalRMS) ?? false, positionalEmbeddingType: pos,
                  rotaryDim: try c.decodeIfPresent(Int.self, forKey: .rotaryDim),
                  rotaryBase: try c.decodeIfPresent(Float.self, forKey: .rotaryBase) ?? 10000,
                  rotaryAdjacentPairs: try c.decodeIfPresent(Bool.self, forKey: .rotaryAdjacentPairs) ?? false,
                  attnOnly: try c.decodeIfPresent(Bool.self, forKey: .attnOnly) ?? false,
                  gatedMLP: try c.decodeIfPresent(Bool.self, forKey: .gatedMLP) ?? false,
                  nKeyValueHeads: try c.decodeIfPresent(Int.self, forKey: .nKeyValueHeads),
                  useAttnScale: try c.decodeIfPresent(Bool.self, forKey: .useAttnScale) ?? true, attnScale: attnScale,
                  scaleAttnByInverseLayerIdx: try c.decodeIfPresent(Bool.self, forKey: .scaleAttnByInverseLayerIdx) ?? false,
                  parallelAttnMLP: try c.decodeIfPresent(Bool.self, forKey: .parallelAttnMLP) ?? false,
                  attentionDir: try c.decodeIfPresent(String.self, forKey: .attentionDir) ?? "causal",
                  initializerRange: initRange, seed: try c.decodeIfPresent(Int.self, forKey: .seed),
                  modelName: try c.decodeIfPresent(String.self, forKey: .modelName) ?? "custom")
        attnScoresSoftCap = try c.decodeIfPresent(Float.self, forKey: .attnScoresSoftCap) ?? -1
        outputLogitsSoftCap = try c.decodeIfPresent(Float.self, forKey: .outputLogitsSoftCap) ?? -1
        initMode = try c.decodeIfPresent(String.self, forKey: .initMode) ?? "gpt2"
        originalArchitecture = try c.decodeIfPresent(String.self, forKey: .originalArchitecture)
        defaultPrependBOS = try c.decodeIfPresent(Bool.self, forKey: .defaultPrependBOS) ?? true
        tokenizerName = try c.decodeIfPresent(String.self, forKey: .tokenizerName)
        smearKeys = try c.decodeIfPresent(Bool.self, forKey: .smearKeys) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nLayers, forKey: .nLayers); try c.encode(dModel, forKey: .dModel); try c.encode(nCtx, forKey: .nCtx)
        try c.encode(dHead, forKey: .dHead); try c.encode(nHeads, forKey: .nHeads); try c.encode(dMLP, forKey: .dMLP)
        try c.encode(dVocab, forKey: .dVocab); try c.encode(dVocabOut, forKey: .dVocabOut)
        try c.encode(actFn?.rawValue, forKey: .actFn); try c.encode(eps, forKey: .eps)
        try c.encode(normalizationType?.rawValue, forKey: .normalizationType); try c.encode(finalRMS, forKey: .finalRMS)
        try c.encode(positionalEmbeddingType.rawValue, forKey: .positionalEmbeddingType)
        try c.encode(rotaryDim, forKey: .rotaryDim); try c.encode(rotaryBase, forKey: .rotaryBase)
        try c.encode(rotaryAdjacentPairs, forKey: .rotaryAdjacentPairs); try c.encode(attnOnly, forKey: .attnOnly)
        try c.encode(gatedMLP, forKey: .gatedMLP); try c.encode(nKeyValueHeads, forKey: .nKeyValueHeads)
        try c.encode(useAttnScale, forKey: .useAttnScale); try c.encode(attnScale, forKey: .attnScale)
        try c.encode(scaleAttnByInverseLayerIdx, forKey: .scaleAttnByInverseLayerIdx)
        try c.encode(parallelAttnMLP, forKey: .parallelAttnMLP); try c.encode(attentionDir, forKey: .attentionDir)
        try c.encode(attnScoresSoftCap, forKey: .attnScoresSoftCap); try c.encode(outputLogitsSoftCap, forKey: .outputLogitsSoftCap)
        try c.encode(initMode, forKey: .initMode); try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(seed, forKey: .seed); try c.encode(modelName, forKey: .modelName)
        try c.encode(originalArchitecture, forKey: .originalArchitecture)
        try c.encode(defaultPrependBOS, forKey: .defaultPrependBOS); try c.encode(tokenizerName, forKey: .tokenizerName)
        if smearKeys { try c.encode(true, forKey: .smearKeys) }
    }

    /// Decodes a TransformerLens config JSON: either the config object itself, or a wrapper with
    /// the config under `"cfg"` (the fixture layout). Fields this library does not implement
    /// must hold their defaults.
    public static func decode(json data: Data) throws -> HookedTransformerConfig {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ConfigError.invalidJSON(error.localizedDescription)
        }
        guard var dict = object as? [String: Any] else { throw ConfigError.invalidJSON("expected a JSON object") }
        if let inner = dict["cfg"] as? [String: Any] { dict = inner }
        for key in unsupportedFlags {
            if let value = dict[key], !isDefault(value) {
                throw ConfigError.unsupported(field: key, value: "\(value)", supported: "its default")
            }
        }
        let config: HookedTransformerConfig
        do {
            config = try JSONDecoder().decode(HookedTransformerConfig.self, from: JSONSerialization.data(withJSONObject: dict))
        } catch let error as ConfigError {
            throw error
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ConfigError.invalid(field: context.codingPath.map(\.stringValue).joined(separator: "."),
                                      reason: context.debugDescription)
        }
        return try config.validated()
    }

    /// Number of key/value heads (`n_heads` unless grouped-query attention).
    public var keyValueHeads: Int { nKeyValueHeads ?? nHeads }

    /// The effective divisor of layer `layer`'s attention scores.
    public func attentionDivisor(layer: Int) -> Float {
        var d: Float = useAttnScale ? attnScale : 1
        if scaleAttnByInverseLayerIdx { d *= Float(layer + 1) }
        return d
    }

    /// This config if it is consistent and supported; otherwise a `ConfigError` naming the
    /// offending fields.
    public func validated() throws -> HookedTransformerConfig {
        func positive(_ value: Int, _ field: String) throws {
            if value <= 0 { throw ConfigError.invalid(field: field, reason: "must be positive, found \(value)") }
        }
        try positive(nLayers, "n_layers"); try positive(dModel, "d_model"); try positive(nCtx, "n_ctx")
        try positive(dHead, "d_head"); try positive(nHeads, "n_heads"); try positive(dVocab, "d_vocab")
        try positive(dVocabOut, "d_vocab_out")
        if !attnOnly {
            try positive(dMLP, "d_mlp")
            if actFn == nil { throw ConfigError.invalid(field: "act_fn", reason: "an MLP model needs an activation function") }
        }
        if let kv = nKeyValueHeads {
            try positive(kv, "n_key_value_heads")
            if nHeads % kv != 0 {
                throw ConfigError.invalid(field: "n_key_value_heads", reason: "n_heads (\(nHeads)) must be a multiple of it (\(kv))")
            }
        }
        if positionalEmbeddingType == .rotary {
            if rotaryDim <= 0 || rotaryDim > dHead || rotaryDim % 2 != 0 {
                throw ConfigError.invalid(field: "rotary_dim", reason: "must be even and in 2...d_head (\(dHead)), found \(rotaryDim)")
            }
        }
        if !(eps > 0) { throw ConfigError.invalid(field: "eps", reason: "must be positive, found \(eps)") }
        if !(attnScale > 0) { throw ConfigError.invalid(field: "attn_scale", reason: "must be positive, found \(attnScale)") }
        if attentionDir != "causal" && attentionDir != "bidirectional" {
            throw ConfigError.unsupported(field: "attention_dir", value: attentionDir, supported: "causal, bidirectional")
        }
        if attnScoresSoftCap > 0 {
            throw ConfigError.unsupported(field: "attn_scores_soft_cap", value: "\(attnScoresSoftCap)", supported: "-1 (off)")
        }
        if outputLogitsSoftCap > 0 {
            throw ConfigError.unsupported(field: "output_logits_soft_cap", value: "\(outputLogitsSoftCap)", supported: "-1 (off)")
        }
        if parallelAttnMLP && attnOnly {
            throw ConfigError.invalid(field: "parallel_attn_mlp", reason: "an attention-only model has no MLP to run in parallel")
        }
        return self
    }
}

/// What is wrong with a model config.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case missingField(String)
    case invalid(field: String, reason: String)
    case unsupported(field: String, value: String, supported: String)
    case invalidJSON(String)

    public var description: String {
        switch self {
        case let .missingField(f): "config is missing the required field \"\(f)\""
        case let .invalid(field, reason): "config field \"\(field)\": \(reason)"
        case let .unsupported(field, value, supported): "config field \"\(field)\" = \(value) is not supported (expected \(supported))"
        case let .invalidJSON(reason): "config JSON could not be read: \(reason)"
        }
    }
}
