import Foundation
import LensCommandLine
import SwiftLens

/// `lens bench load`: peak resident memory of loading a checkpoint and running one 1×128
/// forward, against the checkpoint's Float32 weight bytes. Without `--model` it saves a
/// random-weight model of the GPT-2-small shape to a temporary directory first. The load and
/// forward run in a child process (this executable again), so nothing the parent allocated
/// counts.
///
/// Target (from the redesign issue): peak ≤ 1.3 × the weight bytes, with one resident copy
/// of each weight (it was 1.23 GB for ~0.5 GB of weights before).
struct LoadBenchmark {
    var model: String?

    /// What the child process measured.
    struct Measurement: Codable {
        var weightBytes: Double
        var afterLoad: Double
        var afterForward: Double
        var loadSeconds: Double
        var forwardSeconds: Double
    }

    func run(jsonPath: String?) throws {
        var directory = model.map { URL(fileURLWithPath: $0) }
        var temporary: URL?
        if directory == nil {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("lens-bench-load-\(UUID().uuidString)")
            FileHandle.standardError.write(Data("saving a random GPT-2-small-shaped model to \(url.path)…\n".utf8))
            try HookedTransformer(config: ForwardBenchmark.gpt2Small(), seed: 1).save(to: url)
            (directory, temporary) = (url, url)
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let m = try Self.measureInChild(directory!)
        var table = ResultTable(title: "lens bench load (peak RSS of a fresh process: load, then one 1×128 forward)",
                                columns: ["model", "weights", "peak after load", "peak after forward", "ratio", "target", "met",
                                          "load", "forward"])
        let ratio = m.afterForward / m.weightBytes
        table.add([directory!.lastPathComponent, gigabytes(m.weightBytes), gigabytes(m.afterLoad), gigabytes(m.afterForward),
                   format(ratio, 2) + "×", "≤ 1.30×", ratio <= 1.3 ? "yes" : "no",
                   ForwardBenchmark.seconds(m.loadSeconds), ForwardBenchmark.seconds(m.forwardSeconds)],
                  record: ["model": directory!.path, "weight_bytes": m.weightBytes, "peak_after_load": m.afterLoad,
                           "peak_after_forward": m.afterForward, "ratio": ratio, "target_ratio": 1.3,
                           "load_seconds": m.loadSeconds, "forward_seconds": m.forwardSeconds])
        print(table.render())
        if let jsonPath {
            try writeJSON(["benchmark": "load", "threads": KernelThreads.count, "machine": machineDescription(),
                           "results": table.records], to: jsonPath)
        }
    }

    private func gigabytes(_ bytes: Double) -> String { format(bytes / 1e9, 2) + " GB" }

    /// Runs `lens bench load --child DIR` and decodes the JSON line it prints.
    static func measureInChild(_ directory: URL) throws -> Measurement {
        try measureInChildProcess(["bench", "load", "--child", directory.path], what: "load")
    }

    /// The child's side: load `directory`, one 1×128 forward, print the measurement as JSON.
    static func child(_ directory: String) throws {
        let clock = ContinuousClock()
        let t0 = clock.now
        let model = try HookedTransformer.load(URL(fileURLWithPath: directory))
        let loaded = clock.now
        let afterLoad = ForwardBenchmark.peakRSS() ?? 0
        let tokens = IntTensor.randomIntegers([1, min(128, model.config.nCtx)], below: model.config.dVocab, seed: 5)
        _ = try model(tokens)
        let m = Measurement(weightBytes: Double(model.parameterCount * 4), afterLoad: afterLoad,
                            afterForward: ForwardBenchmark.peakRSS() ?? 0, loadSeconds: (loaded - t0).seconds,
                            forwardSeconds: (clock.now - loaded).seconds)
        print(String(decoding: try JSONEncoder().encode(m), as: UTF8.self))
    }
}
