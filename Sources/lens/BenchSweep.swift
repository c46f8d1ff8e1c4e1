import Foundation
import SwiftLens

/// `lens bench sweep`: the sweep engine on the workloads of the patching issue (random weights):
///
/// - (a) zero-ablate every head of attn2l-512 in turn on 8 × 128 repeated random tokens,
///   induction loss each time — TransformerLens 1.57 s, target ≤ 0.5 s;
/// - (b) the same on the GPT-2-small shape (144 heads) — TransformerLens 350 s, target ≤ 175 s;
/// - (c) head-output activation patching over all layers × heads at 1 × 64 on attn2l-512 —
///   TransformerLens 153 ms, target ≤ 30 ms.
///
/// Each row also gives the naive cost (one full forward per variant) measured here, so the
/// gain of resuming, position-limited unembedding and stacking shows.
struct SweepBenchmark {
    var quick = false
    var only: String?

    func run(jsonPath: String?) throws {
        var table = ResultTable(title: "lens bench sweep (median of repeated runs; random weights)",
                                columns: ["workload", "variants", "sweep", "per variant", "naive forwards", "target", "met"])
        let attn = try HookedTransformer(config: ForwardBenchmark.attn2l512())
        let rrt = RepeatedRandomTokens.batch(count: 8, length: 64, vocabularySize: 5000, seed: 0)
        try measure("(a) attn2l-512 head ablation 8×128", target: 0.5, runs: quick ? 2 : 5, into: &table) {
            try Sweep.headAblation(attn, tokens: rrt, metric: .inductionLoss(tokens: rrt))
        }
        let clean = IntTensor.randomIntegers([1, 64], below: 5000, seed: 1)
        var corruptedValues = clean.scalars
        corruptedValues[32] = (corruptedValues[32] + 1) % 5000
        let corrupted = IntTensor(shape: [1, 64], values: corruptedValues)
        let cleanCache = try attn.runWithCache(clean, names: NameFilter { $0.activation == "z" }).cache
        try measure("(c) attn2l-512 head-out patching 1×64", target: 0.030, runs: quick ? 5 : 20, into: &table) {
            try ActivationPatching.sweep(attn, corrupted: corrupted, clean: cleanCache, metric: .logitDifference(answer: 7, wrong: 9),
                                         activation: HookName.z, axes: [.layer, .head])
        }
        if !quick {
            FileHandle.standardError.write(Data("building gpt2-small (random weights)…\n".utf8))
            let gpt2 = try HookedTransformer(config: ForwardBenchmark.gpt2Small())
            let rrt2 = RepeatedRandomTokens.batch(count: 8, length: 64, vocabularySize: 50257, seed: 0)
            try measure("(b) gpt2-small head ablation 8×128", target: 175, runs: 1, naiveSample: 4, into: &table) {
                try Sweep.headAblation(gpt2, tokens: rrt2, metric: .inductionLoss(tokens: rrt2))
            }
        }
        print(table.render())
        if let jsonPath {
            try writeJSON(["benchmark": "sweep", "threads": KernelThreads.count, "machine": machineDescription(),
                           "results": table.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    /// Times the sweep `make()` builds (median of `runs`) and a naive full forward per variant
    /// (on `naiveSample` variants, scaled to all).
    private func measure(_ label: String, target: Double, runs: Int, naiveSample: Int? = nil, into table: inout ResultTable,
                         _ make: () throws -> Sweep) throws {
        if let only, !label.contains(only) { return }
        FileHandle.standardError.write(Data("\(label)…\n".utf8))
        let sweep = try make()
        var times: [Double] = []
        let clock = ContinuousClock()
        if runs > 1 { _ = try sweep.run() }  // warm-up
        for _ in 0..<runs {
            let t0 = clock.now
            let progress: ((SweepProgress) -> Void)? = runs == 1 ? { p in
                FileHandle.standardError.write(Data(String(format: "\r  %d/%d variants, %.1f/s, ETA %.0f s   ", p.done, p.total,
                                                           p.variantsPerSecond, p.etaSeconds).utf8))
            } : nil
            _ = try sweep.run(progress: progress)
            times.append((clock.now - t0).seconds)
        }
        if runs == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
        times.sort()
        let median = times[times.count / 2]
        // The naive way: one full forward per variant, then the metric.
        let sample = min(naiveSample ?? sweep.variants.count, sweep.variants.count)
        let t0 = clock.now
        for variant in sweep.variants.prefix(sample) {
            _ = try sweep.metric.evaluate(try sweep.model(sweep.tokens, hooks: variant.hooks).sliced(sweep.metric.positions))
        }
        let naive = (clock.now - t0).seconds * Double(sweep.variants.count) / Double(sample)
        let met = median <= target
        table.add([label, "\(sweep.variants.count)", ForwardBenchmark.seconds(median),
                   ForwardBenchmark.seconds(median / Double(sweep.variants.count)),
                   ForwardBenchmark.seconds(naive) + (sample < sweep.variants.count ? " (est.)" : ""),
                   "≤ " + ForwardBenchmark.seconds(target), met ? "yes" : "NO"],
                  record: ["workload": label, "variants": sweep.variants.count, "median_seconds": median, "naive_seconds": naive,
                           "target_seconds": target, "met": met])
    }
}

extension Tensor {
    /// The logits a metric reads.
    func sliced(_ positions: SweepMetric.Positions) -> Tensor {
        switch positions {
        case .all: self
        case .last: self[.all, (-1)...]
        case .range(let r): self[.all, r]
        }
    }
}
