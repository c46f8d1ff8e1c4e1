import Foundation
import LensKernels
import SwiftLens
import Testing

/// The sweep engine gives, for every kind of variant, the metric a plain hooked forward pass
/// gives — whether variants resume from the base run alone or stacked in batches — and its
/// shards merge into the whole.
@Suite struct SweepTests {
    static let models = ["attn2l", "gpt2tiny", "llamatiny", "shortformer"]

    /// Variants touching every stage: embeddings, ln scales, q/k/v, scores, pattern, z,
    /// result, attn_out, MLP, residuals, the final norm; several hooks; none at all.
    static func variants(for model: HookedTransformer, other: ActivationCache) -> [Sweep.Variant] {
        let c = model.config
        let last = c.nLayers - 1
        var v: [Sweep.Variant] = [Sweep.Variant("none", hooks: [])]
        for l in 0..<c.nLayers {
            for h in 0..<c.nHeads { v.append(Sweep.Variant("zero L\(l)H\(h)", hooks: [.zeroAblateHead(Head(layer: l, head: h))])) }
            v.append(Sweep.Variant("patch resid_pre \(l)", hooks: [.patch(.residPre(l), from: other, .all, 5)]))
            v.append(Sweep.Variant("scale q \(l)", hooks: [Hook(.q(l)) { q, _ in q * 1.5 }]))
            v.append(Sweep.Variant("knock scores \(l)", hooks: [.knockOutScores(layer: l, head: 1, pairs: (1..<20).map { ($0, $0 - 1) })]))
            v.append(Sweep.Variant("knock pattern \(l)", hooks: [.knockOutPattern(layer: l, head: 0, pairs: [(7, 3), (9, 9)])]))
            v.append(Sweep.Variant("result \(l)", hooks: [Hook(.result(l)) { r, _ in r * 0.5 }]))
            v.append(Sweep.Variant("attn_out \(l)", hooks: [Hook(.attnOut(l)) { a, _ in -a }]))
            v.append(Sweep.Variant("resid_post \(l)", hooks: [Hook(.residPost(l)) { x, _ in x * 0.9 }]))
            if c.normalizationType != nil {
                v.append(Sweep.Variant("ln1 scale \(l)", hooks: [Hook(.scale(l, .ln1)) { s, _ in s * 2 }]))
            }
            if !c.attnOnly {
                v.append(Sweep.Variant("mlp neuron \(l)", hooks: [.zeroAblate(.mlpPost(l), .all, .all, 3)]))
                v.append(Sweep.Variant("resid_mid \(l)", hooks: [Hook(.residMid(l)) { x, _ in x * 1.1 }]))
            }
        }
        v.append(Sweep.Variant("embed", hooks: [Hook(.embed) { e, _ in e * 0.5 }]))
        if c.normalizationType != nil {
            v.append(Sweep.Variant("final scale", hooks: [Hook(.finalScale) { s, _ in s * 1.2 }]))
        }
        v.append(Sweep.Variant("two layers", hooks: [.zeroAblateHead(Head(layer: last, head: 2)), .zeroAblateHead(Head(layer: 0, head: 1))]))
        v.append(Sweep.Variant("predicate", hooks: [Hook(where: { $0.activation == "v" }) { x, _ in x * 0.7 }]))
        return v
    }

    @Test(arguments: models)
    func everyVariantMatchesAPlainHookedRun(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let tokens = try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens")
        let other = try model.runWithCache(tokens.reversedPositions()).cache
        let variants = Self.variants(for: model, other: other)
        let metrics: [(String, SweepMetric)] = [
            ("loss 30..<60", .loss(tokens: tokens, predictingAt: 30..<60)),
            ("all-position mean logit", SweepMetric { $0.mean().scalar }),
            ("logit difference", .logitDifference(answer: 3, wrong: 7)),
        ]
        for (label, metric) in metrics {
            var expected: [Float] = []
            for variant in variants {
                let logits = try model(tokens, hooks: variant.hooks)
                let read: Tensor
                switch metric.positions {
                case .all: read = logits
                case .last: read = logits[.all, (-1)...]
                case .range(let r): read = logits[.all, r]
                }
                expected.append(try metric.evaluate(read))
            }
            for rows in [1, 100_000] {  // one variant at a time; all stacked
                var sweep = Sweep(model: model, tokens: tokens, metric: metric, variants: variants)
                sweep.maxBatchRows = rows
                let result = try sweep.run()
                #expect(result.isComplete)
                // Two variants at a time, one per core: the same values, bit for bit.
                sweep.concurrentVariants = true
                let concurrent = try KernelThreads.with(2) { try sweep.run() }
                #expect(concurrent.values == result.values, "\(name) \(label) rows \(rows): concurrent variants")
                for (i, value) in result.values.enumerated() {
                    let want = expected[i]
                    #expect(abs(value! - want) <= 1e-4 * max(1, abs(want)),
                            "\(name) \(label) \(variants[i].label) rows \(rows): sweep \(value!), hooked run \(want)")
                }
                #expect(result.baseline == result.values[0])
            }
        }
    }

    @Test func shardsMergeIntoTheWholeSweep() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let other = try model.runWithCache(tokens.reversedPositions()).cache
        let sweep = Sweep(model: model, tokens: tokens, metric: .inductionLoss(tokens: tokens),
                          variants: Self.variants(for: model, other: other))
        let whole = try sweep.run()
        var progress: [Int] = []
        let parts = try (0..<3).map { i in
            try sweep.run(shard: Shard(parsing: "\(i)/3")) { progress.append($0.done) }
        }
        #expect(!parts[0].isComplete)
        #expect(parts[1].values.enumerated().allSatisfy { ($0.offset % 3 == 1) == ($0.element != nil) })
        #expect(throws: SweepError.self) { try parts[0].tensor() }
        // Written and read back as JSON, merged in any order.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let read = try parts.enumerated().map { i, part in
            let url = dir.appendingPathComponent("part\(i).json")
            try part.write(to: url)
            return try SweepResult.read(from: url)
        }
        let merged = try SweepResult.merging([read[2], read[0], read[1]])
        #expect(merged.values == (0..<whole.values.count).map { parts[$0 % 3].values[$0] })
        // Shards stack other variants together, so values agree up to float rounding.
        #expect(try merged.tensor().isApproximatelyEqual(to: whole.tensor(), absoluteTolerance: 1e-5))
        #expect(merged.shards.count == 3 && merged.isComplete)
        #expect(progress.last == whole.values.count / 3)
        #expect(throws: SweepError.self) { try SweepResult.merging([parts[0], parts[0]]) }
        #expect(throws: SweepError.self) { try Shard(parsing: "3/3") }
        #expect(throws: SweepError.self) { try Shard(parsing: "x") }
    }

    @Test func badSweepsThrow() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/attn2l"))
        let tokens = try Fixtures.open("classic/attn2l/activations.safetensors").intTensor("tokens")
        func run(_ hooks: [Hook], metric: SweepMetric = SweepMetric { $0.mean().scalar }) throws {
            _ = try Sweep(model: model, tokens: tokens, metric: metric, variants: [Sweep.Variant("v", hooks: hooks)]).run()
        }
        #expect(throws: SweepError.backwardHook(variant: "v")) { try run([Hook(.z(0), direction: .backward) { g, _ in g }]) }
        #expect(throws: HookError.self) { try run([Hook(.mlpOut(0)) { x, _ in x }]) }
        #expect(throws: HookError.self) { try run([Hook(.z(1)) { z, _ in z[0] }]) }
        #expect(throws: SweepError.self) { try run([], metric: SweepMetric(positions: .range(50..<70)) { $0.mean().scalar }) }
        // With variants run concurrently, a variant that throws stops the sweep with its error.
        var concurrent = Sweep(model: model, tokens: tokens, metric: SweepMetric { $0.mean().scalar },
                               variants: (0..<8).map { i in Sweep.Variant("v\(i)", hooks: [Hook(.z(i % 2)) { z, _ in i == 5 ? z[0] : z * 0.5 }]) })
        concurrent.concurrentVariants = true
        #expect(throws: HookError.self) { try KernelThreads.with(2) { try concurrent.run() } }
        let handle = try model.addHook(Hook(.z(0)) { z, _ in z })
        #expect(throws: SweepError.attachedHooks(count: 1)) { try run([]) }
        _ = model.removeHook(handle)
        try run([])
    }
}

extension IntTensor {
    /// The sequences reversed along the position axis (a different input of the same shape).
    func reversedPositions() -> IntTensor {
        let (b, p) = (shape[0], shape[1])
        var values = scalars
        for i in 0..<b { values[(i * p)..<((i + 1) * p)].reverse() }
        return IntTensor(shape: shape, values: values)
    }
}
