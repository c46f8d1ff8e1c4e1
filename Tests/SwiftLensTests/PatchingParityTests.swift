import Foundation
import SwiftLens
import Testing

/// Activation patching and ablation scans against TransformerLens (`interventions.safetensors`:
/// `transformer_lens.patching` results with the metric logits[0, -1, A] − logits[0, -1, B]).
@Suite struct PatchingParityTests {
    static let models = ["attn2l", "gpt2tiny", "llamatiny", "shortformer"]

    func expectClose(_ got: Tensor, _ want: Tensor, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == want.shape, "\(label): shape \(got.shape), expected \(want.shape)", sourceLocation: sourceLocation)
        guard got.shape == want.shape else { return }
        #expect(got.maxAbsoluteDifference(want) < 1e-4, "\(label): max |Δ| \(got.maxAbsoluteDifference(want))",
                sourceLocation: sourceLocation)
    }

    @Test(arguments: models)
    func patchingMatchesTransformerLens(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let fixture = try Fixtures.open("classic/\(name)/interventions.safetensors")
        let clean = try fixture.intTensor("patch.clean_tokens"), corrupted = try fixture.intTensor("patch.corrupted_tokens")
        let answers = try fixture.intTensor("patch.answer_tokens")
        let metric = SweepMetric.logitDifference(answer: answers[0], wrong: answers[1])
        let (_, cache) = try model.runWithCache(clean)

        let residPre = try ActivationPatching.sweep(model, corrupted: corrupted, clean: cache, metric: metric,
                                                    activation: HookName.residPre, axes: [.layer, .pos]).run()
        #expect(abs(residPre.baseline - (try fixture.tensor("patch.corrupted_metric").scalar)) < 1e-4)
        expectClose(try residPre.tensor(), try fixture.tensor("patch.get_act_patch_resid_pre"), "\(name) resid_pre")
        expectClose(try ActivationPatching.attnOut(model, corrupted: corrupted, clean: cache, metric: metric),
                    try fixture.tensor("patch.get_act_patch_attn_out"), "\(name) attn_out")
        if !model.config.attnOnly {
            expectClose(try ActivationPatching.residMid(model, corrupted: corrupted, clean: cache, metric: metric),
                        try fixture.tensor("patch.get_act_patch_resid_mid"), "\(name) resid_mid")
            expectClose(try ActivationPatching.mlpOut(model, corrupted: corrupted, clean: cache, metric: metric),
                        try fixture.tensor("patch.get_act_patch_mlp_out"), "\(name) mlp_out")
        }
        expectClose(try ActivationPatching.headOut(byPosition: false, model, corrupted: corrupted, clean: cache, metric: metric),
                    try fixture.tensor("patch.get_act_patch_attn_head_out_all_pos"), "\(name) head out all pos")
        expectClose(try ActivationPatching.headOut(byPosition: true, model, corrupted: corrupted, clean: cache, metric: metric),
                    try fixture.tensor("patch.get_act_patch_attn_head_out_by_pos"), "\(name) head out by pos")
        expectClose(try ActivationPatching.headPattern(.allPositions, model, corrupted: corrupted, clean: cache, metric: metric),
                    try fixture.tensor("patch.get_act_patch_attn_head_pattern_all_pos"), "\(name) pattern all pos")
        expectClose(try ActivationPatching.headAllPositionsEvery(model, corrupted: corrupted, clean: cache, metric: metric),
                    try fixture.tensor("patch.get_act_patch_attn_head_all_pos_every"), "\(name) all pos every")
        // Patching everything of the clean run restores the clean metric.
        let full = try ActivationPatching.patch(model, corrupted: corrupted, clean: cache, metric: metric,
                                                activation: HookName.residPre, axes: [.layer])
        #expect(abs(full[0].scalar - (try fixture.tensor("patch.clean_metric").scalar)) < 1e-4)
    }

    /// The grids TransformerLens has but the fixtures do not hold, against plain hooked runs.
    @Test func finerGridsMatchPlainHookedRuns() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/llamatiny"))
        let fixture = try Fixtures.open("classic/llamatiny/interventions.safetensors")
        let clean = try fixture.intTensor("patch.clean_tokens")[.all, ..<12], corrupted = try fixture.intTensor("patch.corrupted_tokens")[.all, ..<12]
        let metric = SweepMetric(positions: .last) { $0[0, -1, 3].scalar }
        let (_, cache) = try model.runWithCache(clean)
        func plain(_ hooks: [Hook]) throws -> Float { try model(corrupted, hooks: hooks)[0, -1, 3].scalar }

        let destSrc = try ActivationPatching.headPattern(.destinationAndSource, model, corrupted: corrupted, clean: cache, metric: metric)
        #expect(destSrc.shape == [2, 4, 12, 12])
        for (l, h, d, s) in [(0, 1, 5, 2), (1, 3, 11, 11), (1, 0, 7, 0)] {
            let index: [TensorIndex] = [.all, .at(h), .at(d), .at(s)]
            let want = try plain([.setValue(.pattern(l), index, to: cache[.pattern(l)]!.selecting(index))])
            #expect(abs(destSrc[l, h, d, s].scalar - want) < 1e-4)
        }
        let byDest = try ActivationPatching.headPattern(.byDestination, model, corrupted: corrupted, clean: cache, metric: metric)
        #expect(byDest.shape == [2, 4, 12])
        let vByPos = try ActivationPatching.head(.v, byPosition: true, model, corrupted: corrupted, clean: cache, metric: metric)
        #expect(vByPos.shape == [2, 12, 4])
        let index: [TensorIndex] = [.all, .at(4), .at(2)]
        #expect(abs(vByPos[1, 4, 2].scalar - (try plain([.setValue(.v(1), index, to: cache[.v(1)]!.selecting(index))]))) < 1e-4)
        let every = try ActivationPatching.headByPositionEvery(model, corrupted: corrupted, clean: cache, metric: metric)
        #expect(every.shape == [5, 2, 12, 4])
        #expect(every[4].maxAbsoluteDifference(byDest.permuted(0, 2, 1)) == 0)
        #expect(try ActivationPatching.blockEvery(model, corrupted: corrupted, clean: cache, metric: metric).shape == [3, 2, 12])

        #expect(throws: PatchingError.self) {
            try ActivationPatching.patch(model, corrupted: corrupted, clean: cache, metric: metric, activation: HookName.residPre, axes: [.pos])
        }
        #expect(throws: PatchingError.self) {
            try ActivationPatching.patch(model, corrupted: corrupted, clean: cache, metric: metric, activation: HookName.residPre,
                                         axes: [.layer, .head])
        }
        #expect(throws: (any Error).self) {
            try ActivationPatching.residPre(model, corrupted: corrupted[.all, ..<8], clean: cache, metric: metric)
        }
    }

    @Test func ablationScansMatchTheFixturesAndPlainRuns() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let fixture = try Fixtures.open("classic/gpt2tiny/interventions.safetensors")
        let metric = SweepMetric { $0.mean().scalar }
        // Zero and mean ablation of L1H2, as in the fixture.
        let zero = try Sweep.headAblation(model, tokens: tokens, metric: metric).run().tensor()
        #expect(zero.shape == [2, 4])
        #expect(abs(zero[1, 2].scalar - (try fixture.tensor("zero_ablate.logits").mean().scalar)) < 1e-5)
        let mean = try Sweep.headAblation(model, tokens: tokens, metric: metric, ablation: .mean()).run().tensor()
        #expect(abs(mean[1, 2].scalar - (try fixture.tensor("mean_ablate.logits").mean().scalar)) < 1e-5)
        // Resample ablation and the neuron and position scans against hand-written hooks.
        let other = tokens.reversedPositions()
        let otherCache = try model.runWithCache(other).cache
        let resample = try Sweep.headAblation(model, tokens: tokens, metric: metric, ablation: .resample(from: other)).run().tensor()
        let want = try model(tokens, hooks: [.patch(.z(0), from: otherCache, .all, .all, 3)]).mean().scalar
        #expect(abs(resample[0, 3].scalar - want) < 1e-5)
        let neurons = try Sweep.neuronAblation(model, tokens: tokens, metric: metric, layers: [1]).run().tensor()
        #expect(neurons.shape == [1, 256])
        #expect(abs(neurons[0, 17].scalar - (try model(tokens, hooks: [.zeroAblate(.mlpPost(1), .all, .all, 17)]).mean().scalar)) < 1e-5)
        let positions = try Sweep.positionAblation(model, tokens: tokens, metric: metric, activation: HookName.attnOut,
                                                   ablation: .mean()).run().tensor()
        #expect(positions.shape == [2, 62])
        let attnOut = try model.runWithCache(tokens).cache[.attnOut(0)]!
        let meanAt9 = attnOut[.all, 9].mean(axis: 0)
        let plain = try model(tokens, hooks: [.setValue(.attnOut(0), [.all, .at(9)], to: meanAt9)]).mean().scalar
        #expect(abs(positions[0, 9].scalar - plain) < 1e-5)
        #expect(throws: ModelError.self) {
            try Sweep.neuronAblation(try HookedTransformer.load(directory: Fixtures.url("classic/attn2l")), tokens: tokens, metric: metric)
        }
        #expect(throws: ModelError.self) {
            try Sweep.headAblation(model, tokens: tokens, metric: metric, ablation: .resample(from: other[.all, ..<5]))
        }
    }
}
