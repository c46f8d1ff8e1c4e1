import Foundation
import SwiftLens
import Testing

/// Issue 11: a config from outside the program never traps, aborts or is wrongly accepted.
/// Sizes are checked with overflow-checked arithmetic and against a memory budget before
/// anything is allocated; values that make no sense (a rotary base ≤ 0, an infinite eps) and
/// values of the wrong kind (`true` for a number, `1e30` for an `Int`) are ``ConfigError``s
/// naming the field, what was expected and what was found; rotary tables are sized by the run.
@Suite struct ConfigValidationTests {
    /// The gpt2tiny fixture's TransformerLens config (d_model 64, d_mlp 256, 2 layers) with
    /// `changes` applied, as JSON.
    static func fixtureConfig(_ changes: [String: Any], model name: String = "gpt2tiny") throws -> Data {
        var top = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("classic/\(name)/config.json"))) as! [String: Any]
        var cfg = top["cfg"] as! [String: Any]
        cfg.merge(changes) { $1 }
        top["cfg"] = cfg
        return try JSONSerialization.data(withJSONObject: top)
    }

    static let minimal = #"{"n_layers": 1, "d_model": 16, "n_ctx": 8, "d_head": 4, "d_vocab": 10, "act_fn": "gelu""#

    static func decode(_ extra: String) throws -> HookedTransformerConfig {
        try HookedTransformerConfig.decode(json: Data((minimal + extra + "}").utf8))
    }

    /// The error `body` throws, which must be a ``ConfigError``.
    static func configError(_ body: () throws -> Any) -> ConfigError? {
        do {
            _ = try body()
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("expected a ConfigError, got \(type(of: error)): \(error)")
            return nil
        }
    }

    // MARK: Sizes that overflow Int

    @Test func overflowingSizeProductsAreConfigErrorsNotTraps() throws {
        // d_head 1e18: W_Q is n_heads × d_model × d_head.
        let dHead = Self.configError { try HookedTransformerConfig.decode(json: Self.fixtureConfig(["d_head": 1_000_000_000_000_000_000])) }
        guard case let .sizeOverflow(tensor, size) = dHead else { Issue.record("d_head 1e18: \(String(describing: dHead))"); return }
        #expect(tensor.contains("attn.W_Q") && size.contains("d_head") && size.contains("1000000000000000000"))
        // d_mlp Int.max (Hugging Face's n_inner): W_in is d_model × d_mlp.
        let dMLP = Self.configError { try HookedTransformerConfig.decode(json: Self.fixtureConfig(["d_mlp": Int.max])) }
        guard case let .sizeOverflow(tensor, size) = dMLP else { Issue.record("d_mlp Int.max: \(String(describing: dMLP))"); return }
        #expect(tensor.contains("mlp.W_in") && size.contains("d_mlp = "))
        // n_ctx 2^62 (max_position_embeddings) in a model with learned positions: W_pos is n_ctx × d_model.
        let nCtx = Self.configError { try HookedTransformerConfig.decode(json: Self.fixtureConfig(["n_ctx": 1 << 62])) }
        guard case let .sizeOverflow(tensor, _) = nCtx else { Issue.record("n_ctx 2^62: \(String(describing: nCtx))"); return }
        #expect(tensor == "pos_embed.W_pos")
        #expect("\(nCtx!)".contains("more than an Int can count"))
        // Built in code: a d_model whose default d_mlp (4 · d_model) overflows is reported, not trapped on.
        let huge = HookedTransformerConfig(nLayers: 1, dModel: Int.max / 2, nCtx: 4, dHead: 1, nHeads: 1, dVocab: 4)
        #expect(Self.configError { try HookedTransformer(config: huge, seed: 0) } != nil)
        #expect(Self.configError { try huge.parameterCount } != nil)
    }

    // MARK: The memory budget

    @Test func hugeButRepresentableSizesFailBeforeAllocatingNamingTheBytes() throws {
        for (change, tensor) in [(["n_ctx": 1_000_000_000], "pos_embed.W_pos"), (["d_vocab": 1_000_000_000], "embed.W_E"),
                                 (["n_layers": 1_000_000], "mlp.W_in")] as [([String: Any], String)] {
            let data = try Self.fixtureConfig(change)
            let error = Self.configError { try HookedTransformerConfig.decode(json: data) }
            guard case let .exceedsMemoryLimit(bytes, limit, largest) = error else {
                Issue.record("\(change): expected exceedsMemoryLimit, got \(String(describing: error))")
                continue
            }
            #expect(bytes > 200_000_000_000 && limit == HookedTransformer.memoryLimit && largest.contains(tensor), "\(change)")
            #expect("\(error!)".contains("\(bytes) bytes") && "\(error!)".contains("HookedTransformer.memoryLimit"))
        }
        // The same through the loader (the `lens cache` path): the config fails before the weights are looked at.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlens-budget-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Fixtures.url("classic/gpt2tiny/weights.safetensors"),
                                         to: dir.appendingPathComponent("weights.safetensors"))
        try Self.fixtureConfig(["n_ctx": 1_000_000_000]).write(to: dir.appendingPathComponent("config.json"))
        let loaded = Self.configError { try HookedTransformer.load(directory: dir) }
        guard case .exceedsMemoryLimit = loaded else { Issue.record("load: \(String(describing: loaded))"); return }
    }

    @Test func theBudgetIsSettablePerCallAndCountsBytesExactly() throws {
        let config = HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 8, dHead: 4, dVocab: 10)
        let model = try HookedTransformer(config: config, seed: 0)
        #expect(try config.parameterCount == model.parameterCount)
        #expect(try config.parameterBytes == 4 * model.parameterCount)
        #expect(throws: ConfigError.self) { try config.validated(memoryLimit: try config.parameterBytes - 1) }
        #expect(try config.validated(memoryLimit: .max) == config)
        #expect(HookedTransformer.memoryLimit > 0)
    }

    /// The closed-form count agrees with the components' declarations in every architecture.
    @Test(arguments: [false, true])
    func parameterCountMatchesBuiltModels(attnOnly: Bool) throws {
        let norms: [HookedTransformerConfig.Normalization?] = [.layerNorm, .layerNormPre, .rms, .rmsPre, nil]
        for norm in norms {
            for position in HookedTransformerConfig.PositionalEmbedding.allCases {
                for (gated, grouped, smear, finalRMS) in [(false, false, false, false), (true, true, true, true), (true, false, true, false)] {
                    let config = HookedTransformerConfig(
                        nLayers: 2, dModel: 12, nCtx: 7, dHead: 4, nHeads: 3, dMLP: 20, dVocab: 11, dVocabOut: 9,
                        normalizationType: norm, finalRMS: finalRMS, positionalEmbeddingType: position, rotaryDim: 2,
                        attnOnly: attnOnly, gatedMLP: gated, nKeyValueHeads: grouped ? 1 : nil, smearKeys: smear)
                    let model = try HookedTransformer(config: config, seed: 1)
                    #expect(try config.parameterCount == model.parameterCount, "\(config)")
                }
            }
        }
    }

    // MARK: Values that make no sense

    @Test func nonFiniteOrNonPositiveRotaryBasesAreRejected() throws {
        func rotary(_ base: Float) -> HookedTransformerConfig {
            HookedTransformerConfig(nLayers: 1, dModel: 16, nCtx: 8, dHead: 4, dVocab: 10, normalizationType: .rms,
                                    positionalEmbeddingType: .rotary, rotaryBase: base)
        }
        for base: Float in [0, -1, .infinity, .nan, -.infinity] {
            let error = Self.configError { try HookedTransformer(config: rotary(base), seed: 0) }
            guard case let .invalid(field, reason) = error else { Issue.record("rotary_base \(base): \(String(describing: error))"); continue }
            #expect(field == "rotary_base" && reason.contains("\(base)"))
        }
        // From JSON: 0 and −1 are rejected by validation, 1e300 (beyond Float) when read.
        let rotaryJSON = #", "positional_embedding_type": "rotary", "normalization_type": "RMS", "rotary_base": "#
        for literal in ["0", "-1", "-0.5"] {
            #expect(Self.configError { try Self.decode(rotaryJSON + literal) }.map { "\($0)".contains("rotary_base") } == true, "\(literal)")
        }
        #expect(Self.configError { try Self.decode(rotaryJSON + "1e300") }
                == .wrongValue(field: "rotary_base", expected: "0 or a finite number of magnitude between \(Float.leastNonzeroMagnitude) and \(Float.greatestFiniteMagnitude)",
                               found: "the number 1e+300"))
        #expect(try rotary(500_000).validated().rotaryBase == 500_000)
    }

    @Test func nonFiniteOrNonPositiveFloatFieldsAreRejected() throws {
        let base = HookedTransformerConfig(nLayers: 1, dModel: 16, nCtx: 8, dHead: 4, dVocab: 10)
        var cases: [(String, HookedTransformerConfig)] = []
        for eps: Float in [0, -1e-5, .infinity, .nan] { var c = base; c.eps = eps; cases.append(("eps", c)) }
        for scale: Float in [0, -4, .infinity, .nan] { var c = base; c.attnScale = scale; cases.append(("attn_scale", c)) }
        for range: Float in [-0.02, .infinity, .nan] { var c = base; c.initializerRange = range; cases.append(("initializer_range", c)) }
        for cap: Float in [-1, .nan, .infinity] { var c = base; c.attnScoresSoftCap = cap; cases.append(("attn_scores_soft_cap", c)) }
        for cap: Float in [0, .nan] { var c = base; c.outputLogitsSoftCap = cap; cases.append(("output_logits_soft_cap", c)) }
        for (field, config) in cases {
            let error = Self.configError { try config.validated() }
            guard case let .invalid(found, _) = error else { Issue.record("\(field): \(String(describing: error))"); continue }
            #expect(found == field)
        }
        // JSON's "unset" markers keep TransformerLens's meaning: −1 derives the value.
        let derived = try Self.decode(#", "attn_scale": -1.0, "initializer_range": -1.0, "attn_scores_soft_cap": -1.0"#)
        #expect(derived.attnScale == 2 && derived.initializerRange == 0.8 / Float(16).squareRoot() && derived.attnScoresSoftCap == nil)
        #expect(Self.configError { try Self.decode(#", "eps": 0"#) } == .invalid(field: "eps", reason: "must be a finite positive number, found 0.0"))
    }

    // MARK: Values of the wrong kind

    @Test func booleansAreNeverNumbersNorNumbersBooleans() throws {
        #expect(Self.configError { try HookedTransformerConfig.decode(json: Self.fixtureConfig(["n_layers": true])) }
                == .wrongValue(field: "n_layers", expected: "an integer", found: "true"))
        #expect(Self.configError { try Self.decode(#", "d_mlp": false"#) } == .wrongValue(field: "d_mlp", expected: "an integer", found: "false"))
        #expect(Self.configError { try Self.decode(#", "eps": true"#) } == .wrongValue(field: "eps", expected: "a number", found: "true"))
        #expect(Self.configError { try Self.decode(#", "attn_only": 1"#) } == .wrongValue(field: "attn_only", expected: "true or false", found: "the integer 1"))
        #expect(Self.configError { try Self.decode(#", "n_heads": "4""#) }
                == .wrongValue(field: "n_heads", expected: "an integer", found: "the string \"4\""))
        #expect(Self.configError { try Self.decode(#", "use_local_attn": 1"#) }
                == .unsupported(field: "use_local_attn", value: "the integer 1", supported: "its default"))
        #expect(Self.configError { try Self.decode(#", "use_local_attn": true"#) }
                == .unsupported(field: "use_local_attn", value: "true", supported: "its default"))
        #expect(try Self.decode(#", "use_local_attn": false, "num_experts": null, "d_mlp": 64.0"#).dMLP == 64)
        // The Decodable conformance (any Decoder) applies the same checks.
        #expect(Self.configError {
            try JSONDecoder().decode(HookedTransformerConfig.self, from: Data(#"{"n_layers": true, "d_model": 16, "n_ctx": 8, "d_head": 4, "d_vocab": 10}"#.utf8))
        } == .wrongValue(field: "n_layers", expected: "an integer", found: "true"))
    }

    @Test func numbersTheirTypeCannotHoldNameTheField() throws {
        let intRange = "an integer between \(Int.min) and \(Int.max)"
        #expect(Self.configError { try Self.decode(#", "d_mlp": 1e30"#) } == .wrongValue(field: "d_mlp", expected: intRange, found: "the number 1e+30"))
        #expect(Self.configError { try Self.decode(#", "d_mlp": 9223372036854775808"#) }
                == .wrongValue(field: "d_mlp", expected: intRange, found: "the number 9.223372036854776e+18"))
        #expect(Self.configError { try Self.decode(#", "d_mlp": 64.5"#) } == .wrongValue(field: "d_mlp", expected: intRange, found: "the number 64.5"))
        // Beyond Double's range: the strict reader says where and shows the literal (JSONSerialization
        // rejected the whole file with "The operation could not be completed").
        let error = Self.configError { try Self.decode(#", "eps": 1e400"#) }
        guard case let .invalidJSON(reason) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(reason.contains("1e400") && reason.contains("byte"))
        for message in [error!].map({ "\($0)" }) {
            #expect(!message.contains("not valid JSON") && !message.contains("could not be completed"))
        }
    }

    @Test func malformedJSONSaysWhereAndWhat() throws {
        let missingComma = Self.configError { try HookedTransformerConfig.decode(json: Data("{\n  \"n_layers\": 1\n  \"d_model\": 2}".utf8)) }
        #expect(missingComma == .invalidJSON("config.json: invalid JSON at byte 20: expected ',' or '}' in an object, found '\"'"))
        #expect(Self.configError { try HookedTransformerConfig.decode(json: Data("[1, 2]".utf8)) }
                == .invalidJSON("expected a JSON object, found an array of 2 elements"))
        #expect(Self.configError { try HookedTransformerConfig.decode(json: Data(#"{"cfg": 3}"#.utf8)) }
                == .wrongValue(field: "cfg", expected: "the config as a JSON object", found: "the integer 3"))
        for text in ["", "{", #"{"n_layers": tru}"#, #"{"n_layers": 01}"#, #"{"n_layers": NaN}"#, "{\"a\": \"\u{01}\"}",
                     String(repeating: "[", count: 100_000)] {
            guard case .invalidJSON = Self.configError({ try HookedTransformerConfig.decode(json: Data(text.utf8)) }) else {
                Issue.record("\(text.prefix(20)) was not an invalidJSON error")
                continue
            }
        }
    }

    // MARK: Rotary tables sized by the run

    @Test func aRotaryModelWithAHugeContextRunsAShortInput() throws {
        func config(context: Int) -> HookedTransformerConfig {
            HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: context, dHead: 4, dVocab: 10, actFn: .silu,
                                    normalizationType: .rms, finalRMS: true, positionalEmbeddingType: .rotary, rotaryDim: 2, gatedMLP: true)
        }
        let tokens = IntTensor([[1, 2, 3, 4, 5]])
        // n_ctx 10⁷ would be 10⁷ × rotary_dim × 2 floats of tables up front; rows are computed as needed.
        let huge = try HookedTransformer(config: config(context: 10_000_000), seed: 3)
        let small = try HookedTransformer(config: config(context: 8), seed: 3)
        let logits = try huge(tokens)
        #expect(logits.shape == [1, 5, 10])
        #expect(logits.scalars == (try small(tokens)).scalars)
        // The largest context an Int allows: nothing is sized by it.
        #expect(try HookedTransformer(config: config(context: Int.max), seed: 3)(tokens).scalars == logits.scalars)
    }

    @Test func rotaryTablesDoNotDependOnHowTheyGrew() throws {
        let rotary = Rotary(rotaryDim: 6, base: 10000, adjacentPairs: true)
        let grown = (rotary.tables(for: 0..<3), rotary.tables(for: 2..<40), rotary.tables(for: 0..<100)).2
        let fresh = Rotary(rotaryDim: 6, base: 10000, adjacentPairs: true).tables(for: 0..<100)
        #expect(grown.sin.scalars == fresh.sin.scalars && grown.cos.scalars == fresh.cos.scalars)
        #expect(rotary.tables(for: 37..<41).cos.scalars == Array(fresh.cos.scalars[(37 * 6)..<(41 * 6)]))
        // Row p, component j (adjacent pairs: θ of pair j/2) is cos(p · base^(−(j/2)/(rotary_dim/2))).
        let theta = Foundation.pow(10000.0, -1.0 / 3.0)
        #expect(fresh.cos.scalars[5 * 6 + 2] == Float(Foundation.cos(5 * theta)))
    }
}
