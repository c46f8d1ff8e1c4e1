import Foundation
import SwiftLens

/// Mutates a Hugging Face GPT-2 or LLaMA `config.json` and says whether the result is known
/// to be invalid against the unchanged `model.safetensors`.
///
/// The rules follow the conversion TransformerLens does: a field that sets a weight's shape
/// must keep its value (GPT-2: n_embd, n_layer, n_positions, n_inner, vocab_size; LLaMA:
/// hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim,
/// intermediate_size, vocab_size); GPT-2's head count may be any divisor of n_embd (c_attn's
/// shape does not depend on it); LLaMA's context (rotary, no weight) may be any positive size.
/// A value of the wrong JSON type is invalid even where a reader could fall back to a default:
/// a string `layer_norm_epsilon` read as "absent" runs a different model than the file says.
enum HuggingFaceConfigMutator {
    enum Kind { case gpt2, llama }

    static let gpt2Ints = ["n_embd", "n_head", "n_layer", "n_positions", "n_ctx", "n_inner", "vocab_size"]
    static let gpt2Floats = ["layer_norm_epsilon"]
    static let gpt2Bools = ["scale_attn_weights", "scale_attn_by_inverse_layer_idx", "tie_word_embeddings"]
    static let gpt2Choices = ["activation_function": Activation.elementwise.map(\.rawValue), "model_type": ["gpt2"]]

    static let llamaInts = ["hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
                            "num_hidden_layers", "max_position_embeddings", "vocab_size"]
    static let llamaFloats = ["rms_norm_eps", "rope_theta"]
    static let llamaBools = ["mlp_bias", "attention_bias", "tie_word_embeddings"]
    static let llamaChoices = ["hidden_act": Activation.elementwise.map(\.rawValue), "model_type": ["llama"], "rope_type": ["default"]]

    static func mutate(_ base: FuzzCorpus.Base, _ kind: Kind, _ rng: inout RandomGenerator) -> Mutation {
        var files = base.files
        let config = JSONText.object(base.config)
        if rng.chance(0.12) {
            let m = DocumentMutation.apply(base.config, object: config, &rng)
            files["config.json"] = m.data
            return Mutation(id: m.id, detail: m.detail, validity: m.validity, files: files)
        }
        if rng.chance(0.05) {
            // Which architecture it is: an unknown one must be refused by name.
            var c = config
            let v = rng.pick(["bert", "gpt_neox", "mistral", "", "GPT2"])
            c["model_type"] = v
            c["architectures"] = rng.chance(0.5) ? [v + "ForCausalLM"] : NSNull()
            files["config.json"] = JSONText.render(c)
            return Mutation(id: "architecture:unknown", detail: "model_type \(v.debugDescription), architectures replaced",
                            validity: .invalid, files: files)
        }
        let (ints, floats, bools, choices) = kind == .gpt2 ? (gpt2Ints, gpt2Floats, gpt2Bools, gpt2Choices)
            : (llamaInts, llamaFloats, llamaBools, llamaChoices)
        let field = rng.pick(ints + floats + bools + choices.keys.sorted())
        // rope_theta and rope_type live in rope_parameters (transformers 5) in the fixture.
        let inRope = kind == .llama && (field == "rope_theta" || field == "rope_type")
        var rope = config["rope_parameters"] as? [String: Any] ?? [:]
        let current: Any? = inRope ? rope[field] : config[field]
        let change: FieldChange
        if ints.contains(field) {
            change = .integer(current.flatMap { ($0 as? NSNumber)?.intValue }, &rng)
        } else if floats.contains(field) {
            change = .float(current.flatMap { ($0 as? NSNumber)?.doubleValue }, &rng)
        } else if let options = choices[field] {
            change = .choice(current as? String, options, &rng)
        } else {
            change = .bool(current as? Bool, &rng)
        }
        var c = config
        if inRope {
            rope[field] = change.value
            c["rope_parameters"] = rope
        } else {
            c[field] = change.value
        }
        if kind == .llama, field == "rope_theta", rng.chance(0.2) {
            // The whole rope_parameters object of the wrong type.
            c["rope_parameters"] = rng.pick(["default", 10000, [1, 2]] as [Any])
            files["config.json"] = JSONText.render(c)
            return Mutation(id: "rope_parameters:wrong-type", detail: "rope_parameters is not an object", validity: .invalid, files: files)
        }
        files["config.json"] = JSONText.render(c)
        let v = kind == .gpt2 ? gpt2Validity(field, change, config) : llamaValidity(field, change, config)
        return Mutation(id: "\(field):\(change.operation)", detail: "\(field) = \(change.text)", validity: v, files: files)
    }

    /// Validity of a numeric value that must be a positive finite number (epsilons, θ).
    /// A string field with a closed set of values the conversion supports: absent means its
    /// default; `null` may or may not be read as absent.
    static func choice(_ kind: FieldChange.Kind, in supported: Set<String>) -> FuzzValidity {
        switch kind {
        case let .string(s): return supported.contains(s) ? .valid : .invalid
        case .remove: return .valid
        case .null: return .unknown
        default: return .invalid
        }
    }

    /// `model_type`: `architectures` names the model as well, so any string (or none) may load.
    static func modelType(_ kind: FieldChange.Kind) -> FuzzValidity {
        switch kind {
        case .string, .remove, .null: return .unknown
        default: return .invalid
        }
    }

    static func positiveNumber(_ kind: FieldChange.Kind) -> FuzzValidity {
        switch kind {
        case let .int(v): return v > 0 ? .valid : .invalid
        case let .number(v): return v > 0 ? (v.isFinite && Float(v).isFinite && Float(v) > 0 ? .valid : .unknown) : .invalid
        case .remove: return .valid
        case .null: return .unknown
        case .integralFloat: return .unknown
        default: return .invalid
        }
    }

    /// Fields the conversion does not read (it names the architecture from `architectures`;
    /// GPT-2 always ties its unembedding unless `lm_head.weight` is stored; LLaMA's projection
    /// biases are optional tensors): any value, even of the wrong type, is consistent.
    static let unreadFields: [Kind: Set<String>] = [.gpt2: ["model_type", "tie_word_embeddings"], .llama: ["model_type", "attention_bias"]]

    static func gpt2Validity(_ field: String, _ change: FieldChange, _ config: [String: Any]) -> FuzzValidity {
        let kind = change.kind
        if unreadFields[.gpt2]!.contains(field) { return .unknown }
        if case .wrongType = kind { return .invalid }
        if case .integralFloat = kind { return .unknown }
        let original = (config[field] as? NSNumber)?.intValue
        let d = (config["n_embd"] as? NSNumber)?.intValue ?? 0
        let positions = (config["n_positions"] as? NSNumber)?.intValue ?? 0
        switch field {
        case "n_embd", "n_layer", "n_positions", "vocab_size":
            if case let .int(v) = kind { return v == original ? .valid : .invalid }
            return .invalid
        case "n_head":
            if case let .int(v) = kind { return v > 0 && d % v == 0 ? .valid : .invalid }
            return .invalid
        case "n_ctx":
            switch kind {
            case let .int(v): return v > 0 && v <= positions ? .valid : .invalid
            case .remove, .null: return .valid
            default: return .invalid
            }
        case "n_inner":
            switch kind {
            case let .int(v): return v == original ? .valid : .invalid
            case .remove, .null: return 4 * d == original ? .valid : .invalid
            default: return .invalid
            }
        case "layer_norm_epsilon":
            return positiveNumber(kind)
        case "activation_function":
            return choice(kind, in: Set(gpt2Choices[field]!))
        case "model_type":
            return modelType(kind)
        case "tie_word_embeddings":
            return .unknown
        default:
            switch kind {
            case .bool, .remove: return .valid
            case .null: return .unknown
            case .int: return .unknown
            default: return .invalid
            }
        }
    }

    static func llamaValidity(_ field: String, _ change: FieldChange, _ config: [String: Any]) -> FuzzValidity {
        let kind = change.kind
        if unreadFields[.llama]!.contains(field) { return .unknown }
        if case .wrongType = kind { return .invalid }
        if case .integralFloat = kind { return .unknown }
        let original = (config[field] as? NSNumber)?.intValue
        let heads = (config["num_attention_heads"] as? NSNumber)?.intValue ?? 0
        let d = (config["hidden_size"] as? NSNumber)?.intValue ?? 0
        let headDim = (config["head_dim"] as? NSNumber)?.intValue ?? 0
        switch field {
        case "hidden_size", "num_hidden_layers", "intermediate_size", "vocab_size", "num_attention_heads":
            if case let .int(v) = kind { return v == original ? .valid : .invalid }
            return .invalid
        case "head_dim":
            switch kind {
            case let .int(v): return v == original ? .valid : .invalid
            case .remove, .null: return heads > 0 && d / heads == headDim ? .valid : .invalid
            default: return .invalid
            }
        case "num_key_value_heads":
            switch kind {
            case let .int(v): return v == original ? .valid : .invalid
            case .remove, .null: return original == heads ? .valid : .invalid
            default: return .invalid
            }
        case "max_position_embeddings":
            switch kind {
            case let .int(v): return v <= 0 ? .invalid : (v <= 1 << 16 ? .valid : .unknown)
            default: return .invalid
            }
        case "rms_norm_eps", "rope_theta":
            return positiveNumber(kind)
        case "hidden_act":
            return choice(kind, in: Set(llamaChoices[field]!))
        case "rope_type":
            return choice(kind, in: ["default"])
        case "model_type":
            return modelType(kind)
        case "mlp_bias":
            switch kind {
            case let .bool(b): return b ? .invalid : .valid
            case .remove: return .valid
            case .null, .int: return .unknown
            default: return .invalid
            }
        default:
            // attention_bias, tie_word_embeddings: consistent either way with the file's tensors.
            switch kind {
            case .bool, .remove, .null, .int: return .unknown
            default: return .invalid
            }
        }
    }
}
