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
    /// Multiply by B prepacked (``PackedMatrix``), as a model's weights are, rather than packing
    /// it on each call.
    var packedWeights = false
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
        let quantized = quantizedTable()
        print(quantized.render())
        if let jsonPath {
            try writeJSON(["benchmark": "kernels", "machine": machineDescription(), "results": table.records,
                           "quantized": quantized.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    /// `lens bench kernels --quantized`: the quantised-product table alone.
    func runQuantized(jsonPath: String?) throws {
        let quantized = quantizedTable()
        print(quantized.render())
        if let jsonPath {
            try writeJSON(["benchmark": "kernels", "machine": machineDescription(), "quantized": quantized.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    /// SmolLM2-135M's products (M×K×N: M rows of activations, W is N×K): decoding a token
    /// through the unembedding (its Q8_0 `token_embd`), `ffn_up` and `ffn_down`, and the same
    /// for a 128-token prompt. K-quants need K a multiple of 256, so Q4_K runs the 1536-deep
    /// `ffn_down` only (llama.cpp quantises 576-deep rows of a "Q4_K" model otherwise).
    static let quantizedShapes: [(m: Int, k: Int, n: Int)] = [(1, 576, 49152), (1, 576, 1536), (1, 1536, 576),
                                                              (128, 576, 1536), (128, 1536, 576)]

    /// `Y = X · Wᵀ` with W kept in a block format (`QuantizedMatrix`) beside the same product
    /// with W as a Float32 `PackedMatrix`: best time, GB/s of the weight's bytes and G weights/s.
    /// The decode target (issue 13) is ≥ 7 G weights/s per thread: a whole SmolLM2-135M token
    /// (~135 M weights) in ≤ 9 ms on 2 threads.
    func quantizedTable() -> ResultTable {
        var table = ResultTable(title: "quantised products Y = X·Wᵀ (best of repeated runs" + (coldWeights ? ", cold weights" : "") + ")",
                                columns: ["format", "shape", "threads", "ms", "GB/s", "Gweights/s", "vs F32"])
        let formats: [BlockFormat?] = [nil, .Q4_1, .Q4_K, .Q8_0]
        for threads in [1, 2] {
            for s in Self.quantizedShapes {
                var f32Time: Double?
                for blockFormat in formats where s.k % (blockFormat?.blockSize ?? 1) == 0 {
                    let (seconds, bytes) = quantizedTime(format: blockFormat, m: s.m, k: s.k, n: s.n, threads: threads)
                    if blockFormat == nil { f32Time = seconds }
                    let weights = Double(s.k * s.n)
                    let key = "\(s.m)x\(s.k)x\(s.n)"
                    let name = blockFormat.map { "\($0)" } ?? "F32 packed"
                    let ratio = f32Time.map { $0 / seconds }
                    table.add([name, key, "\(threads)", format(seconds * 1e3, 3), format(Double(bytes) / seconds / 1e9, 1),
                               format(weights / seconds / 1e9, 2), ratio.map { format($0, 2) + "×" } ?? "-"],
                              record: ["kernel": "quantized", "format": name, "shape": key, "threads": threads,
                                       "ms": seconds * 1e3, "weight_bytes": bytes, "gbytes_per_s": Double(bytes) / seconds / 1e9,
                                       "gweights_per_s": weights / seconds / 1e9, "speed_vs_f32": ratio as Any])
                }
            }
            let (seconds, bytes, weights) = smolLM2TokenTime(threads: threads)
            table.add(["Q4_1+Q8_0", "SmolLM2 token", "\(threads)", format(seconds * 1e3, 3), format(Double(bytes) / seconds / 1e9, 1),
                       format(Double(weights) / seconds / 1e9, 2), format(1 / seconds, 0) + " tok/s"],
                      record: ["kernel": "quantized", "format": "Q4_1+Q8_0", "shape": "smollm2-135m-token", "threads": threads,
                               "ms": seconds * 1e3, "weight_bytes": bytes, "gbytes_per_s": Double(bytes) / seconds / 1e9,
                               "gweights_per_s": Double(weights) / seconds / 1e9, "tokens_per_s": 1 / seconds])
        }
        return table
    }

    /// Every matrix product of one SmolLM2-135M decoding step as its Q4_1 file stores it: 30
    /// layers of q, k, v, o (576 → 576, 192, 192, 576), gate, up (576 → 1536) and down
    /// (1536 → 576) in Q4_1, then the Q8_0 tied unembedding (576 → 49152): 96 MB of weights,
    /// more than the last-level cache, read once per token as a model does. Returns seconds,
    /// bytes and weights; the issue-13 target is ≥ 110 tokens/s for the whole model on 2 threads.
    func smolLM2TokenTime(threads: Int) -> (Double, Int, Int) {
        let layer: [(n: Int, k: Int)] = [(576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536)]
        var matrices: [QuantizedMatrix] = []
        for l in 0..<30 {
            for (i, shape) in layer.enumerated() {
                let blocks = randomBlocks(.Q4_1, n: shape.n, k: shape.k, seed: UInt64(100 + 7 * l + i))
                matrices.append(QuantizedMatrix(format: .Q4_1, n: shape.n, k: shape.k, bytes: blocks))
                blocks.deallocate()
            }
        }
        let unembedding = randomBlocks(.Q8_0, n: 49152, k: 576, seed: 99)
        matrices.append(QuantizedMatrix(format: .Q8_0, n: 49152, k: 576, bytes: unembedding))
        unembedding.deallocate()
        let x = randomBuffer(1536, seed: 1)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: 49152)
        defer { x.deallocate(); y.deallocate() }
        let t = Benchmark.bestTime(minSeconds: minSeconds) {
            for w in matrices { sgemm(m: 1, a: x, lda: w.k, quantized: w, c: y, ldc: w.n, threads: threads) }
        }
        return (t, matrices.reduce(0) { $0 + $1.byteCount }, matrices.reduce(0) { $0 + $1.n * $1.k })
    }

    /// Best seconds of one product and the weight's bytes. Weights are random valid blocks
    /// (moderate binary16 scales); with `coldWeights`, enough copies to stream from memory.
    func quantizedTime(format: BlockFormat?, m: Int, k: Int, n: Int, threads: Int) -> (Double, Int) {
        let bytes = format.map { n * $0.rowByteCount(k) } ?? 4 * k * n
        let copies = coldWeights ? max(1, (64 << 20) / bytes + 1) : 1
        let x = randomBuffer(m * k, seed: 1)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { x.deallocate(); y.deallocate() }
        var next = 0
        if let format {
            let matrices = (0..<copies).map { copy -> QuantizedMatrix in
                let blocks = randomBlocks(format, n: n, k: k, seed: 2 + UInt64(copy))
                defer { blocks.deallocate() }
                return QuantizedMatrix(format: format, n: n, k: k, bytes: blocks)
            }
            let t = Benchmark.bestTime(minSeconds: minSeconds) {
                sgemm(m: m, a: x, lda: k, quantized: matrices[next], c: y, ldc: n, threads: threads)
                next = (next + 1) % copies
            }
            return (t, bytes)
        }
        let matrices = (0..<copies).map { copy -> PackedMatrix in
            let wt = randomBuffer(k * n, seed: 2 + UInt64(copy))
            defer { wt.deallocate() }
            return PackedMatrix(b: wt, ldb: n, k: k, n: n)
        }
        let t = Benchmark.bestTime(minSeconds: minSeconds) {
            sgemm(m: m, a: x, lda: k, packed: matrices[next], c: y, ldc: n, threads: threads)
            next = (next + 1) % copies
        }
        return (t, bytes)
    }

    /// `n` rows of `k` elements of random blocks whose binary16 scales are finite and moderate.
    func randomBlocks(_ format: BlockFormat, n: Int, k: Int, seed: UInt64) -> UnsafeMutableRawPointer {
        let count = n * format.rowByteCount(k)
        let p = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            p.storeBytes(of: UInt8(truncatingIfNeeded: state >> 33), toByteOffset: i, as: UInt8.self)
        }
        // A scale of 2⁻⁸ wherever a format keeps a binary16 (d, m, dmin).
        let offsets: [Int] = switch format {
        case .Q8_0, .Q4_0, .Q5_0: [0]
        case .Q4_1, .Q5_1, .Q4_K, .Q5_K: [0, 2]
        case .Q2_K: [80, 82]
        case .Q3_K: [108]
        case .Q6_K: [208]
        case .F16, .BF16, .F32: []
        }
        for block in 0..<(count / format.bytesPerBlock) {
            for offset in offsets { p.storeBytes(of: UInt16(0x1C00).littleEndian, toByteOffset: block * format.bytesPerBlock + offset, as: UInt16.self) }
        }
        return p
    }

    func gemmGFlops(m: Int, k: Int, n: Int, threads: Int) -> Double {
        // Cold: enough distinct copies of B to exceed a 32 MB last-level cache twice over.
        let copies = coldWeights ? max(1, (64 << 20) / (k * n * 4) + 1) : 1
        let a = randomBuffer(m * k, seed: 1)
        let bs = (0..<copies).map { randomBuffer(k * n, seed: 2 + UInt64($0)) }
        let packed = packedWeights ? bs.map { PackedMatrix(b: $0, ldb: n, k: k, n: n) } : []
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); bs.forEach { $0.deallocate() }; c.deallocate() }
        var next = 0
        let t = Benchmark.bestTime(minSeconds: minSeconds) {
            if packedWeights {
                sgemm(m: m, a: a, lda: k, packed: packed[next], c: c, ldc: n, threads: threads)
            } else {
                sgemm(m: m, n: n, k: k, a: a, lda: k, b: bs[next], ldb: n, c: c, ldc: n, threads: threads)
            }
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
