import Foundation
import LensCommandLine
import SwiftLens

/// `lens bench forward --model FILE_OR_DIR`: a real model (a GGUF file, or a directory) timed
/// beside transformers and TransformerLens measured in the same run by
/// `Scripts/bench_transformerlens.py` (torch on the same thread count): forward 1×128 and 8×128
/// and runWithCache 1×128 on random token ids (seed 5), then the load time and the peak resident
/// memory of a fresh process that loads the model and runs one 1×128 forward (``LoadBenchmark``'s
/// child).
///
/// Targets: forward 1×128 ≤ 0.7× and 8×128 ≤ 0.8× TransformerLens's time; load ≤ 1 s; peak RSS
/// (load + one 1×128 forward) ≤ 0.8 GB.
struct ModelForwardBenchmark {
    var model: String
    var quick = false
    var python = true

    static let targets: [String: Double] = ["forward 1x128": 0.7, "forward 8x128": 0.8]
    static let loadTargetSeconds = 1.0
    static let peakTargetBytes = 0.8e9

    func run(jsonPath: String?) throws {
        let url = URL(fileURLWithPath: model)
        guard FileManager.default.fileExists(atPath: url.path) else { throw UsageError(description: "--model: \(model) does not exist") }

        // Load and peak memory first, in a fresh process, before this one holds anything.
        FileHandle.standardError.write(Data("measuring load and peak RSS in a fresh process…\n".utf8))
        let load = try LoadBenchmark.measureInChild(url)

        let peer = python ? peerFigures() : nil
        let loaded = try HookedTransformer.load(url)
        let config = loaded.config
        let positions = min(128, config.nCtx)
        FileHandle.standardError.write(Data("timing SwiftLens on \(config.modelName.isEmpty ? url.lastPathComponent : config.modelName)…\n".utf8))
        let tlSet = NameFilter { $0.activation != "result" }
        let tokens1 = IntTensor.randomIntegers([1, positions], below: config.dVocab, seed: 5)
        let tokens8 = IntTensor.randomIntegers([8, positions], below: config.dVocab, seed: 5)
        let runs: [(key: String, body: () throws -> Void)] = [
            ("forward 1x\(positions)", { _ = try loaded(tokens1) }),
            ("forward 8x\(positions)", { _ = try loaded(tokens8) }),
            ("runWithCache 1x\(positions)", { _ = try loaded.runWithCache(tokens1, names: tlSet) }),
        ]
        let results = peer?["results"] as? [String: [String: Double]] ?? [:]
        let tl = results["transformerlens"] ?? [:], hf = results["transformers"] ?? [:]
        let title = "lens bench forward --model \(url.lastPathComponent) (median of repeated runs, \(KernelThreads.count) threads; "
            + "ratio = SwiftLens / TransformerLens)"
        var table = ResultTable(title: title, columns: ["workload", "SwiftLens", "TransformerLens", "transformers", "ratio", "÷ transformers",
                                                         "target", "met"])
        func time(_ s: Double?) -> String { s.map(ForwardBenchmark.seconds) ?? "-" }
        func times(_ r: Double?) -> String { r.map { format($0, 2) + "×" } ?? "-" }
        for (key, body) in runs {
            let (median, _) = try ForwardBenchmark.measure(minRuns: quick ? 2 : 5, minSeconds: quick ? 0.3 : 2, body)
            let theirs: Double? = tl[key], hfTime: Double? = hf[key]
            let ratio: Double? = theirs.map { median / $0 }
            let target: Double? = Self.targets[key]
            var met: Bool?
            if let target, let ratio { met = ratio <= target }
            let label = key.replacingOccurrences(of: "x", with: "×")
            let targetText: String = target.map { "≤ \(format($0, 1))× TL" } ?? "-"
            let metText: String = met.map { $0 ? "yes" : "NO" } ?? "-"
            let cells: [String] = [label, time(median), time(theirs), time(hfTime), times(ratio), times(hfTime.map { median / $0 }),
                                   targetText, metText]
            let record: [String: Any] = ["workload": key, "seconds": median, "transformerlens_seconds": theirs as Any,
                                         "transformers_seconds": hfTime as Any, "ratio": ratio as Any, "target_ratio": target as Any,
                                         "met": met as Any]
            table.add(cells, record: record)
        }
        let peerLoad = peer?["hf_gguf_load_seconds"] as? Double
        let loadMet = load.loadSeconds <= Self.loadTargetSeconds
        table.add(["load (GGUF, fresh process)", time(load.loadSeconds), "-", time(peerLoad), "-", times(peerLoad.map { load.loadSeconds / $0 }),
                   "≤ 1 s", loadMet ? "yes" : "NO"],
                  record: ["workload": "load", "seconds": load.loadSeconds, "transformers_gguf_load_seconds": peerLoad as Any,
                           "target_seconds": Self.loadTargetSeconds, "met": loadMet])
        let peakMet = load.afterForward <= Self.peakTargetBytes
        table.add(["peak RSS (load + forward 1×128)", format(load.afterForward / 1e9, 2) + " GB", "-", "-", "-", "-", "≤ 0.8 GB", peakMet ? "yes" : "NO"],
                  record: ["workload": "peak_rss", "bytes": load.afterForward, "bytes_after_load": load.afterLoad,
                           "weight_bytes_float32": load.weightBytes, "target_bytes": Self.peakTargetBytes, "met": peakMet])
        print(table.render())
        print(String(format: "weights %.0f M parameters (%.2f GB as Float32); peak after load %.2f GB; first 1×128 forward in the fresh process %@",
                     load.weightBytes / 4e6, load.weightBytes / 1e9, load.afterLoad / 1e9, ForwardBenchmark.seconds(load.forwardSeconds)))
        if let peer {
            let versions = (peer["versions"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let mode = peer["transformerlens_mode"] as? String ?? "?"
            let diff = peer["tl_vs_transformers_max_logit_diff"] as? Double ?? .nan
            print("peers: " + versions.joined(separator: ", ") + "; TransformerLens as \(mode); torch threads \(peer["threads"] as? Int ?? 0); "
                  + String(format: "TransformerLens vs transformers logits: max diff %.2g; ", diff)
                  + String(format: "bridge boot %.2f s on the loaded model", peer["bridge_boot_seconds"] as? Double ?? .nan))
            for error in peer["errors"] as? [String] ?? [] { print("peer note: \(error)") }
        } else if python {
            FileHandle.standardError.write(Data(transformerLensUnavailable.utf8))
        }
        if let jsonPath {
            try writeJSON(["benchmark": "forward-model", "model": url.path, "threads": KernelThreads.count, "machine": machineDescription(),
                           "peer": peer as Any, "results": table.records], to: jsonPath)
            print("wrote \(jsonPath)")
        }
    }

    /// The figures of `Scripts/bench_transformerlens.py` for this model, or nil if it cannot run.
    func peerFigures() -> [String: Any]? {
        FileHandle.standardError.write(Data("timing transformers and TransformerLens (Scripts/bench_transformerlens.py)…\n".utf8))
        return pythonPeerFigures(script: "bench_transformerlens.py",
                                 ["--gguf", model, "--threads", "\(KernelThreads.count)"] + (quick ? ["--quick"] : []),
                                 log: FileManager.default.temporaryDirectory.appendingPathComponent("lens-bench-transformerlens.log"))
    }
}
