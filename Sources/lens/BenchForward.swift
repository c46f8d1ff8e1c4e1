import Foundation
import SwiftLens

/// `lens bench forward`: forward, runWithCache (every hook TransformerLens caches by default;
/// and again with `hook_result` added) and a run with one zero-ablation hook on two
/// random-weight models — attention-only 2 layers at d_model 512 ("attn2l-512")
/// and the GPT-2-small shape — reporting median time, tokens/s and peak RSS.
///
/// Targets (TransformerLens 4.3 on the same machine in brackets): attn2l-512 forward 1×128
/// ≤ 9 ms (13–17), runWithCache 8×128 ≤ 65 ms (75–125); GPT-2 forward 1×128 ≤ 240 ms (360–400),
/// forward 1×1024 ≤ 2.5 s (3.77), runWithCache 1×1024 ≤ 2.2 s (2.66) and ≤ 3.2 GB (3.98).
struct ForwardBenchmark {
    var quick = false
    /// Run only the workloads whose "model batch×pos run" label contains this text.
    var only: String?

    struct Case {
        let model: String
        let batch: Int
        let positions: Int
        let targets: [String: (seconds: Double, gigabytes: Double?)]
    }

    static func attn2l512() -> HookedTransformerConfig {
        HookedTransformerConfig(nLayers: 2, dModel: 512, nCtx: 512, dHead: 64, nHeads: 8, dVocab: 5000, actFn: nil,
                                attnOnly: true, seed: 1, modelName: "attn2l-512")
    }

    static func gpt2Small() -> HookedTransformerConfig {
        HookedTransformerConfig(nLayers: 12, dModel: 768, nCtx: 1024, dHead: 64, nHeads: 12, dMLP: 3072, dVocab: 50257,
                                actFn: .geluNew, seed: 1, modelName: "gpt2-small-shape")
    }

    func run(jsonPath: String?) throws {
        var table = ResultTable(title: "lens bench forward (median of repeated runs; random weights)",
                                columns: ["model", "batch×pos", "run", "median", "tokens/s", "peak RSS", "target", "met"])
        let models: [(String, HookedTransformerConfig, [(Int, Int)])] = [
            ("attn2l-512", Self.attn2l512(), [(1, 128), (8, 128)]),
            ("gpt2-small", Self.gpt2Small(), quick ? [(1, 128)] : [(1, 128), (8, 128), (1, 1024)]),
        ]
        let targets: [String: (Double, Double?)] = [
            "attn2l-512 1×128 forward": (0.009, nil), "attn2l-512 8×128 runWithCache": (0.065, nil),
            "gpt2-small 1×128 forward": (0.240, nil), "gpt2-small 1×1024 forward": (2.5, nil),
            "gpt2-small 1×1024 runWithCache": (2.2, 3.2),
        ]
        for (name, config, shapes) in models {
            if let only, !shapes.contains(where: { "\(name) \($0.0)×\($0.1)".contains(only) || only.contains("\(name) \($0.0)×\($0.1)") }) {
                continue
            }
            FileHandle.standardError.write(Data("building \(name) (random weights)…\n".utf8))
            let model = try HookedTransformer(config: config)
            for (batch, positions) in shapes {
                let tokens = IntTensor.randomIntegers([batch, positions], below: config.dVocab, seed: 5)
                let ablate = Hook.zeroAblateHead(Head(layer: config.nLayers - 1, head: 0))
                // TransformerLens's run_with_cache caches every hook that fires; by default
                // hook_result does not fire there (use_attn_result=False). SwiftLens caches it too
                // unless filtered, which costs a per-head product and [batch, pos, head, d_model]
                // per layer; both are reported, the targets compare like with like.
                let tlSet = NameFilter { $0.activation != "result" }
                let runs: [(String, () throws -> Void)] = [
                    ("forward", { _ = try model(tokens) }),
                    ("runWithCache", { _ = try model.runWithCache(tokens, names: tlSet) }),
                    ("runWithCache +result", { _ = try model.runWithCache(tokens) }),
                    ("zero-ablation hook", { _ = try model(tokens, hooks: [ablate]) }),
                ]
                for (label, body) in runs {
                    if let only, !"\(name) \(batch)×\(positions) \(label)".contains(only) { continue }
                    let (median, peak) = try Self.measure(minRuns: quick ? 2 : 5, minSeconds: quick ? 0.3 : 3, body)
                    let key = "\(name) \(batch)×\(positions) \(label)"
                    let target = targets[key]
                    var met: Bool?
                    if let target {
                        var memoryMet = true
                        if let limit = target.1 { memoryMet = (peak ?? .infinity) / 1e9 <= limit }
                        met = median <= target.0 && memoryMet
                    }
                    let targetText = target.map { t in "≤ " + Self.seconds(t.0) + (t.1.map { ", ≤ \(format($0)) GB" } ?? "") } ?? "-"
                    table.add([name, "\(batch)×\(positions)", label, Self.seconds(median),
                               format(Double(batch * positions) / median, 0), peak.map { format($0 / 1e9, 2) + " GB" } ?? "-",
                               targetText, met.map { $0 ? "yes" : "NO" } ?? "-"],
                              record: ["model": name, "batch": batch, "positions": positions, "run": label, "median_seconds": median,
                                       "tokens_per_second": Double(batch * positions) / median, "peak_rss_bytes": peak as Any,
                                       "target_seconds": target?.0 as Any, "target_gb": target?.1 as Any, "met": met as Any])
                }
            }
        }
        print(table.render())
        if let jsonPath {
            try writeJSON(["benchmark": "forward", "threads": KernelThreads.count, "machine": machineDescription(),
                           "results": table.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    /// Median wall time of at least `minRuns` runs lasting at least `minSeconds` in all (a short
    /// run needs many samples for a stable median on a shared machine), after one warm-up, and
    /// the peak resident set size
    /// during them (Linux: VmHWM after resetting it; elsewhere the process maximum). The warm-up
    /// also fills `TensorMemory`'s buffer cache, as any repeated workload would.
    static func measure(minRuns: Int, minSeconds: Double, _ body: () throws -> Void) throws -> (Double, Double?) {
        // Start each workload without buffers kept from another one, so its peak is its own.
        TensorMemory.releaseCachedBuffers()
        try body()
        resetPeakRSS()
        TensorMemory.resetPeak()
        var times: [Double] = []
        let clock = ContinuousClock()
        let start = clock.now
        while times.count < minRuns || ((clock.now - start).seconds < minSeconds && times.count < 500) {
            let t0 = clock.now
            try body()
            times.append((clock.now - t0).seconds)
        }
        times.sort()
        if ProcessInfo.processInfo.environment["LENS_BENCH_VERBOSE"] != nil {
            FileHandle.standardError.write(Data("  peak tensor bytes \(TensorMemory.peakLiveBytes / 1_000_000) MB, runs \(times.count)\n".utf8))
        }
        return (times[times.count / 2], peakRSS())
    }

    static func resetPeakRSS() {
        #if os(Linux)
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        #endif
    }

    static func peakRSS() -> Double? {
        #if os(Linux)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb * 1024
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss)
        #endif
    }

    static func seconds(_ s: Double) -> String {
        s < 1 ? format(s * 1000, 1) + " ms" : format(s, 2) + " s"
    }
}
