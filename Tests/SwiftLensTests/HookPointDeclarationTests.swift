import Foundation
import SwiftLens
import Testing

/// Hook points are declared once, with their layouts, by the components that fire them: the
/// model's list, the firing order, the cache's position slicing and patching read that one
/// declaration; modules spliced in bring points of their own.
@Suite struct HookPointDeclarationTests {
    /// Models of every kind of block: GPT-2 style, rotary + grouped-query + gated, smeared keys.
    static func models() throws -> [HookedTransformer] {
        [try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny")),
         try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 12, dHead: 4, nHeads: 4, dMLP: 24,
                                                               dVocab: 20, actFn: .silu, normalizationType: .rms,
                                                               positionalEmbeddingType: .rotary, gatedMLP: true,
                                                               nKeyValueHeads: 2), seed: 1),
         try HookedTransformer(config: .recipeR(layers: 2, smearKeys: true, contextLength: 12, vocabularySize: 20), seed: 2)]
    }

    @Test func pointsFireInTheDeclaredOrderWithTheDeclaredLayouts() throws {
        for model in try Self.models() {
            let c = model.config
            let tokens = IntTensor.randomIntegers([2, 7], below: c.dVocab, seed: 3)
            let fired = FiredPoints()
            _ = try model(tokens, hooks: [Hook.observe(where: { _ in true }) { value, context in
                fired.append(context.name)
                let layout = context.layout
                #expect(model.layout(of: context.name) == layout && value.rank == layout.rank, "\(context.name)")
                #expect(value.shape[0] == 2 && value.shape[layout.positionAxis] == 7, "\(context.name) \(value.shape)")
                if let axis = layout.headAxis { #expect(value.shape[axis] == layout.heads, "\(context.name)") }
                switch layout {
                case .residual: #expect(value.shape[2] == c.dModel)
                case .scale: #expect(value.shape[2] == 1)
                case .neurons: #expect(value.shape[2] == c.dMLP)
                case .pattern: #expect(value.shape[3] == 7)
                case .perHead, .features: break
                }
            }])
            #expect(fired.names == model.hookPoints)
            #expect(model.declaredHookPoints.map(\.name) == model.hookPoints)
        }
    }

    /// The bug the declarations fixed: the cache's position slice of `hook_smeared_k` cut its
    /// key-value-head axis (its layout was guessed from the name).
    @Test func positionSlicesFollowEachPointsLayout() throws {
        for model in try Self.models() {
            let tokens = IntTensor.randomIntegers([2, 7], below: model.config.dVocab, seed: 4)
            let (_, full) = try model.runWithCache(tokens)
            let (_, last) = try model.runWithCache(tokens, positions: .at(-1))
            for point in model.declaredHookPoints {
                guard let whole = full[point.name], let sliced = last[point.name] else { continue }
                var index = [TensorIndex](repeating: .all, count: whole.rank)
                index[point.layout.positionAxis] = .at(-1)
                #expect(sliced == whole.selecting(index), "\(point.name)")
            }
            if model.config.smearKeys {
                #expect(last[.smearedK(0)]?.shape == [2, model.config.nHeads, model.config.dHead])
            }
        }
    }

    /// A small sparse-autoencoder-like module: features = relu(x·E), output = x + (features·D −
    /// x·E·D) — the identity while nothing edits its features, so the model's outputs stay the
    /// same until a hook does.
    struct Autoencoder: SplicedModule {
        let encoder: Tensor, decoder: Tensor
        let features = HookPoint("blocks.0.sae.hook_features", .features)
        let output = HookPoint("blocks.0.sae.hook_out", .residual)
        var hookPoints: [HookPoint] { [features, output] }

        func callAsFunction(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
            let clean = x.matmul(encoder).relu()
            let acts = try pass.fire(features, clean)
            return try pass.fire(output, x + (acts - clean).matmul(decoder))
        }
    }

    @Test func splicedModulesBringHookPointsThatHookCacheAndLeave() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let d = model.config.dModel
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let clean = try model(tokens)
        let sae = Autoencoder(encoder: Tensor.randomNormal([d, 32], seed: 5), decoder: Tensor.randomNormal([32, d], seed: 6))
        #expect(throws: HookError.self) { try model.splice(sae, at: "blocks.0.hook_nothing") }
        try model.splice(sae, at: .residPost(0))
        defer { model.removeSplices(at: .residPost(0)) }
        let host = try #require(model.hookPoints.firstIndex(of: .residPost(0)))
        #expect(Array(model.hookPoints[(host + 1)...(host + 2)]) == [sae.features.name, sae.output.name])
        #expect(model.layout(of: sae.features.name) == .features)
        #expect(throws: HookError.duplicateHookPoint(sae.features.name)) {
            try model.splice(Autoencoder(encoder: sae.encoder, decoder: sae.decoder), at: .residPost(1))
        }

        // Unedited, the module changes nothing; its points cache like any other.
        #expect(try (model(tokens) - clean).abs().max().scalar < 1e-4)
        let (_, cache) = try model.runWithCache(tokens, names: [sae.features.name])
        #expect(cache[sae.features.name]?.shape == [tokens.shape[0], tokens.shape[1], 32])
        // Ablating its features moves the logits; removing the module restores them exactly.
        let ablated = try model(tokens, hooks: [Hook(sae.features.name) { x, _ in x * 0 }])
        #expect((ablated - clean).abs().max().scalar > 1e-2)
        #expect(model.removeSplices(at: .residPost(0)))
        #expect(!model.hookPoints.contains(sae.features.name))
        #expect(try model(tokens) == clean)
    }

    /// Each weight is held once: after a forward the packed form replaces the plain copy, the
    /// parameters read back unchanged, and a one-row product through it equals the plain one.
    @Test func weightsAreHeldOnceInTheKernelsForm() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let before = model.stateDict
        let plainBytes = before.values.reduce(0) { $0 + $1.count * 4 }
        #expect(model.parameterBytes == plainBytes)
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let logits = try model(tokens)
        #expect(model.blocks[0].attn.wQ == before["blocks.0.attn.W_Q"])
        #expect(model.stateDict == before)
        // Packed columns are padded to 16: at most 15 extra columns per matrix.
        #expect(model.parameterBytes >= plainBytes && model.parameterBytes < plainBytes + plainBytes / 2)
        let single = try model(tokens[0..<1, ..<1])
        #expect((single[0, 0] - logits[0, 0]).abs().max().scalar < 1e-4)
    }
}

/// Names recorded by an observer.
final class FiredPoints: @unchecked Sendable {
    private(set) var names: [HookName] = []
    func append(_ name: HookName) { names.append(name) }
}
