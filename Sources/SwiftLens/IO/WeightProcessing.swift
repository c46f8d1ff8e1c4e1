/// TransformerLens's weight processing (`from_pretrained` defaults), with the same effect on
/// activations: the model computes the same function, in a basis that is easier to read.
///
/// - **fold_ln**: each LayerNorm's weight (and bias) is folded into the matrices that read its
///   output (W_Q/W_K/W_V, W_in/W_gate, W_U, and W_out/b_out for the `mlp.ln` of `solu_ln`), whose
///   normalised axis (d_model; d_mlp for W_out) is then centred; the norms become `LNPre`. RMS models fold only the weights (`RMSPre`), with no bias fold and no centring.
/// - **center_writing_weights**: W_E, W_pos, W_O, b_O, W_out, b_out lose their mean over d_model
///   (LayerNorm models without `final_rms` only): the residual stream becomes mean-zero.
/// - **center_unembed**: W_U and b_U lose their mean over the vocabulary; logits shift by a
///   per-position constant, log-probabilities do not change.
/// - **fold_value_biases**: b_O += Σ_h b_V[h]·W_O[h], b_V = 0 (patterns sum to 1).
///
/// As in TransformerLens, shortformer models skip the folding and both centrings, and models
/// without normalisation cannot fold.
public struct WeightProcessing: Sendable {
    public var foldLN = true
    public var centerWritingWeights = true
    public var centerUnembed = true
    public var foldValueBiases = true

    /// TransformerLens's `from_pretrained` defaults (everything on).
    public static let `default` = WeightProcessing()

    public init(foldLN: Bool = true, centerWritingWeights: Bool = true, centerUnembed: Bool = true, foldValueBiases: Bool = true) {
        self.foldLN = foldLN
        self.centerWritingWeights = centerWritingWeights
        self.centerUnembed = centerUnembed
        self.foldValueBiases = foldValueBiases
    }

    /// The processed config and state dict.
    public func apply(config: HookedTransformerConfig, stateDict: [String: Tensor]) -> (HookedTransformerConfig, [String: Tensor]) {
        var (c, sd) = (config, stateDict)
        apply(config: &c, stateDict: &sd)
        return (c, sd)
    }

    /// Processes `config` and `stateDict` in place. Each weight is replaced as soon as its
    /// processed value exists, so (unlike the copying form, whose caller still holds the
    /// originals) the dictionary never holds more than one extra tensor at a time.
    func apply(config c: inout HookedTransformerConfig, stateDict sd: inout [String: Tensor]) {
        let shortformer = c.positionalEmbeddingType == .shortformer
        let layerNorm = c.normalizationType == .layerNorm, rms = c.normalizationType == .rms
        if foldLN && !shortformer && (layerNorm || rms) {
            fold(&sd, config: c, biases: layerNorm, center: layerNorm)
            c.normalizationType = layerNorm ? .layerNormPre : .rmsPre
        }
        let centrable = c.normalizationType == .layerNorm || c.normalizationType == .layerNormPre
        if centerWritingWeights && !shortformer && centrable && !c.finalRMS {
            centerWriting(&sd, config: c)
        }
        if centerUnembed && !shortformer {
            sd["unembed.W_U"] = centered(sd["unembed.W_U"]!, axis: -1)
            sd["unembed.b_U"] = sd["unembed.b_U"]! - sd["unembed.b_U"]!.mean()
        }
        if foldValueBiases { foldValues(&sd, config: c) }
    }

    private func centered(_ t: Tensor, axis: Int) -> Tensor { t - t.mean(axis: axis, keepDims: true) }

    private func fold(_ sd: inout [String: Tensor], config c: HookedTransformerConfig, biases: Bool, center: Bool) {
        let kv = c.nKeyValueHeads == nil ? "" : "_"
        for l in 0..<c.nLayers {
            let p = "blocks.\(l)"
            let w1 = sd.removeValue(forKey: "\(p).ln1.w")!
            let b1 = biases ? sd.removeValue(forKey: "\(p).ln1.b") : nil
            for (wName, bName) in [("attn.W_Q", "attn.b_Q"), ("attn.\(kv)W_K", "attn.\(kv)b_K"), ("attn.\(kv)W_V", "attn.\(kv)b_V")] {
                let w = sd["\(p).\(wName)"]!  // [head, d_model, d_head]
                if let b1 { sd["\(p).\(bName)"] = sd["\(p).\(bName)"]! + (w * b1.reshaped(1, -1, 1)).sum(axis: 1) }
                let folded = w * w1.reshaped(1, -1, 1)
                sd["\(p).\(wName)"] = center ? centered(folded, axis: 1) : folded
            }
            guard !c.attnOnly else { continue }
            let w2 = sd.removeValue(forKey: "\(p).ln2.w")!
            if biases, let b2 = sd.removeValue(forKey: "\(p).ln2.b") {
                sd["\(p).mlp.b_in"] = sd["\(p).mlp.b_in"]! + (sd["\(p).mlp.W_in"]! * b2.reshaped(-1, 1)).sum(axis: 0)
            }
            let wIn = sd["\(p).mlp.W_in"]! * w2.reshaped(-1, 1)
            sd["\(p).mlp.W_in"] = center ? centered(wIn, axis: 0) : wIn
            if c.gatedMLP { sd["\(p).mlp.W_gate"] = sd["\(p).mlp.W_gate"]! * w2.reshaped(-1, 1) }
            // solu_ln's LayerNorm over d_mlp (an LN model's only) into W_out and b_out; W_out is
            // then centred over d_mlp, which the LNPre output has zero mean over.
            if let wL = sd.removeValue(forKey: "\(p).mlp.ln.w") {
                if let bL = sd.removeValue(forKey: "\(p).mlp.ln.b") {
                    sd["\(p).mlp.b_out"] = sd["\(p).mlp.b_out"]! + (sd["\(p).mlp.W_out"]! * bL.reshaped(-1, 1)).sum(axis: 0)
                }
                let wOut = sd["\(p).mlp.W_out"]! * wL.reshaped(-1, 1)
                sd["\(p).mlp.W_out"] = center ? centered(wOut, axis: 0) : wOut
            }
        }
        let wF = sd.removeValue(forKey: "ln_final.w")!
        if !c.finalRMS && biases, let bF = sd.removeValue(forKey: "ln_final.b") {
            sd["unembed.b_U"] = sd["unembed.b_U"]! + (sd["unembed.W_U"]! * bF.reshaped(-1, 1)).sum(axis: 0)
        }
        let wU = sd["unembed.W_U"]! * wF.reshaped(-1, 1)
        sd["unembed.W_U"] = center ? centered(wU, axis: 0) : wU
    }

    private func centerWriting(_ sd: inout [String: Tensor], config c: HookedTransformerConfig) {
        sd["embed.W_E"] = centered(sd["embed.W_E"]!, axis: -1)
        if c.positionalEmbeddingType != .rotary { sd["pos_embed.W_pos"] = centered(sd["pos_embed.W_pos"]!, axis: -1) }
        for l in 0..<c.nLayers {
            let p = "blocks.\(l)"
            sd["\(p).attn.W_O"] = centered(sd["\(p).attn.W_O"]!, axis: -1)
            sd["\(p).attn.b_O"] = sd["\(p).attn.b_O"]! - sd["\(p).attn.b_O"]!.mean()
            if !c.attnOnly {
                sd["\(p).mlp.W_out"] = centered(sd["\(p).mlp.W_out"]!, axis: -1)
                sd["\(p).mlp.b_out"] = sd["\(p).mlp.b_out"]! - sd["\(p).mlp.b_out"]!.mean()
            }
        }
    }

    private func foldValues(_ sd: inout [String: Tensor], config c: HookedTransformerConfig) {
        let key = c.nKeyValueHeads == nil ? "b_V" : "_b_V"
        for l in 0..<c.nLayers {
            let p = "blocks.\(l).attn"
            var bV = sd["\(p).\(key)"]!  // [kv_head, d_head]
            if c.keyValueHeads != c.nHeads { bV = bV.repeatedInterleave(c.nHeads / c.keyValueHeads, axis: 0) }
            let wO = sd["\(p).W_O"]!  // [head, d_head, d_model]
            sd["\(p).b_O"] = sd["\(p).b_O"]! + (bV.unsqueezed(axis: -1) * wO).sum(axes: [0, 1])
            sd["\(p).\(key)"] = Tensor.zeros(sd["\(p).\(key)"]!.shape)
        }
    }
}

extension HookedTransformer {
    /// This model with TransformerLens's weight processing applied (a new model; see
    /// ``WeightProcessing``). The default is what `from_pretrained` does. The tokenizer is kept:
    /// processing changes no token id.
    public func processed(_ processing: WeightProcessing = .default) throws -> HookedTransformer {
        let (config, dict) = processing.apply(config: config, stateDict: stateDict)
        let model = try HookedTransformer(config: config, stateDict: dict)
        model.tokenizer = tokenizer
        return model
    }
}
