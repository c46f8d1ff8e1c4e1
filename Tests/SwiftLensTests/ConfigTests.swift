import Foundation
import SwiftLens
import Testing

/// `HookedTransformerConfig`'s typed fields: TransformerLens's names and defaults decode, values
/// round-trip, and a value outside an enumerated field's set is a `ConfigError` naming it.
@Suite struct ConfigTests {
    static let minimal = #"{"n_layers": 1, "d_model": 16, "n_ctx": 8, "d_head": 4, "d_vocab": 10, "act_fn": "gelu""#

    static func decode(_ extra: String = "") throws -> HookedTransformerConfig {
        try HookedTransformerConfig.decode(json: Data((minimal + extra + "}").utf8))
    }

    @Test func transformerLensDefaultsFillMissingFields() throws {
        let c = try Self.decode()
        #expect(c.attentionDir == .causal && c.initMode == .gpt2)
        #expect(c.attnScoresSoftCap == nil && c.outputLogitsSoftCap == nil)
        // TransformerLens writes −1 for "no soft cap"; null and 0 mean the same.
        let explicit = try Self.decode(#", "attn_scores_soft_cap": -1.0, "output_logits_soft_cap": null, "attention_dir": "causal""#)
        #expect(explicit == c)
        #expect(try Self.decode(#", "attention_dir": "bidirectional""#).attentionDir == .bidirectional)
        #expect(try Self.decode(#", "normalization_type": null"#).normalizationType == nil)
        #expect(try Self.decode(#", "normalization_type": "RMSPre""#).normalizationType == .rmsPre)
    }

    @Test func everyFixtureConfigDecodes() throws {
        let paths = ["classic/attn2l", "classic/gpt2tiny", "classic/gpt2tiny/processed", "classic/llamatiny", "classic/shortformer",
                     "trained/recipeR-2L-s0/final", "trained/recipeR-2L-s0/checkpoints/step-000500"]
        for path in paths {
            let c = try HookedTransformerConfig.decode(json: Data(contentsOf: Fixtures.url(path + "/config.json")))
            #expect(c.attentionDir == .causal && c.initMode == .gpt2 && c.attnScoresSoftCap == nil && c.outputLogitsSoftCap == nil,
                    "\(path)")
        }
    }

    @Test func encodingRoundTripsWithTransformerLensNames() throws {
        var c = HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 8, dHead: 4, dVocab: 10, normalizationType: nil,
                                        positionalEmbeddingType: .shortformer, attentionDir: .bidirectional)
        c.originalArchitecture = "GPT2LMHeadModel"
        let data = try JSONEncoder().encode(c)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(object["attention_dir"] as? String == "bidirectional" && object["init_mode"] as? String == "gpt2")
        #expect(object["attn_scores_soft_cap"] as? Double == -1 && object["output_logits_soft_cap"] as? Double == -1)
        #expect(object["normalization_type"] is NSNull && object["positional_embedding_type"] as? String == "shortformer")
        #expect(try HookedTransformerConfig.decode(json: data) == c)
        // A soft cap decodes (it is a TransformerLens setting) but is not run: validation names it.
        var capped = c
        capped.outputLogitsSoftCap = 30
        let decoded = try JSONDecoder().decode(HookedTransformerConfig.self, from: JSONEncoder().encode(capped))
        #expect(decoded.outputLogitsSoftCap == 30)
        #expect(throws: ConfigError.unsupported(field: "output_logits_soft_cap", value: "30.0", supported: "-1 (off)")) {
            try decoded.validated()
        }
    }

    @Test func aValueOutsideAnEnumeratedFieldIsAConfigErrorNamingIt() throws {
        #expect(throws: ConfigError.unsupported(field: "attention_dir", value: "sideways", supported: "causal, bidirectional")) {
            try Self.decode(#", "attention_dir": "sideways""#)
        }
        #expect(throws: ConfigError.unsupported(field: "init_mode", value: "xavier_uniform", supported: "gpt2")) {
            try Self.decode(#", "init_mode": "xavier_uniform""#)
        }
        #expect(throws: ConfigError.unsupported(field: "normalization_type", value: "BatchNorm", supported: "LN, LNPre, RMS, RMSPre, null")) {
            try Self.decode(#", "normalization_type": "BatchNorm""#)
        }
        do {
            _ = try Self.decode(#", "attention_dir": 3"#)
            Issue.record("a number for attention_dir decoded")
        } catch let error as ConfigError {
            #expect("\(error)".contains("attention_dir"))
        }
    }

    @Test func aBidirectionalModelAttendsForward() throws {
        let causal = HookedTransformerConfig(nLayers: 1, dModel: 16, nCtx: 8, dHead: 4, dVocab: 10, attnOnly: true)
        var bidirectional = causal
        bidirectional.attentionDir = .bidirectional
        let tokens = IntTensor([[1, 2, 3, 4]])
        func forward(_ config: HookedTransformerConfig) throws -> Tensor {
            try HookedTransformer(config: config, seed: 0).cache(tokens, names: [.pattern(0)]).tensor(.pattern(0))
        }
        // Attention from position 0 to the positions after it.
        #expect(try forward(causal)[0, 0, 0, 1...].abs().max().scalar == 0)
        #expect(try forward(bidirectional)[0, 0, 0, 1...].min().scalar > 0)
    }
}
