import Foundation
import SwiftLens

/// Mutates a TransformerLens `config.json` (bare, or the fixture layout with the config under
/// `cfg`) and says whether the result is known to be invalid against the unchanged weights.
///
/// The rules follow TransformerLens's semantics as SwiftLens documents them: a field that sets
/// a weight's shape (n_layers, d_model, d_head, d_vocab, n_ctx for learned positions, d_mlp of
/// an MLP model) must keep its value; `n_heads`, `d_vocab_out` and `attn_scale` ≤ 0 mean
/// "unset" (derived); a value of the wrong JSON type is always invalid; an unknown enumerated
/// value is invalid; a flag SwiftLens does not implement must hold its default.
enum TransformerLensConfigMutator {
    static let intFields = ["n_layers", "d_model", "d_head", "d_vocab", "n_ctx", "n_heads", "d_mlp", "d_vocab_out",
                            "rotary_dim", "n_key_value_heads", "num_experts"]
    static let floatFields = ["eps", "attn_scale", "rotary_base", "initializer_range", "attn_scores_soft_cap", "output_logits_soft_cap"]
    static let choiceFields: [String: [String]] = [
        "act_fn": Activation.allCases.map(\.rawValue),
        "normalization_type": HookedTransformerConfig.Normalization.allCases.map(\.rawValue),
        "positional_embedding_type": HookedTransformerConfig.PositionalEmbedding.allCases.map(\.rawValue),
        "attention_dir": HookedTransformerConfig.AttentionDirection.allCases.map(\.rawValue),
        "init_mode": HookedTransformerConfig.InitMode.allCases.map(\.rawValue),
    ]
    static let boolFields = ["attn_only", "gated_mlp", "final_rms", "use_attn_scale", "scale_attn_by_inverse_layer_idx",
                             "rotary_adjacent_pairs", "default_prepend_bos", "parallel_attn_mlp", "smear_keys",
                             "use_local_attn", "use_qk_norm", "post_embedding_ln", "use_normalization_before_and_after",
                             "use_NTK_by_parts_rope", "ungroup_grouped_query_attention"]

    static func mutate(_ base: FuzzCorpus.Base, _ rng: inout RandomGenerator) -> Mutation {
        var files = base.files
        let document = JSONText.object(base.config)
        let wrapped = document["cfg"] is [String: Any]
        let cfg = wrapped ? document["cfg"] as! [String: Any] : document

        if rng.chance(0.15) {
            if wrapped, rng.chance(0.3) {
                var d = document
                d["cfg"] = rng.pick([42, "cfg", [1, 2], NSNull()] as [Any])
                files["config.json"] = JSONText.render(d)
                return Mutation(id: "cfg:not-object", detail: "the cfg wrapper holds \(JSONText.render(d["cfg"]!).count)-byte non-object",
                                validity: .invalid, files: files)
            }
            let m = DocumentMutation.apply(base.config, object: document, &rng)
            files["config.json"] = m.data
            return Mutation(id: m.id, detail: m.detail, validity: m.validity, files: files)
        }

        let field = rng.pick(intFields + floatFields + choiceFields.keys.sorted() + boolFields)
        let change: FieldChange
        if intFields.contains(field) {
            change = .integer(cfg[field].flatMap { ($0 as? NSNumber)?.intValue }, &rng)
        } else if floatFields.contains(field) {
            change = .float(cfg[field].flatMap { ($0 as? NSNumber)?.doubleValue }, &rng)
        } else if let choices = choiceFields[field] {
            change = .choice(cfg[field] as? String, choices, &rng)
        } else {
            change = .bool(cfg[field] as? Bool, &rng)
        }
        var edited = cfg
        edited[field] = change.value
        var d = document
        if wrapped { d["cfg"] = edited } else { d = edited }
        files["config.json"] = JSONText.render(d)
        return Mutation(id: "\(field):\(change.operation)", detail: "\(field) = \(change.text)",
                        validity: validity(field, change, cfg), files: files)
    }

    /// Which LayerNorm parameters a normalisation type has: a change that changes them makes
    /// the weights file disagree with the config.
    static func normParameters(_ type: String?) -> String {
        switch type {
        case "LN": "wb"
        case "RMS": "w"
        default: ""
        }
    }

    static func validity(_ field: String, _ change: FieldChange, _ cfg: [String: Any]) -> FuzzValidity {
        func int(_ key: String) -> Int? { (cfg[key] as? NSNumber)?.intValue }
        let original = int(field)
        let attnOnly = (cfg["attn_only"] as? Bool) ?? false
        let positional = (cfg["positional_embedding_type"] as? String) ?? "standard"
        let rotary = positional == "rotary"
        let dModel = int("d_model") ?? 0, dHead = int("d_head") ?? 0
        let kind = change.kind
        if case .wrongType = kind { return .invalid }
        if case .integralFloat = kind { return .unknown }

        switch field {
        case "n_layers", "d_model", "d_head", "d_vocab":
            if case let .int(v) = kind { return v == original ? .valid : .invalid }
            return .invalid
        case "n_ctx":
            guard case let .int(v) = kind else { return .invalid }
            if v == original { return .valid }
            if v <= 0 { return .invalid }
            // Learned positions have a [n_ctx, d_model] weight; rotary ones none (a huge
            // context is consistent but may be refused as too large).
            return rotary ? (v <= 1 << 16 ? .valid : .unknown) : .invalid
        case "n_heads":
            let derived = dHead > 0 ? dModel / dHead : 0
            switch kind {
            case let .int(v): return v == original || (v <= 0 && derived == original) ? .valid : .invalid
            case .remove, .null: return derived == original ? .valid : .invalid
            default: return .invalid
            }
        case "d_mlp":
            if attnOnly {
                if case .number = kind { return .invalid }
                return .unknown
            }
            switch kind {
            case let .int(v): return v == original ? .valid : .invalid
            case .remove, .null: return 4 * dModel == original ? .valid : .invalid
            default: return .invalid
            }
        case "d_vocab_out":
            let fallback = int("d_vocab") == (original ?? int("d_vocab")) ? FuzzValidity.valid : .invalid
            switch kind {
            case let .int(v): return v == original ? .valid : (v <= 0 ? fallback : .invalid)
            case .remove, .null: return fallback
            default: return .invalid
            }
        case "rotary_dim":
            switch kind {
            case let .int(v):
                if !rotary { return .unknown }
                return v >= 2 && v <= dHead && v % 2 == 0 ? .valid : .invalid
            case .remove, .null: return .valid
            default: return .invalid
            }
        case "n_key_value_heads":
            switch kind {
            case let .int(v): return v == (int("n_heads") ?? -1) ? .unknown : .invalid
            case .remove, .null: return cfg["n_key_value_heads"] is NSNull || cfg["n_key_value_heads"] == nil ? .valid : .unknown
            default: return .invalid
            }
        case "num_experts":
            // TransformerLens tests `if cfg.num_experts:`, so 0 also means "no experts".
            switch kind {
            case .remove, .null: return .valid
            case .int(0): return .unknown
            default: return .invalid
            }
        case "eps", "rotary_base":
            let value: Double?
            switch kind {
            case let .int(v): value = Double(v)
            case let .number(v): value = v
            case .remove, .null: return .valid
            default: return .invalid
            }
            guard let value else { return .invalid }
            if field == "rotary_base", !rotary { return .unknown }
            if value <= 0 { return .invalid }
            return value.isFinite && Float(value).isFinite && Float(value) > 0 ? .valid : .unknown
        case "attn_scale", "initializer_range":
            switch kind {
            case .int, .remove, .null: return .valid
            // A non-zero value that rounds to a Float 0 (1e-320) is refused as unrepresentable.
            case let .number(v): return v.isFinite && Float(v).isFinite && (v == 0 || Float(v) != 0) ? .valid : .unknown
            default: return .invalid
            }
        case "attn_scores_soft_cap", "output_logits_soft_cap":
            switch kind {
            case let .int(v): return v > 0 ? .invalid : .valid
            case let .number(v): return v > 0 ? .invalid : (v.isFinite && Float(v).isFinite ? .valid : .unknown)
            case .remove, .null: return .valid
            default: return .invalid
            }
        case "act_fn":
            // solu_ln brings a LayerNorm over d_mlp with weights `mlp.ln.w`, `mlp.ln.b` in an LN
            // model; it is refused in a gated MLP.
            let normalization = cfg["normalization_type"] == nil ? "LN" : cfg["normalization_type"] as? String
            let gated = (cfg["gated_mlp"] as? Bool) ?? false
            func mlpNormWeights(_ act: String?) -> Bool { act == "solu_ln" && normalization == "LN" }
            switch kind {
            case let .string(s):
                guard choiceFields[field]!.contains(s) else { return .invalid }
                if attnOnly { return .valid }
                if gated && s == "solu_ln" { return .invalid }
                return mlpNormWeights(s) == mlpNormWeights(cfg["act_fn"] as? String) ? .valid : .invalid
            case .remove, .null: return attnOnly ? .valid : .invalid
            default: return .invalid
            }
        case "normalization_type":
            let before = normParameters(cfg[field] as? String)
            switch kind {
            case let .string(s):
                guard choiceFields[field]!.contains(s) else { return .invalid }
                return normParameters(s) == before ? .valid : .invalid
            case .null: return before.isEmpty ? .valid : .invalid
            case .remove: return before == "wb" ? .valid : .invalid
            default: return .invalid
            }
        case "positional_embedding_type":
            func learned(_ s: String) -> Bool { s != "rotary" }
            switch kind {
            case let .string(s):
                guard choiceFields[field]!.contains(s) else { return .invalid }
                return learned(s) == learned(positional) ? .valid : .invalid
            case .remove, .null: return learned(positional) ? .valid : .invalid
            default: return .invalid
            }
        case "attention_dir", "init_mode":
            switch kind {
            case let .string(s): return choiceFields[field]!.contains(s) ? .valid : .invalid
            case .remove, .null: return .valid
            default: return .invalid
            }
        case "attn_only":
            switch kind {
            case let .bool(b): return b == attnOnly ? .valid : .invalid
            case .remove, .null: return attnOnly ? .invalid : .valid
            default: return .unknown
            }
        case "gated_mlp":
            let gated = (cfg["gated_mlp"] as? Bool) ?? false
            switch kind {
            case let .bool(b): return attnOnly ? .unknown : (b == gated ? .valid : .invalid)
            case .remove, .null: return attnOnly || !gated ? .valid : .invalid
            default: return .unknown
            }
        case "parallel_attn_mlp":
            if case let .bool(b) = kind { return b && attnOnly ? .invalid : .valid }
            return .unknown
        case "smear_keys", "use_local_attn", "use_qk_norm", "post_embedding_ln", "use_normalization_before_and_after",
             "use_NTK_by_parts_rope", "ungroup_grouped_query_attention":
            switch kind {
            case let .bool(b): return b ? .invalid : .valid
            case .remove, .null: return .valid
            default: return .unknown
            }
        default:
            // final_rms, use_attn_scale, scale_attn_by_inverse_layer_idx, rotary_adjacent_pairs,
            // default_prepend_bos: any boolean is consistent with the weights.
            switch kind {
            case .bool, .remove, .null: return field == "final_rms" ? .unknown : .valid
            default: return .unknown
            }
        }
    }
}
