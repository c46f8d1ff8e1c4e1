import Foundation
import SwiftLens
import Testing

/// `act_fn: solu_ln` (and plain `solu`) against the formulas, computed independently in Double:
/// there is no TransformerLens fixture for SoLU, so every hook of the MLP is checked against
///
///     hook_mid = pre ⊙ softmax(pre)            (over d_mlp)
///     mlp.ln.hook_scale = √(var(mid) + eps)
///     hook_post = mlp.ln.hook_normalized = (mid − mean(mid)) / scale · w + b
///     hook_mlp_out = post · W_out + b_out
///
/// and fold_ln, gradients, the config and the parameter list around it.
@Suite struct SoLUTests {
    static func config(_ act: Activation = .soluLN, norm: HookedTransformerConfig.Normalization? = .layerNorm,
                       gated: Bool = false) -> HookedTransformerConfig {
        HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 8, dHead: 4, nHeads: 4, dMLP: 24, dVocab: 20, actFn: act,
                                normalizationType: norm, gatedMLP: gated, seed: 5)
    }

    /// A model of `config` whose every parameter is random (norm weights around 1, biases
    /// around 0), so that no fold or bias is trivially the identity.
    static func randomModel(_ config: HookedTransformerConfig = config()) throws -> HookedTransformer {
        let fresh = try HookedTransformer(config: config)
        var dict: [String: Tensor] = [:]
        for (i, (name, kind)) in fresh.parameterKinds.sorted(by: { $0.key < $1.key }).enumerated() {
            let shape = try fresh.parameter(name).shape
            let seed = UInt64(100 + i)
            switch kind {
            case .normWeight: dict[name] = Tensor.randomUniform(shape, low: 0.5, high: 1.5, seed: seed)
            case .weight: dict[name] = Tensor.randomNormal(shape, std: 0.4, seed: seed)
            default: dict[name] = Tensor.randomNormal(shape, std: 0.3, seed: seed)
            }
        }
        return try HookedTransformer(config: config, stateDict: dict)
    }

    static let tokens = IntTensor([[3, 1, 4, 1, 5, 9, 2, 6], [19, 0, 7, 7, 12, 8, 11, 2]])

    /// The rows of the last axis as Double.
    static func rows(_ t: Tensor) -> [[Double]] {
        let n = t.shape.last!
        let s = t.scalars.map(Double.init)
        return stride(from: 0, to: s.count, by: n).map { Array(s[$0..<($0 + n)]) }
    }

    static func maxDifference(_ a: [[Double]], _ b: Tensor) -> Double {
        zip(a, rows(b)).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
    }

    @Test func everyMLPHookFollowsTheFormula() throws {
        let model = try Self.randomModel()
        let c = model.config
        let (_, cache) = try model.runWithCache(Self.tokens)
        for l in 0..<c.nLayers {
            let pre = Self.rows(cache[.mlpPre(l)]!)
            // SoLU in Double: x · softmax(x) over d_mlp.
            let mid = pre.map { x -> [Double] in
                let m = x.max()!
                let e = x.map { Foundation.exp($0 - m) }
                let z = e.reduce(0, +)
                return zip(x, e).map { $0 * $1 / z }
            }
            #expect(Self.maxDifference(mid, cache[.mlpMid(l)]!) < 1e-6, "layer \(l) hook_mid")
            // The LayerNorm over d_mlp, with its weight and bias.
            let w = try model.parameter("blocks.\(l).mlp.ln.w").scalars.map(Double.init)
            let b = try model.parameter("blocks.\(l).mlp.ln.b").scalars.map(Double.init)
            var scales: [[Double]] = [], normalized: [[Double]] = []
            for x in mid {
                let mean = x.reduce(0, +) / Double(x.count)
                let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)
                let scale = (variance + Double(c.eps)).squareRoot()
                scales.append([scale])
                normalized.append(x.indices.map { (x[$0] - mean) / scale * w[$0] + b[$0] })
            }
            #expect(cache[.scale(l, .mlpLN)]!.shape == [2, 8, 1])
            #expect(Self.maxDifference(scales, cache[.scale(l, .mlpLN)]!) < 1e-6, "layer \(l) ln.hook_scale")
            #expect(Self.maxDifference(normalized, cache[.normalized(l, .mlpLN)]!) < 1e-4, "layer \(l) ln.hook_normalized")
            #expect(Self.maxDifference(normalized, cache[.mlpPost(l)]!) < 1e-4, "layer \(l) hook_post")
            // The MLP's output reads the normalised neurons.
            let wOut = Self.rows(try model.parameter("blocks.\(l).mlp.W_out"))
            let bOut = try model.parameter("blocks.\(l).mlp.b_out").scalars.map(Double.init)
            let post = Self.rows(cache[.mlpPost(l)]!)
            let out = post.map { p in (0..<c.dModel).map { j in bOut[j] + p.indices.reduce(0.0) { $0 + p[$1] * wOut[$1][j] } } }
            #expect(Self.maxDifference(out, cache[.mlpOut(l)]!) < 1e-4, "layer \(l) hook_mlp_out")
        }
    }

    @Test func hookPointsParametersAndSizes() throws {
        let model = try Self.randomModel()
        let names = model.hookPoints.map(\.rawValue).filter { $0.hasPrefix("blocks.0.mlp.") }
        #expect(names == ["blocks.0.mlp.hook_pre", "blocks.0.mlp.hook_mid", "blocks.0.mlp.ln.hook_scale",
                          "blocks.0.mlp.ln.hook_normalized", "blocks.0.mlp.hook_post"])
        #expect(model.layout(of: .mlpMid(1)) == .neurons)
        #expect(model.layout(of: "blocks.1.mlp.ln.hook_scale") == .scale && HookName.scale(1, .mlpLN) == "blocks.1.mlp.ln.hook_scale")
        #expect(model.layout(of: "blocks.1.mlp.ln.hook_normalized") == .neurons)
        #expect(HookName(shorthand: "mid1") == .mlpMid(1) && getActName("mlp_mid", 0) == .mlpMid(0))
        #expect(model.parameterNames.filter { $0.hasPrefix("blocks.0.mlp.") }
                == ["blocks.0.mlp.W_in", "blocks.0.mlp.b_in", "blocks.0.mlp.W_out", "blocks.0.mlp.b_out",
                    "blocks.0.mlp.ln.w", "blocks.0.mlp.ln.b"])
        #expect(model.parameterKinds["blocks.0.mlp.ln.w"] == .normWeight && model.parameterKinds["blocks.0.mlp.ln.b"] == .normBias)
        #expect(try model.parameter("blocks.1.mlp.ln.w").shape == [24])
        #expect(try model.config.parameterCount == model.parameterCount)
        // A fresh model's norm is the identity map's LayerNorm: weight 1, bias 0.
        let fresh = try HookedTransformer(config: Self.config())
        #expect(try fresh.parameter("blocks.0.mlp.ln.w") == Tensor.ones([24]) && fresh.parameter("blocks.0.mlp.ln.b") == Tensor.zeros([24]))
        // A cache estimate counts hook_normalized d_mlp wide.
        let estimate = try model.cacheEstimate(batch: 2, positions: 8, names: ["blocks.0.mlp.ln.hook_normalized"])
        #expect(estimate.points.map(\.shape) == [[2, 8, 24]])
        // Without LN weights in the model (LNPre, RMS, none) the MLP's norm is LNPre: hooks, no parameters.
        for norm: HookedTransformerConfig.Normalization? in [.layerNormPre, .rms, .rmsPre, nil] {
            let m = try Self.randomModel(Self.config(norm: norm))
            #expect(!m.parameterNames.contains { $0.contains("mlp.ln") }, "\(String(describing: norm))")
            #expect(try m.config.parameterCount == m.parameterCount)
            let (_, cache) = try m.runWithCache(Self.tokens)
            let n = cache["blocks.0.mlp.ln.hook_normalized"]!
            #expect(n == cache[.mlpPost(0)]!)
            #expect(n.mean(axis: -1).abs().max().scalar < 1e-5 && (n.square().mean(axis: -1) - 1).abs().max().scalar < 2e-2)
        }
    }

    @Test func plainSoLUHasNoNorm() throws {
        let model = try Self.randomModel(Self.config(.solu))
        let (_, cache) = try model.runWithCache(Self.tokens)
        #expect(cache[.mlpMid(0)] == nil && cache["blocks.0.mlp.ln.hook_scale"] == nil)
        #expect(!model.parameterNames.contains { $0.contains("mlp.ln") })
        let pre = cache[.mlpPre(0)]!
        #expect(cache[.mlpPost(0)]!.isApproximatelyEqual(to: pre * pre.softmax(axis: -1), absoluteTolerance: 1e-6))
        // Processing leaves it alone (nothing to fold) and keeps the function.
        let processed = try model.processed(WeightProcessing(centerUnembed: false))
        #expect(try processed(Self.tokens).isApproximatelyEqual(to: model(Self.tokens), absoluteTolerance: 1e-4))
    }

    /// A replaced `hook_scale` makes the norm compose from tensor operations instead of the
    /// fused kernel: the same function while the replacement is the identity.
    @Test func composedNormEqualsFusedNorm() throws {
        let model = try Self.randomModel()
        let identity = Hook("blocks.1.mlp.ln.hook_scale") { x, _ in x }
        #expect(try model(Self.tokens, hooks: [identity]).isApproximatelyEqual(to: model(Self.tokens), absoluteTolerance: 1e-5))
        // Doubling the scale halves the centred neurons before the weight.
        let doubled = Hook("blocks.1.mlp.ln.hook_scale") { x, _ in x * 2 }
        let (_, clean) = try model.runWithCache(Self.tokens)
        let (_, edited) = try model.runWithCache(Self.tokens, hooks: [doubled])
        let b = try model.parameter("blocks.1.mlp.ln.b")
        #expect((edited[.mlpPost(1)]! - b).isApproximatelyEqual(to: (clean[.mlpPost(1)]! - b) / 2, absoluteTolerance: 1e-5))
    }

    @Test func foldingTheMLPNormKeepsTheLogits() throws {
        let model = try Self.randomModel()
        let (logits, cache) = try model.runWithCache(Self.tokens)
        // fold_ln (with the centrings and the value-bias fold) without center_unembed: the same logits.
        let folded = try model.processed(WeightProcessing(centerUnembed: false))
        #expect(folded.config.normalizationType == .layerNormPre)
        #expect(!folded.parameterNames.contains { $0.contains("ln") })
        #expect(folded.blocks[0].mlp?.ln?.kind == .layerNormPre)
        let (foldedLogits, foldedCache) = try folded.runWithCache(Self.tokens)
        #expect(foldedLogits.isApproximatelyEqual(to: logits, absoluteTolerance: 1e-4))
        for l in 0..<2 {
            // Before the norm nothing changes; its scale neither; after it, the weight and bias are in W_out.
            #expect(foldedCache[.mlpMid(l)]!.isApproximatelyEqual(to: cache[.mlpMid(l)]!, absoluteTolerance: 1e-5))
            #expect(foldedCache[.scale(l, .mlpLN)]!
                .isApproximatelyEqual(to: cache[.scale(l, .mlpLN)]!, absoluteTolerance: 1e-5))
            let w = try model.parameter("blocks.\(l).mlp.ln.w"), b = try model.parameter("blocks.\(l).mlp.ln.b")
            #expect((foldedCache[.mlpPost(l)]! * w + b).isApproximatelyEqual(to: cache[.mlpPost(l)]!, absoluteTolerance: 1e-4))
            // W_out is centred over d_mlp (fold) and over d_model (center_writing_weights).
            let wOut = try folded.parameter("blocks.\(l).mlp.W_out")
            #expect(wOut.mean(axis: 0).abs().max().scalar < 1e-5 && wOut.mean(axis: 1).abs().max().scalar < 1e-5)
        }
        // The default processing (center_unembed too): the same log-probabilities.
        let processed = try model.processed()
        #expect(try processed(Self.tokens).logSoftmax().isApproximatelyEqual(to: logits.logSoftmax(), absoluteTolerance: 1e-4))
        // fold_ln alone, without centring: the same logits as well.
        let foldOnly = try model.processed(WeightProcessing(foldLN: true, centerWritingWeights: false, centerUnembed: false,
                                                            foldValueBiases: false))
        #expect(try foldOnly(Self.tokens).isApproximatelyEqual(to: logits, absoluteTolerance: 1e-4))
    }

    /// dLoss/dθ of the tape against central differences of the loss, for the MLP norm's weight
    /// and bias and for b_in (whose gradient flows back through the norm and SoLU).
    @Test(arguments: [false, true])
    func gradientsMatchFiniteDifferences(processed: Bool) throws {
        let base = try Self.randomModel()
        let model = processed ? try base.processed() : base
        let (_, grads) = try model.lossAndGradients(Self.tokens)
        let names = processed ? ["blocks.0.mlp.b_in", "blocks.1.mlp.b_in", "blocks.0.mlp.W_out"]
            : ["blocks.0.mlp.ln.w", "blocks.0.mlp.ln.b", "blocks.1.mlp.ln.w", "blocks.0.mlp.b_in", "blocks.1.mlp.b_in"]
        var largest: Float = 0
        for name in names {
            let original = try model.parameter(name)
            let analytic = grads[name]!.scalars
            #expect(grads[name]!.shape == original.shape)
            for i in stride(from: 0, to: original.count, by: 5) {
                func loss(_ delta: Float) throws -> Float {
                    var shifted = original.scalars
                    shifted[i] += delta
                    try model.setParameter(name, Tensor(shape: original.shape, values: shifted))
                    return try model.loss(Self.tokens).scalar
                }
                let numeric = (try loss(1e-2) - loss(-1e-2)) / 2e-2
                try model.setParameter(name, original)
                #expect(abs(numeric - analytic[i]) <= 2e-4 + 0.02 * abs(analytic[i]), "\(name)[\(i)]: tape \(analytic[i]), FD \(numeric)")
                largest = max(largest, abs(analytic[i]))
            }
        }
        #expect(largest > 1e-3)
        // The activation gradients exist at the new hook points too.
        let (_, cache) = try model.runWithGradientCache(Self.tokens)
        #expect(cache.gradient(.mlpMid(0))?.shape == [2, 8, 24])
        #expect(cache.gradient("blocks.0.mlp.ln.hook_normalized")?.shape == [2, 8, 24])
    }

    @Test func configRoundTripsAndRefusesGatedSoLULN() throws {
        for act in [Activation.soluLN, .solu] {
            let c = Self.config(act)
            let data = try JSONEncoder().encode(c)
            let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            #expect(object["act_fn"] as? String == act.rawValue)
            #expect(try HookedTransformerConfig.decode(json: data) == c)
        }
        let json = #"{"n_layers": 1, "d_model": 16, "n_ctx": 8, "d_head": 4, "d_vocab": 10, "act_fn": "solu_ln"}"#
        let decoded = try HookedTransformerConfig.decode(json: Data(json.utf8))
        #expect(decoded.actFn == .soluLN && decoded.normalizationType == .layerNorm)
        #expect(Activation.soluLN.kernel == nil && Activation.soluLN.isLayerNormActivation && !Activation.solu.isLayerNormActivation)
        #expect(!Activation.elementwise.contains(.soluLN) && Activation.elementwise.contains(.geluNew))
        #expect(throws: ConfigError.self) { try Self.config(gated: true).validated() }
        // Gated plain SoLU is TransformerLens's gated MLP with solu as the activation.
        let gated = try HookedTransformer(config: Self.config(.solu, gated: true), seed: 1)
        let (_, cache) = try gated.runWithCache(Self.tokens)
        let pre = cache[.mlpPre(0)]!
        let bIn = try gated.parameter("blocks.0.mlp.b_in")
        #expect(cache[.mlpPost(0)]!.isApproximatelyEqual(to: pre.solu() * cache[.mlpPreLinear(0)]! + bIn, absoluteTolerance: 1e-6))
    }

    @Test func savedModelLoadsBack() throws {
        let model = try Self.randomModel()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("solu-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory)
        let loaded = try HookedTransformer.load(directory: directory)
        #expect(loaded.config == model.config && loaded.stateDict == model.stateDict)
        #expect(try loaded(Self.tokens) == model(Self.tokens))
        // Loading with processing folds the MLP norm as well.
        let processed = try HookedTransformer.load(directory: directory, process: true)
        #expect(!processed.parameterNames.contains { $0.contains("mlp.ln") })
        #expect(try processed(Self.tokens).logSoftmax().isApproximatelyEqual(to: model(Self.tokens).logSoftmax(), absoluteTolerance: 1e-4))
    }
}
