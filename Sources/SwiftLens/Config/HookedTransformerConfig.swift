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
    public enum Normalization: String, Codable, Sendable, CaseIterable {
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
    public enum PositionalEmbedding: String, Codable, Sendable, CaseIterable {
        /// Learned positions added to the residual stream.
        case standard
        /// Learned positions added to the query and key inputs only (Press et al.).
        case shortformer
        /// Rotary embeddings applied to queries and keys.
        case rotary
    }

    /// Which keys a query may attend to (`attention_dir`).
    public enum AttentionDirection: String, Codable, Sendable, CaseIterable {
        /// Keys at or before the query's position (a language model).
        case causal
        /// Every key (an encoder such as BERT).
        case bidirectional
    }

    /// How `HookedTransformer(config:seed:)` initialises the weights (`init_mode`).
    /// TransformerLens also offers the Xavier, Kaiming and muP schemes; this library implements
    /// only GPT-2's, and a config asking for another is rejected when decoded.
    public enum InitMode: String, Codable, Sendable, CaseIterable {
        /// Every `W_*` ~ N(0, initializer_range²), biases 0, norm weights 1.
        case gpt2
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
    public var attentionDir: AttentionDirection
    /// Gemma-2's soft cap on the attention scores, c·tanh(score / c) (`attn_scores_soft_cap`;
    /// TransformerLens writes −1 for none). nil: none — the only setting this library runs.
    public var attnScoresSoftCap: Float?
    /// The same soft cap on the output logits (`output_logits_soft_cap`; nil: none, the only
    /// setting this library runs).
    public var outputLogitsSoftCap: Float?
    public var initMode: InitMode
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

    /// Unsupported settings that are counts rather than switches: only `null` is their default.
    static let unsupportedCounts: Set<String> = ["num_experts"]

    /// Whether the unsupported setting `key` holds its default: `null`, or `false` for a switch.
    static func isDefault(_ value: JSONValue, for key: String) -> Bool {
        value == .null || (value == .bool(false) && !unsupportedCounts.contains(key))
    }

    /// A config with TransformerLens's defaults for everything not given.
    public init(nLayers: Int, dModel: Int, nCtx: Int, dHead: Int, nHeads: Int? = nil, dMLP: Int? = nil,
                dVocab: Int, dVocabOut: Int? = nil, actFn: Activation? = .relu, eps: Float = 1e-5,
                normalizationType: Normalization? = .layerNorm, finalRMS: Bool = false,
                positionalEmbeddingType: PositionalEmbedding = .standard, rotaryDim: Int? = nil,
                rotaryBase: Float = 10000, rotaryAdjacentPairs: Bool = false, attnOnly: Bool = false,
                gatedMLP: Bool = false, nKeyValueHeads: Int? = nil, useAttnScale: Bool = true, attnScale: Float? = nil,
                scaleAttnByInverseLayerIdx: Bool = false, parallelAttnMLP: Bool = false,
                attentionDir: AttentionDirection = .causal, initializerRange: Float? = nil, seed: Int? = nil,
                modelName: String = "custom", smearKeys: Bool = false) {
        self.nLayers = nLayers
        self.dModel = dModel
        self.nCtx = nCtx
        self.dHead = dHead
        self.nHeads = nHeads ?? (dHead > 0 ? dModel / dHead : 0)
        self.dMLP = dMLP ?? Self.saturatingProduct(4, dModel)
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
        self.attnScoresSoftCap = nil
        self.outputLogitsSoftCap = nil
        self.initMode = .gpt2
        self.initializerRange = initializerRange ?? 0.8 / Float(dModel).squareRoot()
        self.seed = seed
        self.modelName = modelName
        self.originalArchitecture = nil
        self.defaultPrependBOS = true
        self.tokenizerName = nil
        self.smearKeys = smearKeys
    }

    /// Decodes TransformerLens's field names; a missing field gets TransformerLens's default (see
    /// the type's documentation). Every field's type is checked strictly (``ConfigFields``): a
    /// value of the wrong kind — `true` for `n_layers`, `1e30` for an integer, `1e300` for a
    /// `Float` — is a ``ConfigError/wrongValue(field:expected:found:)`` naming the field, and an
    /// enumerated field must hold one of its values, else a
    /// ``ConfigError/unsupported(field:value:supported:)`` names the field and the value.
    public init(from decoder: Decoder) throws {
        let c: KeyedDecodingContainer<AnyCodingKey>
        do { c = try decoder.container(keyedBy: AnyCodingKey.self) } catch {
            throw ConfigError.invalidJSON("expected the config as a JSON object, found another kind of value")
        }
        var values: [String: JSONValue] = [:]
        for key in c.allKeys {
            do { values[key.stringValue] = try c.decode(JSONValue.self, forKey: key) } catch {
                throw ConfigError.wrongValue(field: key.stringValue, expected: "a JSON value",
                                             found: "a value the decoder could not read (a number beyond Double's range?)")
            }
        }
        try self.init(fields: ConfigFields(values))
    }

    /// A coding key for whatever members a config object has.
    private struct AnyCodingKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// The config a TransformerLens config object's members describe (unvalidated).
    init(fields f: ConfigFields) throws {
        func required(_ key: CodingKeys) throws -> Int {
            guard let v = try f.int(key.rawValue) else { throw ConfigError.missingField(key.rawValue) }
            return v
        }
        /// TransformerLens writes "unset" as 0 or −1 for several numbers.
        func positiveInt(_ key: CodingKeys) throws -> Int? { try f.int(key.rawValue).flatMap { $0 > 0 ? $0 : nil } }
        func positiveFloat(_ key: CodingKeys) throws -> Float? { try f.float(key.rawValue).flatMap { $0 > 0 ? $0 : nil } }
        func int(_ key: CodingKeys) throws -> Int? { try f.int(key.rawValue) }
        func float(_ key: CodingKeys, default fallback: Float) throws -> Float { try f.float(key.rawValue) ?? fallback }
        func bool(_ key: CodingKeys, default fallback: Bool) throws -> Bool { try f.bool(key.rawValue) ?? fallback }
        func string(_ key: CodingKeys) throws -> String? { try f.string(key.rawValue) }
        func choice<T: RawRepresentable & CaseIterable>(_ key: CodingKeys, nullMeans none: T?) throws -> T? where T.RawValue == String {
            try f.choice(key.rawValue, nullAllowed: none == nil) ?? none
        }
        let dModel = try required(.dModel), dHead = try required(.dHead)
        let dVocab = try int(.dVocab) ?? -1
        guard dVocab > 0 else { throw ConfigError.invalid(field: "d_vocab", reason: "must be set to the vocabulary size (found \(dVocab))") }
        // Absent means TransformerLens's default "LN"; an explicit null means no normalisation.
        let norm: Normalization? = f.contains(CodingKeys.normalizationType.rawValue)
            ? try choice(.normalizationType, nullMeans: nil) : .layerNorm
        // TransformerLens: a negative initializer_range means "derive it" (−1 is its default).
        let initializerRange = try f.float(CodingKeys.initializerRange.rawValue).flatMap { $0 >= 0 ? $0 : nil }
        self.init(nLayers: try required(.nLayers), dModel: dModel, nCtx: try required(.nCtx), dHead: dHead,
                  nHeads: try positiveInt(.nHeads), dMLP: try int(.dMLP), dVocab: dVocab,
                  dVocabOut: try positiveInt(.dVocabOut), actFn: try choice(.actFn, nullMeans: nil), eps: try float(.eps, default: 1e-5),
                  normalizationType: norm, finalRMS: try bool(.finalRMS, default: false),
                  positionalEmbeddingType: try choice(.positionalEmbeddingType, nullMeans: .standard)!,
                  rotaryDim: try int(.rotaryDim), rotaryBase: try float(.rotaryBase, default: 10000),
                  rotaryAdjacentPairs: try bool(.rotaryAdjacentPairs, default: false), attnOnly: try bool(.attnOnly, default: false),
                  gatedMLP: try bool(.gatedMLP, default: false), nKeyValueHeads: try int(.nKeyValueHeads),
                  useAttnScale: try bool(.useAttnScale, default: true), attnScale: try positiveFloat(.attnScale),
                  scaleAttnByInverseLayerIdx: try bool(.scaleAttnByInverseLayerIdx, default: false),
                  parallelAttnMLP: try bool(.parallelAttnMLP, default: false),
                  attentionDir: try choice(.attentionDir, nullMeans: .causal)!, initializerRange: initializerRange,
                  seed: try int(.seed), modelName: try string(.modelName) ?? "custom",
                  smearKeys: try bool(.smearKeys, default: false))
        attnScoresSoftCap = try positiveFloat(.attnScoresSoftCap)
        outputLogitsSoftCap = try positiveFloat(.outputLogitsSoftCap)
        initMode = try choice(.initMode, nullMeans: .gpt2)!
        originalArchitecture = try string(.originalArchitecture)
        defaultPrependBOS = try bool(.defaultPrependBOS, default: true)
        tokenizerName = try string(.tokenizerName)
    }

    /// Encodes every field under TransformerLens's name, in its form: `null` for no
    /// normalisation, −1 for no soft cap; `smear_keys` only when set.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nLayers, forKey: .nLayers); try c.encode(dModel, forKey: .dModel); try c.encode(nCtx, forKey: .nCtx)
        try c.encode(dHead, forKey: .dHead); try c.encode(nHeads, forKey: .nHeads); try c.encode(dMLP, forKey: .dMLP)
        try c.encode(dVocab, forKey: .dVocab); try c.encode(dVocabOut, forKey: .dVocabOut)
        try c.encode(actFn, forKey: .actFn); try c.encode(eps, forKey: .eps)
        try c.encode(normalizationType, forKey: .normalizationType); try c.encode(finalRMS, forKey: .finalRMS)
        try c.encode(positionalEmbeddingType, forKey: .positionalEmbeddingType)
        try c.encode(rotaryDim, forKey: .rotaryDim); try c.encode(rotaryBase, forKey: .rotaryBase)
        try c.encode(rotaryAdjacentPairs, forKey: .rotaryAdjacentPairs); try c.encode(attnOnly, forKey: .attnOnly)
        try c.encode(gatedMLP, forKey: .gatedMLP); try c.encode(nKeyValueHeads, forKey: .nKeyValueHeads)
        try c.encode(useAttnScale, forKey: .useAttnScale); try c.encode(attnScale, forKey: .attnScale)
        try c.encode(scaleAttnByInverseLayerIdx, forKey: .scaleAttnByInverseLayerIdx)
        try c.encode(parallelAttnMLP, forKey: .parallelAttnMLP); try c.encode(attentionDir, forKey: .attentionDir)
        try c.encode(attnScoresSoftCap ?? -1, forKey: .attnScoresSoftCap)
        try c.encode(outputLogitsSoftCap ?? -1, forKey: .outputLogitsSoftCap)
        try c.encode(initMode, forKey: .initMode); try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(seed, forKey: .seed); try c.encode(modelName, forKey: .modelName)
        try c.encode(originalArchitecture, forKey: .originalArchitecture)
        try c.encode(defaultPrependBOS, forKey: .defaultPrependBOS); try c.encode(tokenizerName, forKey: .tokenizerName)
        if smearKeys { try c.encode(true, forKey: .smearKeys) }
    }

    /// Decodes a TransformerLens config JSON: either the config object itself, or a wrapper with
    /// the config under `"cfg"` (the fixture layout). Fields this library does not implement
    /// must hold their defaults. The result is ``validated()``.
    ///
    /// The JSON is read by a strict reader (``JSONValue``) rather than `JSONSerialization` or
    /// `JSONDecoder`, so that every failure is a ``ConfigError`` naming the field (or the line
    /// and column of a syntax error) with what was expected and what was found.
    public static func decode(json data: Data) throws -> HookedTransformerConfig {
        let document: JSONValue
        do { document = try JSONValue.parse(data, origin: "config.json", maximumDepth: 128) } catch let error as JSONParseError {
            throw ConfigError.invalidJSON(error.description)
        }
        guard case var .object(dict) = document else {
            throw ConfigError.invalidJSON("expected a JSON object, found \(document.summary)")
        }
        if let inner = dict["cfg"] {
            guard case let .object(cfg) = inner else {
                throw ConfigError.wrongValue(field: "cfg", expected: "the config as a JSON object", found: inner.summary)
            }
            dict = cfg
        }
        for key in unsupportedFlags {
            if let value = dict[key], !isDefault(value, for: key) {
                throw ConfigError.unsupported(field: key, value: value.summary, supported: "its default")
            }
        }
        return try HookedTransformerConfig(fields: ConfigFields(dict)).validated()
    }

    /// Number of key/value heads (`n_heads` unless grouped-query attention).
    public var keyValueHeads: Int { nKeyValueHeads ?? nHeads }

    /// The effective divisor of layer `layer`'s attention scores.
    public func attentionDivisor(layer: Int) -> Float {
        var d: Float = useAttnScale ? attnScale : 1
        if scaleAttnByInverseLayerIdx { d *= Float(layer + 1) }
        return d
    }

    /// This config if it is consistent, supported and small enough to build; otherwise a
    /// ``ConfigError`` naming the offending fields, what they must be and what they are.
    ///
    /// Checks, in order: every size is positive; grouped-query and rotary sizes fit together;
    /// `eps`, `attn_scale` and (for rotary models) `rotary_base` are finite and positive,
    /// `initializer_range` finite and not negative; soft caps are off; the parameter count is
    /// computed with overflow-checked arithmetic (``parameterCount``), so that no later
    /// product of sizes can trap; and the parameters, with the bookkeeping of every layer's
    /// components, fit in ``HookedTransformer/memoryLimit`` bytes. Everything that builds a model (or, like a
    /// checkpoint loader, allocates by a config's sizes) validates first, so a hostile config
    /// fails here, before anything of its size is allocated.
    public func validated() throws -> HookedTransformerConfig {
        try validated(memoryLimit: HookedTransformer.memoryLimit)
    }

    /// ``validated()`` with an explicit budget for the parameters' bytes instead of
    /// ``HookedTransformer/memoryLimit`` (`Int.max`: no budget, only the overflow checks).
    public func validated(memoryLimit: Int) throws -> HookedTransformerConfig {
        func positive(_ value: Int, _ field: String) throws {
            if value <= 0 { throw ConfigError.invalid(field: field, reason: "must be positive, found \(value)") }
        }
        try positive(nLayers, "n_layers"); try positive(dModel, "d_model"); try positive(nCtx, "n_ctx")
        try positive(dHead, "d_head"); try positive(nHeads, "n_heads"); try positive(dVocab, "d_vocab")
        try positive(dVocabOut, "d_vocab_out")
        if !attnOnly {
            try positive(dMLP, "d_mlp")
            if actFn == nil { throw ConfigError.invalid(field: "act_fn", reason: "an MLP model needs an activation function") }
            // TransformerLens's gated MLP with solu_ln drops W_in (and hook_pre_linear) altogether.
            if gatedMLP, let actFn, actFn.isLayerNormActivation {
                throw ConfigError.unsupported(field: "act_fn", value: "\"\(actFn.rawValue)\" with gated_mlp",
                                              supported: "an activation without a norm in a gated MLP")
            }
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
            // θᵢ = base^(−i/(rotary_dim/2)): a base ≤ 0 gives NaN angles, an infinite one NaN or 0.
            if !(rotaryBase > 0 && rotaryBase.isFinite) {
                throw ConfigError.invalid(field: "rotary_base", reason: "must be a finite positive number, found \(rotaryBase)")
            }
        }
        if !(eps > 0 && eps.isFinite) { throw ConfigError.invalid(field: "eps", reason: "must be a finite positive number, found \(eps)") }
        if !(attnScale > 0 && attnScale.isFinite) {
            throw ConfigError.invalid(field: "attn_scale", reason: "must be a finite positive number, found \(attnScale)")
        }
        if scaleAttnByInverseLayerIdx && !(attnScale * Float(nLayers)).isFinite {
            throw ConfigError.invalid(field: "attn_scale",
                                      reason: "times n_layers (\(nLayers)) must be finite with scale_attn_by_inverse_layer_idx, found \(attnScale)")
        }
        if !(initializerRange >= 0 && initializerRange.isFinite) {
            throw ConfigError.invalid(field: "initializer_range", reason: "must be a finite number ≥ 0, found \(initializerRange)")
        }
        for (field, cap) in [("attn_scores_soft_cap", attnScoresSoftCap), ("output_logits_soft_cap", outputLogitsSoftCap)] {
            guard let cap else { continue }
            if !(cap > 0 && cap.isFinite) {
                throw ConfigError.invalid(field: field, reason: "must be a finite positive number (or nil for none), found \(cap)")
            }
            throw ConfigError.unsupported(field: field, value: "\(cap)", supported: "-1 (off)")
        }
        if parallelAttnMLP && attnOnly {
            throw ConfigError.invalid(field: "parallel_attn_mlp", reason: "an attention-only model has no MLP to run in parallel")
        }
        let bytes = try estimatedMemoryBytes
        if bytes > memoryLimit {
            throw ConfigError.exceedsMemoryLimit(bytes: bytes, limit: memoryLimit, largest: try parameterSizes().largest)
        }
        return self
    }

    /// `a · b`, or `Int.max` if that overflows (for derived defaults, which ``validated()``
    /// then reports as too large instead of trapping while the config is built).
    static func saturatingProduct(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? (a < 0) != (b < 0) ? Int.min : Int.max : p
    }
}
