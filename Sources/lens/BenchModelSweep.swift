import Foundation
import LensCommandLine
import SwiftLens

/// `lens bench sweep --model FILE`: every head of a pretrained model zero-ablated in turn on
/// 4 × (BOS + 2 × 50) repeated random tokens, the induction loss each time — the census's
/// ablation workload — beside TransformerLens's loop of one hooked forward per head, timed in the
/// same run (`Scripts/bench_transformerlens.py --sweep`: the median hooked forward of a sample of
/// heads, times the number of heads). Target (issue 14): ≤ 0.35× TransformerLens's loop.
/// A second row measures the study's version: both losses (induction and first copy) from the
/// one sweep.
struct ModelSweepBenchmark {
    static let targetRatio = 0.35
    var model: String
    var python = true
    var fullLoop = false

    func run(jsonPath: String?) throws {
        let url = URL(fileURLWithPath: model)
        FileHandle.standardError.write(Data("loading \(url.lastPathComponent)…\n".utf8))
        let loaded = try HookedTransformer.load(url)
        let c = loaded.config
        let bos = loaded.tokenizer?.bosTokenID ?? 1  // TransformerLens's evals put the BOS first
        guard c.nCtx >= 101, c.dVocab > 50 else {
            throw UsageError(description: "the workload needs n_ctx ≥ 101 and d_vocab > 50; the model has \(c.nCtx) and \(c.dVocab)")
        }
        let tokens = RepeatedRandomTokens.batch(count: 4, length: 50, vocabularySize: c.dVocab, seed: 7, bos: bos)
        let clock = ContinuousClock()
        func progress(_ label: String) -> (SweepProgress) -> Void {
            { p in
                FileHandle.standardError.write(Data(String(format: "\r  %@: %d/%d heads, %.1f/s, ETA %.0f s   ", label, p.done, p.total,
                                                           p.variantsPerSecond, p.etaSeconds).utf8))
            }
        }
        FileHandle.standardError.write(Data("every head zero-ablated, induction loss (\(c.nLayers * c.nHeads) heads, 4×101)…\n".utf8))
        var t0 = clock.now
        let sweep = try Sweep.headAblation(loaded, tokens: tokens, metric: .inductionLoss(tokens: tokens))
        _ = try sweep.run(progress: progress("induction loss"))
        let oneMetric = (clock.now - t0).seconds
        FileHandle.standardError.write(Data("\nthe same with the first-copy loss too…\n".utf8))
        t0 = clock.now
        _ = try HeadAblationTable.measure(loaded, repeatedTokens: tokens, ablation: .zero, progress: progress("both losses"))
        let twoMetrics = (clock.now - t0).seconds
        FileHandle.standardError.write(Data("\n".utf8))

        var peer: [String: Any]?
        if python {
            FileHandle.standardError.write(Data("timing TransformerLens's loop (Scripts/bench_transformerlens.py --sweep)…\n".utf8))
            peer = pythonPeerFigures(script: "bench_transformerlens.py",
                                     ["--gguf", model, "--sweep", "--threads", "\(KernelThreads.count)"] + (fullLoop ? ["--full"] : []),
                                     log: FileManager.default.temporaryDirectory.appendingPathComponent("lens-bench-transformerlens-sweep.log"))
        }
        let tl = peer?["results"].flatMap { ($0 as? [String: Any])?["transformerlens"] as? [String: Any] }
        let theirs = tl?["ablation loop"] as? Double
        let perForward = tl?["hooked forward 4x101"] as? Double
        var table = ResultTable(title: "lens bench sweep --model \(url.lastPathComponent) (every head zero-ablated, 4 × (BOS + 2 × 50) tokens, \(KernelThreads.count) threads)",
                                columns: ["workload", "SwiftLens", "TransformerLens loop", "ratio", "target", "met"])
        for (label, mine, target) in [("induction loss", oneMetric, Optional(Self.targetRatio)), ("induction + first-copy loss", twoMetrics, nil)] {
            let ratio = theirs.map { mine / $0 }
            let met = ratio.flatMap { r in target.map { r <= $0 } }
            table.add([label, ForwardBenchmark.seconds(mine), theirs.map(ForwardBenchmark.seconds) ?? "-",
                       ratio.map { String(format: "%.2f×", $0) } ?? "-", target.map { String(format: "≤ %.2f×", $0) } ?? "-",
                       met.map { $0 ? "yes" : "NO" } ?? "-"],
                      record: ["workload": label, "seconds": mine, "transformerlens_seconds": theirs as Any, "ratio": ratio as Any,
                               "target_ratio": target as Any, "met": met as Any])
        }
        print(table.render())
        if let perForward, let heads = peer?["heads"] as? Int {
            let measured = tl?["ablation loop measured"] != nil
            print(String(format: "TransformerLens: %@ per hooked forward (median of %d); the loop of %d forwards %@ %@",
                         ForwardBenchmark.seconds(perForward), peer?["sampled_forwards"] as? Int ?? 0, heads,
                         measured ? "measured" : "estimated as", theirs.map(ForwardBenchmark.seconds) ?? "-"))
        } else if python {
            FileHandle.standardError.write(Data(transformerLensUnavailable.utf8))
        }
        if let jsonPath {
            try writeJSON(["benchmark": "sweep-model", "model": url.path, "threads": KernelThreads.count, "machine": machineDescription(),
                           "peer": peer as Any, "results": table.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }
}
