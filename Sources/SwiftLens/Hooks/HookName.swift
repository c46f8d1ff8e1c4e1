/// The name of a hook point: exactly TransformerLens's string (`"blocks.1.attn.hook_pattern"`),
/// so cache keys, fixtures and papers' code all line up byte for byte.
///
/// Build names from strings, from the typed builders (`.pattern(1)`, `.residPre(0)`), or from
/// TransformerLens's shorthand (`getActName("k", 6)`, `HookName(shorthand: "pattern0")`).
public struct HookName: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The full TransformerLens name.
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (a: HookName, b: HookName) -> Bool { a.rawValue < b.rawValue }

    /// The block index for `blocks.L.…` names, nil otherwise.
    public var layer: Int? {
        guard rawValue.hasPrefix("blocks.") else { return nil }
        let rest = rawValue.dropFirst("blocks.".count)
        return Int(rest.prefix { $0.isNumber })
    }

    /// The last component without `hook_` (`"pattern"` for `blocks.0.attn.hook_pattern`).
    public var activation: String {
        let last = rawValue.split(separator: ".").last.map(String.init) ?? rawValue
        return last.hasPrefix("hook_") ? String(last.dropFirst(5)) : last
    }

    // MARK: Typed builders

    /// `hook_embed` [batch, pos, d_model]: token embeddings.
    public static let embed: HookName = "hook_embed"
    /// `hook_pos_embed` [batch, pos, d_model]: positional embeddings.
    public static let posEmbed: HookName = "hook_pos_embed"
    /// `blocks.L.hook_resid_pre` [batch, pos, d_model].
    public static func residPre(_ layer: Int) -> HookName { block(layer, "hook_resid_pre") }
    /// `blocks.L.hook_resid_mid` [batch, pos, d_model].
    public static func residMid(_ layer: Int) -> HookName { block(layer, "hook_resid_mid") }
    /// `blocks.L.hook_resid_post` [batch, pos, d_model].
    public static func residPost(_ layer: Int) -> HookName { block(layer, "hook_resid_post") }
    /// `blocks.L.hook_attn_out` [batch, pos, d_model].
    public static func attnOut(_ layer: Int) -> HookName { block(layer, "hook_attn_out") }
    /// `blocks.L.hook_mlp_in` [batch, pos, d_model].
    public static func mlpIn(_ layer: Int) -> HookName { block(layer, "hook_mlp_in") }
    /// `blocks.L.hook_mlp_out` [batch, pos, d_model].
    public static func mlpOut(_ layer: Int) -> HookName { block(layer, "hook_mlp_out") }
    /// `blocks.L.attn.hook_q` [batch, pos, head, d_head] (before rotary).
    public static func q(_ layer: Int) -> HookName { block(layer, "attn.hook_q") }
    /// `blocks.L.attn.hook_k` [batch, pos, kv_head, d_head] (before rotary).
    public static func k(_ layer: Int) -> HookName { block(layer, "attn.hook_k") }
    /// `blocks.L.attn.hook_v` [batch, pos, kv_head, d_head].
    public static func v(_ layer: Int) -> HookName { block(layer, "attn.hook_v") }
    /// `blocks.L.attn.hook_rot_q` [batch, pos, head, d_head] (rotary models).
    public static func rotQ(_ layer: Int) -> HookName { block(layer, "attn.hook_rot_q") }
    /// `blocks.L.attn.hook_rot_k` [batch, pos, kv_head, d_head] (rotary models).
    public static func rotK(_ layer: Int) -> HookName { block(layer, "attn.hook_rot_k") }
    /// `blocks.L.attn.hook_smeared_k` [batch, pos, kv_head, d_head]: the keys after smearing
    /// (models with `smear_keys`).
    public static func smearedK(_ layer: Int) -> HookName { block(layer, "attn.hook_smeared_k") }
    /// `blocks.L.attn.hook_attn_scores` [batch, head, query_pos, key_pos], masked entries −inf.
    public static func attnScores(_ layer: Int) -> HookName { block(layer, "attn.hook_attn_scores") }
    /// `blocks.L.attn.hook_pattern` [batch, head, query_pos, key_pos].
    public static func pattern(_ layer: Int) -> HookName { block(layer, "attn.hook_pattern") }
    /// `blocks.L.attn.hook_z` [batch, pos, head, d_head].
    public static func z(_ layer: Int) -> HookName { block(layer, "attn.hook_z") }
    /// `blocks.L.attn.hook_result` [batch, pos, head, d_model] (per-head output, without b_O).
    public static func result(_ layer: Int) -> HookName { block(layer, "attn.hook_result") }
    /// `blocks.L.mlp.hook_pre` [batch, pos, d_mlp].
    public static func mlpPre(_ layer: Int) -> HookName { block(layer, "mlp.hook_pre") }
    /// `blocks.L.mlp.hook_pre_linear` [batch, pos, d_mlp] (gated MLPs).
    public static func mlpPreLinear(_ layer: Int) -> HookName { block(layer, "mlp.hook_pre_linear") }
    /// `blocks.L.mlp.hook_mid` [batch, pos, d_mlp]: solu(pre), before the MLP's LayerNorm
    /// (`solu_ln` models).
    public static func mlpMid(_ layer: Int) -> HookName { block(layer, "mlp.hook_mid") }
    /// `blocks.L.mlp.hook_post` [batch, pos, d_mlp]: the neuron activations.
    public static func mlpPost(_ layer: Int) -> HookName { block(layer, "mlp.hook_post") }

    /// Which normalisation a `hook_scale` / `hook_normalized` belongs to.
    public enum Norm: String, Sendable {
        case ln1, ln2
        /// The MLP's own LayerNorm over d_mlp (`solu_ln` models): `blocks.L.mlp.ln.hook_…`.
        case mlpLN = "mlp.ln"
    }

    /// `blocks.L.ln1.hook_scale` (or ln2, mlp.ln) [batch, pos, 1].
    public static func scale(_ layer: Int, _ norm: Norm) -> HookName { block(layer, "\(norm.rawValue).hook_scale") }
    /// `blocks.L.ln1.hook_normalized` (or ln2) [batch, pos, d_model]; mlp.ln: [batch, pos, d_mlp].
    public static func normalized(_ layer: Int, _ norm: Norm) -> HookName { block(layer, "\(norm.rawValue).hook_normalized") }
    /// `ln_final.hook_scale` [batch, pos, 1].
    public static let finalScale: HookName = "ln_final.hook_scale"
    /// `ln_final.hook_normalized` [batch, pos, d_model].
    public static let finalNormalized: HookName = "ln_final.hook_normalized"

    private static func block(_ layer: Int, _ suffix: String) -> HookName { HookName("blocks.\(layer).\(suffix)") }

    // MARK: Shorthand

    /// TransformerLens's `get_act_name`: `("k", 6)` → `blocks.6.attn.hook_k`,
    /// `("normalized", 3, "ln2")` → `blocks.3.ln2.hook_normalized`, `"embed"` → `hook_embed`,
    /// `"scale"` → `ln_final.hook_scale`. Aliases: `attn`→`pattern`, `attn_logits`→`attn_scores`,
    /// `key/query/value`→`k/q/v`, `mlp_pre/mlp_mid/mlp_post`→`pre/mid/post`; layer types `a`→`attn`,
    /// `m`→`mlp`, `b`/`block`/`blocks`→none. Full names pass through unchanged.
    public init(_ name: String, layer: Int?, layerType: String? = nil) {
        var name = name
        var layer = layer
        var layerType = layerType
        if layer == nil && !name.contains(".") && !name.hasPrefix("hook_"),
           let split = HookName.splitCompact(name) {
            (name, layer, layerType) = (split.name, split.layer, split.type ?? layerType)
        }
        if layer == nil && (name.contains(".") || name.hasPrefix("hook_")) {
            self.init(name)
            return
        }
        let aliases = ["attn": "pattern", "attn_logits": "attn_scores", "key": "k", "query": "q", "value": "v",
                       "mlp_pre": "pre", "mlp_mid": "mid", "mlp_post": "post"]
        name = aliases[name] ?? name
        let typeAliases: [String: String?] = ["a": "attn", "m": "mlp", "b": nil, "block": nil, "blocks": nil, "attention": "attn"]
        if let t = layerType, let mapped = typeAliases[t] { layerType = mapped }
        if ["q", "k", "v", "z", "rot_q", "rot_k", "result", "pattern", "attn_scores"].contains(name) {
            layerType = "attn"
        } else if ["pre", "post", "mid", "pre_linear"].contains(name) {
            layerType = "mlp"
        }
        var full = ""
        if let layer {
            full = "blocks.\(layer)."
        } else if name == "scale" || name == "normalized" {
            full = "ln_final."
        }
        if let layerType, layer != nil { full += "\(layerType)." }
        full += "hook_\(name)"
        self.init(full)
    }

    /// `HookName(shorthand: "k6")`: the compact `get_act_name` form.
    public init(shorthand: String) { self.init(shorthand, layer: nil) }

    /// Splits `"k6"` → ("k", 6, nil) and `"scale4ln1"` → ("scale", 4, "ln1").
    private static func splitCompact(_ s: String) -> (name: String, layer: Int, type: String?)? {
        guard let digitStart = s.firstIndex(where: \.isNumber), digitStart != s.startIndex else { return nil }
        let digits = s[digitStart...].prefix { $0.isNumber }
        guard let layer = Int(digits) else { return nil }
        let rest = s[digits.endIndex...]
        return (String(s[..<digitStart]), layer, rest.isEmpty ? nil : String(rest))
    }
}

/// TransformerLens's `get_act_name(name, layer, layer_type)`; see ``HookName/init(_:layer:layerType:)``.
public func getActName(_ name: String, _ layer: Int? = nil, _ layerType: String? = nil) -> HookName {
    HookName(name, layer: layer, layerType: layerType)
}
