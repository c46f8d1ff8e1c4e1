import Foundation
import LensCommandLine
import SwiftLens

/// `lens bench generate [--model FILE]`: generation speed of a real model (default: the
/// SmolLM2-135M-Instruct Q4_1 GGUF that `Scripts/fetch_smollm2.sh` fetches) beside Hugging Face
/// transformers measured in the same run (`Scripts/bench_transformers_generate.py`, Float32 with
/// its KV cache) and llama.cpp's figures for the same file as the issue quotes them (llama.cpp
/// is not installed here).
///
/// Each weight form runs in a fresh process (so its peak RSS is its own): Float32 weights, and
/// — for a GGUF file — the file's blocks kept resident. Workloads: prefill of a 32- and a
/// 128-token prompt (one pass through an empty key-value cache), and greedy decoding of 128
/// new tokens after a 32-token prompt (decode tokens/s from the first new token to the last).
/// Prefill is the time to the first token: the prompt through an empty cache and the last
/// position's logits (what generation computes, and what llama-bench's pp asks for).
///
/// Targets: Float32 decode ≥ 50 tokens/s; quantised decode ≥ 110 tokens/s (0.8× llama.cpp's
/// tg128), prefill 128 ≥ 1.5× llama.cpp's pp128 (537 tokens/s), peak RSS ≤ 1.5× the file
/// + 100 MB.
struct GenerateBenchmark {
    var model: String?
    var quick = false
    var python = true

    /// llama.cpp (llama-bench, same Q4_1 file, 2 threads) as issue 13 quotes it: tg128, pp128.
    static let llamaCppDecode = 137.0, llamaCppPrefill128 = 358.0

    /// What one child process measures.
    struct Measurement: Codable {
        var weights: String
        var residentWeightBytes: Double
        var prefill32Seconds: Double
        var prefill128Seconds: Double
        var decodeTokensPerSecond: Double
        var newTokens: Int
        var peakRSS: Double
    }

    func run(jsonPath: String?) throws {
        let url = try modelURL()
        let fileBytes = Double((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)??.int64Value ?? 0)
        let forms = url.pathExtension == "gguf" ? ["float32", "quantized"] : ["float32"]
        var measured: [Measurement] = []
        for form in forms {
            FileHandle.standardError.write(Data("timing SwiftLens with \(form) weights in a fresh process…\n".utf8))
            measured.append(try Self.measureInChild(url, weights: form, quick: quick))
        }
        let peer = python && url.pathExtension == "gguf"
            ? pythonPeerFigures(script: "bench_transformers_generate.py", ["--gguf", url.path] + (quick ? ["--quick"] : []),
                                log: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lens-bench-generate-peer.log"))
            : nil
        let hfDecode = peer?["decode_tokens_per_second"] as? Double, hfPrefill = peer?["prefill128_tokens_per_second"] as? Double

        var table = ResultTable(title: "lens bench generate --model \(url.lastPathComponent) (\(KernelThreads.count) threads; greedy, "
                                + "32-token prompt + 128 new tokens; llama.cpp as quoted by issue 13, not measured here)",
                                columns: ["weights", "decode tok/s", "prefill 32", "prefill 128 tok/s", "peak RSS", "resident weights",
                                          "transformers decode", "llama.cpp tg128 / pp128", "targets", "met"])
        for m in measured {
            let pp128 = 128 / m.prefill128Seconds
            let targets: String, met: Bool
            if m.weights == "quantized" {
                let rssLimit = 1.5 * fileBytes + 100e6
                met = m.decodeTokensPerSecond >= 0.8 * Self.llamaCppDecode && pp128 >= 1.5 * Self.llamaCppPrefill128 && m.peakRSS <= rssLimit
                targets = "≥ \(format(0.8 * Self.llamaCppDecode, 0)) tok/s, pp ≥ \(format(1.5 * Self.llamaCppPrefill128, 0)), "
                    + "RSS ≤ \(format(rssLimit / 1e9, 2)) GB"
            } else {
                met = m.decodeTokensPerSecond >= 50
                targets = "≥ 50 tok/s"
            }
            table.add([m.weights, format(m.decodeTokensPerSecond, 1), ForwardBenchmark.seconds(m.prefill32Seconds), format(pp128, 0),
                       format(m.peakRSS / 1e9, 2) + " GB", format(m.residentWeightBytes / 1e6, 0) + " MB",
                       hfDecode.map { format($0, 1) } ?? "-", "\(format(Self.llamaCppDecode, 0)) / \(format(Self.llamaCppPrefill128, 0))",
                       targets, met ? "yes" : "NO"],
                      record: ["weights": m.weights, "decode_tokens_per_second": m.decodeTokensPerSecond,
                               "prefill32_seconds": m.prefill32Seconds, "prefill128_tokens_per_second": pp128,
                               "peak_rss_bytes": m.peakRSS, "resident_weight_bytes": m.residentWeightBytes,
                               "transformers_decode_tokens_per_second": hfDecode as Any,
                               "transformers_prefill128_tokens_per_second": hfPrefill as Any,
                               "llama_cpp_tg128_quoted": Self.llamaCppDecode, "llama_cpp_pp128_quoted": Self.llamaCppPrefill128,
                               "met": met])
        }
        print(table.render())
        if let hfDecode { print("transformers \(peer?["versions"] ?? ""): decode \(format(hfDecode, 1)) tok/s, prefill 128 \(format(hfPrefill ?? 0, 0)) tok/s (measured now)") }
        if let jsonPath {
            try writeJSON(["benchmark": "generate", "threads": KernelThreads.count, "machine": machineDescription(),
                           "model": url.path, "file_bytes": fileBytes, "results": table.records, "peer": peer as Any], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    /// `--model`, or the fetched SmolLM2 file.
    func modelURL() throws -> URL {
        if let model {
            guard FileManager.default.fileExists(atPath: model) else { throw UsageError(description: "--model: \(model) does not exist") }
            return URL(fileURLWithPath: model)
        }
        let cache = ProcessInfo.processInfo.environment["SWIFTLENS_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftlens")
        let url = cache.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw UsageError(description: "no --model given and \(url.path) not found: fetch it with `bash Scripts/fetch_smollm2.sh`")
        }
        return url
    }

    /// Runs `lens bench generate --child FILE --weights FORM` and decodes the JSON it prints.
    static func measureInChild(_ url: URL, weights: String, quick: Bool) throws -> Measurement {
        try measureInChildProcess(["bench", "generate", "--child", url.path, "--weights", weights] + (quick ? ["--quick"] : []),
                                  what: "\(weights) weights")
    }

    /// The child's side: load with `weights`, time prefill and decoding, print JSON.
    static func child(_ path: String, weights: String, quick: Bool) throws {
        let url = URL(fileURLWithPath: path)
        let model = try HookedTransformer.load(url, keepQuantized: weights == "quantized")
        let vocabulary = model.config.dVocab
        let prompt32 = IntTensor.randomIntegers([1, 32], below: vocabulary, seed: 5)
        let prompt128 = IntTensor.randomIntegers([1, 128], below: vocabulary, seed: 6)
        let clock = ContinuousClock()
        // Prefill as generation runs it: the prompt through an empty cache, the last position's
        // logits, the first token chosen (as llama-bench's pp, which asks for the last logits).
        func prefill(_ tokens: IntTensor) throws -> Double {
            var times: [Double] = []
            for _ in 0..<(quick ? 3 : 7) {
                let t0 = clock.now
                _ = try model.generate(tokens: [tokens.scalars], options: GenerationOptions(maxNewTokens: 1, stopAtEOS: false))
                times.append((clock.now - t0).seconds)
            }
            return times.sorted()[times.count / 2]
        }
        let p32 = try prefill(prompt32), p128 = try prefill(prompt128)
        let newTokens = quick ? 32 : 128
        var rates: [Double] = []
        for _ in 0..<(quick ? 1 : 3) {
            var first: ContinuousClock.Instant?, last = clock.now
            _ = try model.generate(tokens: [prompt32.scalars], options: GenerationOptions(maxNewTokens: newTokens, stopAtEOS: false)) { _ in
                last = clock.now
                if first == nil { first = last }
            }
            rates.append(Double(newTokens - 1) / (last - first!).seconds)
        }
        let m = Measurement(weights: weights, residentWeightBytes: Double(model.parameterBytes), prefill32Seconds: p32,
                            prefill128Seconds: p128, decodeTokensPerSecond: rates.sorted()[rates.count / 2], newTokens: newTokens,
                            peakRSS: ForwardBenchmark.peakRSS() ?? 0)
        print(String(decoding: try JSONEncoder().encode(m), as: UTF8.self))
    }
}
