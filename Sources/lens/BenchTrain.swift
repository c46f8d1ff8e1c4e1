import Foundation
import SwiftLens

/// `lens bench train`: milliseconds per training step (forward, backward, AdamW update) of
/// Recipe R's 2-layer attention-only model at batch 32, n_ctx 64 and 128, on 1 and 2 threads,
/// plus the time of one evaluation (eval-set losses, ICL, head scores) that `lens train` runs
/// every 25 steps.
///
/// Target: ≤ 10 ms per step at n_ctx 64 (PyTorch on one thread here: ≈ 19 ms), so that the
/// 2,500-step run with its 100 evaluations takes under 60 s.
struct TrainBenchmark {
    var quick = false

    func run(jsonPath: String?) throws {
        var table = ResultTable(title: "lens bench train (Recipe R, attention-only, d_model 64, 4 heads; median step)",
                                columns: ["layers", "batch×n_ctx", "threads", "ms/step", "steps/s", "evaluation", "target", "met"])
        let shapes: [(layers: Int, context: Int)] = [(2, 64), (2, 128)]
        for (layers, context) in shapes {
            for threads in [1, 2] {
                let (step, evaluation) = try KernelThreads.with(threads) { try measure(layers: layers, context: context) }
                let target: Double? = context == 64 ? 0.010 : nil
                let met = target.map { step <= $0 }
                table.add(["\(layers)", "32×\(context)", "\(threads)", format(step * 1000, 2), format(1 / step, 0),
                           format(evaluation * 1000, 1) + " ms", target.map { "≤ " + format($0 * 1000, 0) + " ms" } ?? "-",
                           met.map { $0 ? "yes" : "NO" } ?? "-"],
                          record: ["layers": layers, "batch": 32, "n_ctx": context, "threads": threads, "ms_per_step": step * 1000,
                                   "evaluation_ms": evaluation * 1000, "target_ms": target.map { $0 * 1000 } as Any, "met": met as Any])
            }
        }
        print(table.render())
        if let jsonPath {
            try writeJSON(["benchmark": "train", "machine": machineDescription(), "results": table.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    /// Median seconds per `Trainer.step` over repeated steps after a warm-up (which fills the
    /// buffer cache and the optimiser state), and the median seconds of one evaluation.
    private func measure(layers: Int, context: Int) throws -> (step: Double, evaluation: Double) {
        let trainer = try InductionRecipe.recipeR(layers: layers, contextLength: context).makeTrainer()
        let clock = ContinuousClock()
        for _ in 0..<10 { _ = try trainer.step() }
        var steps: [Double] = []
        let start = clock.now
        while steps.count < (quick ? 20 : 60) || ((clock.now - start).seconds < (quick ? 0.5 : 2) && steps.count < 1000) {
            let t0 = clock.now
            _ = try trainer.step()
            steps.append((clock.now - t0).seconds)
        }
        var evaluations: [Double] = []
        for i in 0..<(quick ? 3 : 7) {
            let t0 = clock.now
            _ = try trainer.evaluate(step: i, trainLoss: 0, elapsed: 0)
            evaluations.append((clock.now - t0).seconds)
        }
        return (median(steps), median(evaluations))
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
