import Foundation
import LensKernels

/// `lens bench kernels`: GEMM GFLOP/s on the shapes of the foundation issue at 1 and 2 threads,
/// and exp / row-softmax ns/element, each beside numpy's figure measured in the same run by
/// `Scripts/bench_numpy.py` (OpenBLAS, thread count fixed per run).
///
/// Targets: GEMM ≥ 0.9× numpy for every shape with ≥ 32 rows, GEMV (M = 1) ≥ 0.8× numpy, row
/// softmax ≤ 1 ns/element.
struct KernelBenchmark {
    /// M×K×N: A is M×K, B is K×N.
    static let gemmShapes: [(m: Int, k: Int, n: Int)] = [
        (1024, 1024, 1024), (128, 768, 3072), (1024, 768, 3072), (128, 64, 128), (32, 768, 768), (1, 768, 3072),
    ]

    var quick = false
    /// Shapes to time instead of the standard ones (`--shapes 128x768x3072,1x768x768`).
    var shapes: [(m: Int, k: Int, n: Int)] = KernelBenchmark.gemmShapes
    /// Use a different B (larger than the last-level cache in total) on each run, as a model's
    /// weights are: they then stream from memory rather than sitting in cache.
    var coldWeights = false
    private var minSeconds: Double { quick ? 0.05 : 0.4 }

    func run(numpy: Bool, jsonPath: String?) throws {
        var table = ResultTable(title: "lens bench kernels (best of repeated runs; ratio = SwiftLens / numpy for "
                                    + "GFLOP/s, numpy / SwiftLens for ns)",
                                columns: ["kernel", "shape", "threads", "SwiftLens", "numpy", "ratio", "target", "met"])
        for threads in [1, 2] {
            let reference = numpy ? Self.numpyFigures(threads: threads, quick: quick) : nil
            if numpy && reference == nil {
                FileHandle.standardError.write(Data("note: numpy comparison unavailable (python3 with numpy not found)\n".utf8))
            }
            for s in shapes {
                let key = "\(s.m)x\(s.k)x\(s.n)"
                let ours = gemmGFlops(m: s.m, k: s.k, n: s.n, threads: threads)
                let theirs = (reference?["gemm"] as? [String: Double])?[key]
                let needed = s.m >= 32 ? 0.9 : (s.m == 1 ? 0.8 : nil)
                let ratio = theirs.map { ours / $0 }
                let met = needed.flatMap { n in ratio.map { $0 >= n } }
                table.add(["gemm" + (s.m == 1 ? " (gemv)" : ""), key, "\(threads)", format(ours) + " GFLOP/s",
                           theirs.map { format($0) } ?? "-", ratio.map { format($0, 2) } ?? "-",
                           needed.map { "≥ \(format($0, 1))× numpy" } ?? "-", met.map { $0 ? "yes" : "NO" } ?? "-"],
                          record: ["kernel": "gemm", "shape": key, "threads": threads, "gflops": ours, "numpy_gflops": theirs as Any,
                                   "ratio": ratio as Any, "target_ratio": needed as Any, "met": met as Any])
            }
            let expNs = KernelThreads.with(threads) { expNanoseconds() }
            let softNs = KernelThreads.with(threads) { softmaxNanoseconds() }
            for (name, ours, key, target) in [("exp", expNs, "exp_ns", nil), ("row softmax", softNs, "softmax_ns", 1.0)] {
                let theirs = reference?[key] as? Double
                let met = target.map { ours <= $0 }
                table.add([name, "1024x1024", "\(threads)", format(ours, 2) + " ns/elem", theirs.map { format($0, 2) } ?? "-",
                           theirs.map { format($0 / ours, 2) } ?? "-", target.map { "≤ \(format($0, 1)) ns" } ?? "-",
                           met.map { $0 ? "yes" : "NO" } ?? "-"],
                          record: ["kernel": name, "shape": "1024x1024", "threads": threads, "ns_per_element": ours,
                                   "numpy_ns_per_element": theirs as Any, "target_ns": target as Any, "met": met as Any])
            }
        }
        print(table.render())
        if let jsonPath {
            try writeJSON(["benchmark": "kernels", "machine": machineDescription(), "results": table.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    func gemmGFlops(m: Int, k: Int, n: Int, threads: Int) -> Double {
        // Cold: enough distinct copies of B to exceed a 32 MB last-level cache twice over.
        let copies = coldWeights ? max(1, (64 << 20) / (k * n * 4) + 1) : 1
        let a = randomBuffer(m * k, seed: 1)
        let bs = (0..<copies).map { randomBuffer(k * n, seed: 2 + UInt64($0)) }
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); bs.forEach { $0.deallocate() }; c.deallocate() }
        var next = 0
        let t = Benchmark.bestTime(minSeconds: minSeconds) {
            sgemm(m: m, n: n, k: k, a: a, lda: k, b: bs[next], ldb: n, c: c, ldc: n, threads: threads)
            next = (next + 1) % copies
        }
        return 2 * Double(m) * Double(n) * Double(k) / t / 1e9
    }

    func expNanoseconds() -> Double {
        let count = 1024 * 1024
        let x = randomBuffer(count, seed: 3, scale: 20)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { x.deallocate(); y.deallocate() }
        let t = Benchmark.bestTime(minSeconds: minSeconds) { unary(.exp, x, y, count) }
        return t / Double(count) * 1e9
    }

    func softmaxNanoseconds() -> Double {
        let rows = 1024, n = 1024
        let x = randomBuffer(rows * n, seed: 4, scale: 5)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
        defer { x.deallocate(); y.deallocate() }
        let t = Benchmark.bestTime(minSeconds: minSeconds) { softmaxForward(x, y, rows: rows, n: n) }
        return t / Double(rows * n) * 1e9
    }

    func randomBuffer(_ count: Int, seed: UInt64, scale: Float = 1) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            p[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
        return p
    }

    /// numpy's figures for one thread count, from `Scripts/bench_numpy.py`, or nil without numpy.
    static func numpyFigures(threads: Int, quick: Bool) -> [String: Any]? {
        pythonPeerFigures(script: "bench_numpy.py", ["--threads", "\(threads)"] + (quick ? ["--quick"] : []))
    }
}
