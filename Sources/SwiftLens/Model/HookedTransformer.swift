import Foundation

/// A decoder-only transformer with a named hook point on every activation, matching
/// TransformerLens's classic `HookedTransformer` in names, shapes, firing order and numerics.
///
/// ```swift
/// let model = try HookedTransformer.load(directory: url)          // TL or Hugging Face layout
/// let logits = try model(tokens)                                   // [batch, pos, d_vocab]
/// let (_, cache) = try model.runWithCache(tokens)
/// let pattern = cache["pattern", 1]!                               // [batch, head, q, k]
/// ```
///
/// Architectures: attention-only, GPT-2 style (LayerNorm, learned positions, gelu_new / gelu /
/// relu / silu), LLaMA style (RMSNorm, rotary with either pairing and partial `rotary_dim`,
/// gated MLP, grouped-query attention), shortformer positions; normalisation LN, LNPre, RMS,
/// RMSPre or none.
///
/// The model is a reference type, like a PyTorch module: its parameters and attached hooks are
/// shared state. A call that passes its hooks as an argument (`forward(tokens, hooks:)`) does not
/// touch that state, so such calls can run on several threads at once.
public final class HookedTransformer {
    public let config: HookedTransformerConfig
    public var embed: Embed
    public var posEmbed: PosEmbed?
    public var blocks: [TransformerBlock]
    public var lnFinal: LayerNorm?
    public var unembed: Unembed

    /// Every hook point that fires in this model, in firing order.
    public let hookPoints: [HookName]
    let hookPointSet: Set<HookName>
    let registry = HookRegistry()
    let contextStorage: [HookName: HookStorage]

    /// A model with TransformerLens's "gpt2" initialisation: every `W_*` ~ N(0,
    /// initializer_range²), biases 0, norm weights 1, drawn in sorted parameter-name order from
    /// a generator seeded with `seed` (default: `config.seed`, else 0).
    public convenience init(config: HookedTransformerConfig, seed: UInt64? = nil) throws {
        let config = try config.validated()
        try self.init(validatedConfig: config)
        guard config.initMode == .gpt2 else {
            throw ConfigError.unsupported(field: "init_mode", value: config.initMode.rawValue, supported: "gpt2")
        }
        var generator = RandomGenerator(seed: seed ?? UInt64(max(config.seed ?? 0, 0)))
        let std = config.initializerRange
        for name in parameterNames.sorted() where name.split(separator: ".").last?.hasPrefix("W_") == true
            || name.split(separator: ".").last?.hasPrefix("_W_") == true {
            let shape = try parameter(name).shape
            try setParameter(name, Tensor.randomNormal(shape, std: std, using: &generator))
        }
    }

    /// A model with the given TransformerLens state dict (TL parameter names and shapes).
    /// Buffers TransformerLens keeps in its state dict (`attn.mask`, `attn.IGNORE`,
    /// `attn.rotary_sin/cos`) are ignored; any other unknown, missing or misshapen entry throws.
    public convenience init(config: HookedTransformerConfig, stateDict: [String: Tensor]) throws {
        try self.init(validatedConfig: try config.validated())
        try loadStateDict(stateDict)
    }

    /// Builds every component at its shape, with zero matrices and unit norm weights.
    init(validatedConfig c: HookedTransformerConfig) throws {
        config = c
        let d = c.dModel, h = c.nHeads, kv = c.keyValueHeads, dh = c.dHead
        embed = Embed(wE: .zeros([c.dVocab, d]))
        posEmbed = c.positionalEmbeddingType == .rotary ? nil : PosEmbed(wPos: .zeros([c.nCtx, d]))
        let rotary = c.positionalEmbeddingType == .rotary
            ? Rotary(rotaryDim: c.rotaryDim, contextLength: c.nCtx, base: c.rotaryBase, adjacentPairs: c.rotaryAdjacentPairs)
            : nil
        func norm(_ kind: HookedTransformerConfig.Normalization?) -> LayerNorm? {
            guard let kind else { return nil }
            let hasWeight = kind == .layerNorm || kind == .rms
            return LayerNorm(kind: kind, w: hasWeight ? .ones([d]) : nil, b: kind == .layerNorm ? .zeros([d]) : nil, eps: c.eps)
        }
        blocks = (0..<c.nLayers).map { l in
            let attn = Attention(wQ: .zeros([h, d, dh]), wK: .zeros([kv, d, dh]), wV: .zeros([kv, d, dh]), wO: .zeros([h, dh, d]),
                                 bQ: .zeros([h, dh]), bK: .zeros([kv, dh]), bV: .zeros([kv, dh]), bO: .zeros([d]),
                                 smear: c.smearKeys ? .zeros([kv]) : nil,
                                 layer: l, heads: h, keyValueHeads: kv, divisor: c.attentionDivisor(layer: l),
                                 causal: c.attentionDir == .causal, rotary: rotary)
            let mlp = c.attnOnly ? nil : MLP(wIn: .zeros([d, c.dMLP]), bIn: .zeros([c.dMLP]), wGate: c.gatedMLP ? .zeros([d, c.dMLP]) : nil,
                                              wOut: .zeros([c.dMLP, d]), bOut: .zeros([d]), activation: c.actFn ?? .relu, layer: l)
            return TransformerBlock(ln1: norm(c.normalizationType), attn: attn, ln2: c.attnOnly ? nil : norm(c.normalizationType),
                                    mlp: mlp, layer: l, parallel: c.parallelAttnMLP)
        }
        var finalKind = c.normalizationType
        if c.finalRMS, let k = finalKind { finalKind = (k == .layerNorm || k == .rms) ? .rms : .rmsPre }
        lnFinal = norm(finalKind)
        unembed = Unembed(wU: .zeros([d, c.dVocabOut]), bU: .zeros([c.dVocabOut]))

        var points: [HookName] = [.embed]
        if c.positionalEmbeddingType != .rotary { points.append(.posEmbed) }
        for block in blocks { points += block.hookPoints() }
        if lnFinal != nil { points += [.finalScale, .finalNormalized] }
        hookPoints = points
        hookPointSet = Set(points)
        contextStorage = Dictionary(uniqueKeysWithValues: points.map { ($0, HookStorage()) })
    }

    // MARK: Parameters

    /// Visits every parameter with its TransformerLens name; `body` may replace it.
    func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try embed.visitParameters(body)
        if posEmbed != nil { try posEmbed!.visitParameters(body) }
        let grouped = config.nKeyValueHeads != nil
        for i in blocks.indices { try blocks[i].visitParameters(grouped: grouped, body) }
        if lnFinal != nil { try lnFinal!.visitParameters("ln_final", body) }
        try unembed.visitParameters(body)
    }

    /// The TransformerLens names of all parameters, in module order.
    public var parameterNames: [String] {
        var names: [String] = []
        visitParameters { name, _ in names.append(name) }
        return names
    }

    /// Every parameter under its TransformerLens name (`blocks.0.attn.W_Q` …).
    public var stateDict: [String: Tensor] {
        var dict: [String: Tensor] = [:]
        visitParameters { name, t in dict[name] = t }
        return dict
    }

    /// The parameter named `name`.
    public func parameter(_ name: String) throws -> Tensor {
        var found: Tensor?
        visitParameters { n, t in if n == name { found = t } }
        guard let found else { throw ModelError.unknownParameter(name, available: parameterNames) }
        return found
    }

    /// Replaces the parameter named `name` (same shape required).
    public func setParameter(_ name: String, _ value: Tensor) throws {
        var matched = false
        try visitParameters { n, t in
            guard n == name else { return }
            guard t.shape == value.shape else { throw ModelError.parameterShape(name, expected: t.shape, found: value.shape) }
            t = value
            matched = true
        }
        if !matched { throw ModelError.unknownParameter(name, available: parameterNames) }
    }

    /// TransformerLens buffers that may appear in a state dict and carry nothing to load.
    static func isBuffer(_ name: String) -> Bool {
        ["attn.mask", "attn.IGNORE", "attn.rotary_sin", "attn.rotary_cos"].contains { name.hasSuffix($0) }
    }

    /// Loads every parameter from a TransformerLens state dict (buffers ignored). Nothing is
    /// changed if any entry is missing, unknown or misshapen.
    public func loadStateDict(_ dict: [String: Tensor]) throws {
        let names = parameterNames
        let wanted = Set(names)
        if let unknown = dict.keys.filter({ !wanted.contains($0) && !Self.isBuffer($0) }).sorted().first {
            throw ModelError.unknownParameter(unknown, available: names)
        }
        if let missing = names.first(where: { dict[$0] == nil }) { throw ModelError.missingParameter(missing) }
        try visitParameters { name, t in
            let value = dict[name]!
            guard value.shape == t.shape else { throw ModelError.parameterShape(name, expected: t.shape, found: value.shape) }
        }
        visitParameters { name, t in t = dict[name]! }
    }

    /// Frees the packed copies of the weights that short inputs (≤ 512 rows) use to skip
    /// re-packing each weight on every call (see `PackedWeights`); they are rebuilt on demand.
    public func releasePackedWeights() {
        unembed.packs.removeAll()
        for block in blocks {
            block.attn.packs.removeAll()
            block.mlp?.packs.removeAll()
        }
    }

    /// Bytes held by packed weight copies.
    public var packedWeightBytes: Int {
        blocks.reduce(unembed.packs.byteCount) { $0 + $1.attn.packs.byteCount + ($1.mlp?.packs.byteCount ?? 0) }
    }

    /// Total number of parameters.
    public var parameterCount: Int {
        var n = 0
        visitParameters { _, t in n += t.count }
        return n
    }
}

/// What went wrong running or loading a model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case emptyInput(shape: [Int])
    case sequenceTooLong(length: Int, contextLength: Int)
    case tokenOutOfRange(token: Int, batch: Int, position: Int, vocabulary: Int)
    case invalidTokensShape([Int])
    case invalidResidual(expected: [Int], found: [Int])
    case invalidLayerRange(start: Int, stop: Int, layers: Int)
    case lossNeedsTwoPositions(length: Int)
    case unknownParameter(String, available: [String])
    case missingParameter(String)
    case parameterShape(String, expected: [Int], found: [Int])
    case unsupportedCheckpoint(String)
    case invalidLossShape([Int])
    case noMLP(model: String)
    /// Two token batches that must have one shape (clean and corrupted, resample source) do not.
    case tokensShapeMismatch(purpose: String, expected: [Int], found: [Int])
    case io(String)

    public var description: String {
        switch self {
        case let .emptyInput(shape): "empty input: tokens of shape \(shape); expected at least one sequence of one token"
        case let .sequenceTooLong(length, n): "sequence of \(length) tokens is longer than the model's context n_ctx = \(n)"
        case let .tokenOutOfRange(token, b, p, v): "token id \(token) at batch \(b), position \(p) is outside the vocabulary 0..<\(v)"
        case let .invalidTokensShape(s): "tokens must be [batch, pos] (or [pos]); found shape \(s)"
        case let .invalidResidual(e, f): "residual input must have shape \(e); found \(f)"
        case let .invalidLayerRange(start, stop, n): "layer range \(start)..<\(stop) is not within 0...\(n)"
        case let .lossNeedsTwoPositions(length): "the next-token loss needs at least 2 positions; found \(length)"
        case let .unknownParameter(name, available):
            "no parameter named \"\(name)\" (this model has \(available.count): \(available.prefix(6).joined(separator: ", "))…)"
        case let .missingParameter(name): "state dict is missing the parameter \"\(name)\""
        case let .parameterShape(name, e, f): "parameter \"\(name)\" has shape \(f); this model expects \(e)"
        case let .unsupportedCheckpoint(reason): "unsupported checkpoint: \(reason)"
        case let .invalidLossShape(shape): "gradients need a scalar (one-element) value to differentiate; found shape \(shape)"
        case let .noMLP(model): "model \(model) has no MLP layers (attention-only)"
        case let .tokensShapeMismatch(purpose, e, f): "\(purpose) tokens must have the shape \(e); found \(f)"
        case let .io(reason): reason
        }
    }
}
