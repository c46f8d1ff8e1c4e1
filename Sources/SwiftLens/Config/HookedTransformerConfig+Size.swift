extension HookedTransformerConfig {
    /// Number of parameters a model of this config holds — the sum, over every tensor in
    /// `HookedTransformer.parameterNames`, of the product of its shape — computed from the
    /// config alone with overflow-checked arithmetic, so it can be asked of any config before
    /// anything is built or allocated.
    /// - Throws: ``ConfigError/sizeOverflow(tensor:size:)`` naming the tensor whose size (or the
    ///   total) does not fit in an `Int`.
    public var parameterCount: Int {
        get throws { try parameterSizes().count }
    }

    /// Bytes the parameters take as `Float`s (4 per parameter): what building a model of this
    /// config allocates, and what ``validated()`` compares with
    /// ``HookedTransformer/memoryLimit``.
    /// - Throws: ``ConfigError/sizeOverflow(tensor:size:)`` if it does not fit in an `Int`.
    public var parameterBytes: Int {
        get throws {
            let count = try parameterCount
            let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
            if overflow {
                throw ConfigError.sizeOverflow(tensor: "the model's parameters", size: "\(count) parameters × 4 bytes, in bytes,")
            }
            return bytes
        }
    }

    /// Bytes a model's construction takes besides the parameters' values, per layer: its
    /// components, hook points, parameter names and tensor headers (measured at 7–10 KiB for a
    /// block of a tiny model). It dominates when the sizes are tiny and `n_layers` is huge.
    static let bookkeepingBytesPerLayer = 8 << 10

    /// What building a model of this config takes, as ``validated()`` budgets it:
    /// ``parameterBytes`` plus ``bookkeepingBytesPerLayer`` per layer, overflow-checked.
    var estimatedMemoryBytes: Int {
        get throws {
            let (bookkeeping, o1) = nLayers.multipliedReportingOverflow(by: Self.bookkeepingBytesPerLayer)
            let (total, o2) = try parameterBytes.addingReportingOverflow(bookkeeping)
            if o1 || o2 {
                throw ConfigError.sizeOverflow(tensor: "the model", size: "its bytes (parameters + \(nLayers) layers' bookkeeping)")
            }
            return total
        }
    }

    /// One parameter tensor (all layers' copies together for a block's tensor) as the fields
    /// whose product is its element count.
    private struct Term {
        let name: String
        let factors: [(field: String, value: Int)]

        /// The element count, or the overflow named.
        func count() throws -> Int {
            var product = 1
            for (_, value) in factors {
                let (p, overflow) = product.multipliedReportingOverflow(by: value)
                if overflow || value < 0 { throw ConfigError.sizeOverflow(tensor: name, size: spelled) }
                product = p
            }
            return product
        }

        /// "n_heads × d_model × d_head = 4 × 64 × 16".
        var spelled: String {
            factors.map(\.field).joined(separator: " × ") + " = " + factors.map { "\($0.value)" }.joined(separator: " × ")
        }
    }

    /// Every parameter tensor's term, in module order, mirroring the components' declarations
    /// (`ModelTests` checks the count against built models of every architecture).
    private var terms: [Term] {
        let d = ("d_model", dModel), h = ("n_heads", nHeads), kv = ("n_key_value_heads", keyValueHeads)
        let dh = ("d_head", dHead), m = ("d_mlp", dMLP), layers = ("n_layers", nLayers)
        func block(_ name: String, _ factors: (String, Int)...) -> Term {
            Term(name: "blocks.*.\(name) (all layers)", factors: [layers] + factors.map { (field: $0.0, value: $0.1) })
        }
        func global(_ name: String, _ factors: (String, Int)...) -> Term {
            Term(name: name, factors: factors.map { (field: $0.0, value: $0.1) })
        }
        func norm(_ kind: Normalization?, _ make: (String) -> Term) -> [Term] {
            switch kind {
            case .layerNorm: [make("w"), make("b")]
            case .rms: [make("w")]
            case .layerNormPre, .rmsPre, nil: []
            }
        }
        var terms = [global("embed.W_E", ("d_vocab", dVocab), d)]
        if positionalEmbeddingType != .rotary { terms.append(global("pos_embed.W_pos", ("n_ctx", nCtx), d)) }
        terms += norm(normalizationType) { block("ln1.\($0)", d) }
        terms += [block("attn.W_Q", h, d, dh), block("attn.W_K", kv, d, dh), block("attn.W_V", kv, d, dh),
                  block("attn.W_O", h, dh, d), block("attn.b_Q", h, dh), block("attn.b_K", kv, dh),
                  block("attn.b_V", kv, dh), block("attn.b_O", d)]
        if smearKeys { terms.append(block("attn.smear", kv)) }
        if !attnOnly {
            terms += norm(normalizationType) { block("ln2.\($0)", d) }
            terms += [block("mlp.W_in", d, m), block("mlp.b_in", m)]
            if gatedMLP { terms.append(block("mlp.W_gate", d, m)) }
            terms += [block("mlp.W_out", m, d), block("mlp.b_out", d)]
            if actFn?.isLayerNormActivation == true {
                terms += norm(normalizationType == .layerNorm ? .layerNorm : .layerNormPre) { block("mlp.ln.\($0)", m) }
            }
        }
        var finalKind = normalizationType
        if finalRMS, let k = finalKind { finalKind = (k == .layerNorm || k == .rms) ? .rms : .rmsPre }
        terms += norm(finalKind) { global("ln_final.\($0)", d) }
        terms += [global("unembed.W_U", d, ("d_vocab_out", dVocabOut)), global("unembed.b_U", ("d_vocab_out", dVocabOut))]
        return terms
    }

    /// The parameter count and the largest tensor described ("pos_embed.W_pos: n_ctx × d_model
    /// = 1000000000 × 64 elements"), every product and the sum overflow-checked.
    func parameterSizes() throws -> (count: Int, largest: String) {
        var total = 0, largest = (count: -1, description: "")
        for term in terms {
            let count = try term.count()
            let (sum, overflow) = total.addingReportingOverflow(count)
            if overflow {
                throw ConfigError.sizeOverflow(tensor: "the model", size: "the sum of its tensors' sizes (\(total) + \(term.name): \(count))")
            }
            total = sum
            if count > largest.count { largest = (count, "\(term.name): \(term.spelled) elements") }
        }
        return (total, largest.description)
    }
}
