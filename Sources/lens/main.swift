import Foundation
import LensKernels
let kb = KernelBenchmark()
let args = CommandLine.arguments
let m = Int(args[1])!, k = Int(args[2])!, n = Int(args[3])!
let ta = args.count > 4 && args[4] == "1", tb = args.count > 5 && args[5] == "1"
let a = kb.randomBuffer(m * k, seed: 1), b = kb.randomBuffer(k * n, seed: 2)
let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
for t in [1, 2, 1, 2] {
    let time = Benchmark.bestTime(minSeconds: 0.4) {
        sgemm(transA: ta, transB: tb, m: m, n: n, k: k, a: a, lda: ta ? m : k, b: b, ldb: tb ? k : n, c: c, ldc: n, threads: t)
    }
    print(t, format(2 * Double(m * n * k) / time / 1e9), terminator: "  ")
}
print()
