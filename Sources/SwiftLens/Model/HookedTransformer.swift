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
/// relu / silu / solu / solu_ln), LLaMA style (RMSNorm, rotary with either pairing and partial `rotary_dim`,
/// gated MLP, grouped-query attention), shortformer positions; normalisation LN, LNPre, RMS,
/// RMSPre or none.
///
/// The model is a reference type, like a PyTorch module: its parameters, attached hooks,
/// spliced modules and hook contexts are shared state.
///
/// Concurrency: inference calls (`forward`, `loss`, `runWithCache`, sweeps …) may run on several
/// threads at once, with hooks passed per call (each call gets its own hook context storage)
/// or attached (they share the model's persistent, locked storage). Attaching and detaching
/// hooks is safe at any time but affects calls that start afterwards. Changing parameters
/// (`setParameter`, `loadStateDict`, training) and computing gradients
/// (`valueWithGradients`, `lossAndGradients`, `runWithGradientCache`, which swap the parameters
/// for tracked copies while they run) must not overlap with other calls on the same model.
public final class HookedTransformer: @unchecked Sendable {
    public let config: HookedTransformerConfig
    public var embed: Embed
    public var posEmbed: PosEmbed?
    public var blocks: [TransformerBlock]
    public var lnFinal: LayerNorm?
    public var unembed: Unembed
    /// The tokenizer that turns text into this model's token ids, if its checkpoint carries one
    /// (or a user sets it): what `toTokens`, `model(text)` and friends use.
    public var tokenizer: TokenizerBinding?

    let registry = HookRegistry()
    /// Hook points (components' and spliced modules'), their persistent contexts and the
    /// spliced modules; changed by `splice`, read by every run.
    private var points: HookPointTable
    private var splices: [HookName: [any SplicedModule]] = [:]
    private var contexts: [HookName: HookStorage] = [:]
    private let lock = NSLock()

    /// A model with TransformerLens's "gpt2" initialisation: every `W_*` ~ N(0,
    /// initializer_range²), biases 0, norm weights 1, drawn in sorted parameter-name order from
    /// a generator seeded with `seed` (default: `config.seed`, else 0).
    public convenience init(config: HookedTransformerConfig, seed: UInt64? = nil) throws {
        let config = try config.validated()
        guard config.initMode == .gpt2 else {
            throw ConfigError.unsupported(field: "init_mode", value: config.initMode.rawValue, supported: "gpt2")
        }
        // TransformerLens draws the matrices in sorted name order, which is not module order:
        // draw them first (the names and shapes come from a dry construction), then build each
        // component once from them — one copy of every weight, one pass over the parameters.
        var generator = RandomGenerator(seed: seed ?? UInt64(max(config.seed ?? 0, 0)))
        var drawn: [String: Tensor] = [:]
        for declaration in try Self.parameterDeclarations(config).filter({ $0.kind == .weight }).sorted(by: { $0.name < $1.name }) {
            drawn[declaration.name] = Tensor.randomNormal(declaration.shape, std: config.initializerRange, using: &generator)
        }
        try self.init(validatedConfig: config, parameters: ParameterSource { name, kind, shape in
            drawn.removeValue(forKey: name) ?? Self.freshParameters(name, kind, shape)
        })
    }

    /// A model with the given TransformerLens state dict (TL parameter names and shapes), its
    /// components built directly from the dictionary's tensors (nothing is allocated first).
    /// Buffers TransformerLens keeps in its state dict (`attn.mask`, `attn.IGNORE`,
    /// `attn.rotary_sin/cos`) are ignored; any other unknown, missing or misshapen entry throws.
    public convenience init(config: HookedTransformerConfig, stateDict: [String: Tensor]) throws {
        try self.init(config: config, stateDict: stateDict, prepared: [:])
    }

    /// A model from a state dict and weights `prepared` in a resident form of their own (a GGUF
    /// file's quantised blocks), by TransformerLens name; each name is in one of the two.
    convenience init(config: HookedTransformerConfig, stateDict: [String: Tensor], prepared: [String: Weight]) throws {
        var used = Set<String>()
        var source = ParameterSource { name, _, shape in
            guard let value = stateDict[name] else { throw ModelError.missingParameter(name) }
            guard value.shape == shape else { throw ModelError.parameterShape(name, expected: shape, found: value.shape) }
            used.insert(name)
            return value
        }
        source.prepared = { name in
            guard let weight = prepared[name] else { return nil }
            used.insert(name)
            return weight
        }
        try self.init(validatedConfig: try config.validated(), parameters: source)
        let given = Set(stateDict.keys).union(prepared.keys)
        if let unknown = given.filter({ !used.contains($0) && !Self.isBuffer($0) }).sorted().first {
            throw ModelError.unknownParameter(unknown, available: parameterNames)
        }
    }

    /// Every parameter the components of a model with `config` declare — name, kind and
    /// shape, in module order — from a construction that records each request and hands out
    /// empty tensors (nothing of the model's size is allocated).
    static func parameterDeclarations(_ config: HookedTransformerConfig) throws
        -> [(name: String, kind: ParameterKind, shape: [Int])] {
        var declared: [(name: String, kind: ParameterKind, shape: [Int])] = []
        _ = try HookedTransformer(validatedConfig: try config.validated(), parameters: ParameterSource { name, kind, shape in
            declared.append((name, kind, shape))
            return Tensor.zeros(shape.map { _ in 0 })
        })
        return declared
    }

    /// A fresh model's values: zero matrices and biases, unit norm weights.
    static func freshParameters(_ name: String, _ kind: ParameterKind, _ shape: [Int]) -> Tensor {
        kind == .normWeight ? Tensor.ones(shape) : Tensor.zeros(shape)
    }

    /// Builds every component once, each parameter taken from `parameters` at its final place.
    init(validatedConfig c: HookedTransformerConfig, parameters: ParameterSource) throws {
        config = c
        let d = c.dModel
        embed = try Embed(vocabulary: c.dVocab, width: d, parameters: parameters)
        posEmbed = c.positionalEmbeddingType == .rotary ? nil : try PosEmbed(context: c.nCtx, width: d, parameters: parameters)
        let rotary = c.positionalEmbeddingType == .rotary
            ? Rotary(rotaryDim: c.rotaryDim, base: c.rotaryBase, adjacentPairs: c.rotaryAdjacentPairs)
            : nil
        func norm(_ kind: HookedTransformerConfig.Normalization?, _ prefix: String) throws -> LayerNorm? {
            guard let kind else { return nil }
            return try LayerNorm(kind: kind, width: d, eps: c.eps, prefix: prefix, parameters: parameters)
        }
        blocks = try (0..<c.nLayers).map { l in
            let ln1 = try norm(c.normalizationType, "blocks.\(l).ln1")
            let attn = try Attention(layer: l, width: d, heads: c.nHeads, keyValueHeads: c.keyValueHeads, headWidth: c.dHead,
                                     grouped: c.nKeyValueHeads != nil, smearKeys: c.smearKeys,
                                     divisor: c.attentionDivisor(layer: l), causal: c.attentionDir == .causal, rotary: rotary,
                                     parameters: parameters)
            let ln2 = c.attnOnly ? nil : try norm(c.normalizationType, "blocks.\(l).ln2")
            let mlp = c.attnOnly ? nil : try MLP(layer: l, width: d, hidden: c.dMLP, gated: c.gatedMLP,
                                                 activation: c.actFn ?? .relu, normalization: c.normalizationType,
                                                 eps: c.eps, parameters: parameters)
            return TransformerBlock(layer: l, ln1: ln1, attn: attn, ln2: ln2, mlp: mlp, parallel: c.parallelAttnMLP)
        }
        var finalKind = c.normalizationType
        if c.finalRMS, let k = finalKind { finalKind = (k == .layerNorm || k == .rms) ? .rms : .rmsPre }
        lnFinal = try norm(finalKind, "ln_final")
        unembed = try Unembed(width: d, vocabulary: c.dVocabOut, parameters: parameters)
        points = HookPointTable([])
        points = HookPointTable(componentHookPoints())
    }

    // MARK: Hook points

    /// The components' hook points in firing order.
    private func componentHookPoints() -> [HookPoint] {
        [embed.point] + (posEmbed.map { [$0.point] } ?? []) + blocks.flatMap(\.hookPoints) + (lnFinal?.hookPoints ?? [])
    }

    /// Every hook point that fires in this model, in firing order (spliced modules' points
    /// right after their host point).
    public var hookPoints: [HookName] { hookPointTable.names }

    /// Every hook point with the layout its component declares, in firing order.
    public var declaredHookPoints: [HookPoint] { hookPointTable.points }

    /// The layout of the activation at `name`, nil if no such point fires in this model.
    public func layout(of name: HookName) -> ActivationLayout? { hookPointTable.layouts[name] }

    /// Hook points whose names satisfy `predicate`, in firing order.
    public func hookPoints(where predicate: (HookName) -> Bool) -> [HookName] { hookPoints.filter(predicate) }

    /// The current hook points (a consistent snapshot while modules are spliced in or out).
    var hookPointTable: HookPointTable { lock.withLock { points } }

    /// Splices `module` into the model at hook point `host`: it runs on the activation after
    /// `host`'s hooks in every later call, and its own hook points join ``hookPoints``.
    /// - Throws: ``HookError`` if `host` is not a hook point, or a module point's name is taken.
    public func splice(_ module: some SplicedModule, at host: HookName) throws {
        try lock.withLock {
            guard points.layouts[host] != nil else {
                throw HookError.unknownHookPoint(host, suggestions: HookRunner.suggestions(for: host, in: points.names))
            }
            if let taken = module.hookPoints.first(where: { points.layouts[$0.name] != nil }) {
                throw HookError.duplicateHookPoint(taken.name)
            }
            splices[host, default: []].append(module)
            points = HookPointTable(pointsWithSplices())
        }
    }

    /// Removes every module spliced at `host` (and their hook points); false if there was none.
    @discardableResult
    public func removeSplices(at host: HookName) -> Bool {
        lock.withLock {
            guard splices.removeValue(forKey: host) != nil else { return false }
            points = HookPointTable(pointsWithSplices())
            return true
        }
    }

    /// Components' points with each spliced module's points after its host (and after modules
    /// spliced at those points in turn).
    private func pointsWithSplices() -> [HookPoint] {
        func expand(_ point: HookPoint) -> [HookPoint] {
            [point] + (splices[point.name] ?? []).flatMap { $0.hookPoints.flatMap(expand) }
        }
        return componentHookPoints().flatMap(expand)
    }

    /// The model's persistent context storage for `name` (TransformerLens's `hook.ctx`).
    func persistentStorage(_ name: HookName) -> HookStorage {
        lock.withLock {
            if let storage = contexts[name] { return storage }
            let storage = HookStorage()
            contexts[name] = storage
            return storage
        }
    }

    /// Every persistent context made so far.
    var persistentStorages: [HookStorage] { lock.withLock { Array(contexts.values) } }

    /// A pass over the model with `plan`: the attached hooks followed by `extra`, resolved
    /// against the current hook points, and the spliced modules.
    func makePass(_ extra: [Hook], plan: ForwardPlan = ForwardPlan()) throws -> ForwardPass {
        let (table, spliced) = lock.withLock { (points, splices) }
        let runner = try HookRunner(attached: registry.hooks, perCall: extra, points: table.names, pointSet: table.set,
                                    persistentStorage: persistentStorage)
        return ForwardPass(plan: plan, hooks: runner, splices: spliced, restrictedLayer: nil)
    }

    /// A pass with `plan` that reuses an already resolved `runner` (generation resolves its
    /// hooks once, so per-call hook storage lasts the whole generation).
    func makePass(runner: HookRunner, plan: ForwardPlan) -> ForwardPass {
        ForwardPass(plan: plan, hooks: runner, splices: lock.withLock { splices }, restrictedLayer: nil)
    }

    // MARK: Parameters

    /// Visits every parameter with its TransformerLens name and kind; `body` may replace it.
    func visitParameters(_ body: ParameterVisitor) rethrows {
        try embed.visitParameters(body)
        try posEmbed?.visitParameters(body)
        for i in blocks.indices { try blocks[i].visitParameters(body) }
        try lnFinal?.visitParameters("ln_final", body)
        try unembed.visitParameters(body)
    }

    /// The TransformerLens names of all parameters, in module order.
    public var parameterNames: [String] {
        var names: [String] = []
        visitParameters { name, _, _ in names.append(name) }
        return names
    }

    /// The kind of each parameter, by TransformerLens name.
    public var parameterKinds: [String: ParameterKind] {
        var kinds: [String: ParameterKind] = [:]
        visitParameters { name, kind, _ in kinds[name] = kind }
        return kinds
    }

    /// Every parameter under its TransformerLens name (`blocks.0.attn.W_Q` …). Weights kept in
    /// the kernel's packed form are unpacked into fresh tensors.
    public var stateDict: [String: Tensor] {
        var dict: [String: Tensor] = [:]
        visitParameters { name, _, slot in dict[name] = slot.value }
        return dict
    }

    /// The parameter named `name`.
    public func parameter(_ name: String) throws -> Tensor {
        var found: Tensor?
        visitParameters { n, _, slot in if n == name { found = slot.value } }
        guard let found else { throw ModelError.unknownParameter(name, available: parameterNames) }
        return found
    }

    /// Replaces the parameter named `name` (same shape required).
    public func setParameter(_ name: String, _ value: Tensor) throws {
        var matched = false
        try visitParameters { n, _, slot in
            guard n == name else { return }
            guard slot.shape == value.shape else { throw ModelError.parameterShape(name, expected: slot.shape, found: value.shape) }
            slot.value = value
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
        try visitParameters { name, _, slot in
            guard let value = dict[name] else { throw ModelError.missingParameter(name) }
            guard value.shape == slot.shape else { throw ModelError.parameterShape(name, expected: slot.shape, found: value.shape) }
        }
        visitParameters { name, _, slot in slot.value = dict[name]! }
    }

    /// Bytes the parameters hold resident now (each weight once, in the form it is kept in).
    public var parameterBytes: Int {
        var bytes = 0
        visitParameters { _, _, slot in bytes += slot.weight?.residentBytes ?? slot.count * MemoryLayout<Float>.size }
        return bytes
    }

    /// Total number of parameters.
    public var parameterCount: Int {
        var n = 0
        visitParameters { _, _, slot in n += slot.count }
        return n
    }
}
