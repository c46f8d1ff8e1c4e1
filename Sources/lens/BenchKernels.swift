import Foundation
import LensKernels

/// `lens bench kernels`: GEMM GFLOP/s on the shapes of issue 2 at 1 and 2 threads, exp and row
/// softmax ns/element, each beside numpy's figure measured in the same run
/// (`Scripts/bench_numpy.py`).
struct KernelBenchmark {
    /// M×K×N: A is M×K, B is K×N.
    static let gemmShapes: [(m: Int, k: Int, n: Int)] = [
        (1024, 1024, 1024), (128, 768, 3072), (1024, 768, 3072), (128, 64, 128), (32, 768, 768), (1, 768, 3072),
    ]

    var quick = false

    func gemmGFlops(m: Int, k: Int, n: Int, threads: Int) -> Double {
        let a = randomBuffer(m * k, seed: 1), b = randomBuffer(k * n, seed: 2)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        let t = Benchmark.bestTime(minSeconds: quick ? 0.05 : 0.4) {
            sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n, threads: threads)
        }
        return 2 * Double(m) * Double(n) * Double(k) / t / 1e9
    }

    func expNanoseconds(threads: Int) -> Double {
        let count = 1024 * 1024
        let x = randomBuffer(count, seed: 3, scale: 20)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { x.deallocate(); y.deallocate() }
        let t = Benchmark.bestTime(minSeconds: quick ? 0.05 : 0.3) { unary(.exp, x, y, count) }
        return t / Double(count) * 1e9
    }

    func softmaxNanoseconds(threads: Int) -> Double {
        let rows = 1024, n = 1024
        let x = randomBuffer(rows * n, seed: 4, scale: 5)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
        defer { x.deallocate(); y.deallocate() }
        let t = KernelThreads.with(threads) {
            Benchmark.bestTime(minSeconds: quick ? 0.05 : 0.3) { softmaxForward(x, y, rows: rows, n: n) }
        }
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
}
