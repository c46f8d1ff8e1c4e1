import Foundation
import LensCommandLine

/// `lens bench kernels|forward|train|sweep|load|tokenizer`: one option table per suite.
enum BenchCommand {
    static let json = CommandOption.string("--json", "FILE", help: "also write the results as JSON to FILE")
    static let quick = CommandOption.flag("--quick", help: "fewer and smaller runs")
    static let only = CommandOption.string("--only", "TEXT", help: "only the workloads whose label contains TEXT")

    static let kernels = OptionTable(command: "lens bench kernels", options: [
        json, quick,
        .flag("--no-numpy", help: "skip the numpy columns (Scripts/bench_numpy.py)"),
        .custom("--shapes", "MxKxN,…", expects: "GEMM shapes MxKxN,… with positive sizes (e.g. 128x768x3072)",
                help: "time these GEMM shapes instead of the standard ones", parse: parseShapes),
        .flag("--cold", help: "stream B from memory (a new B each run)"),
        .flag("--packed", help: "multiply by B prepacked, as a model's weights are, instead of packing it on each call"),
        .flag("--quantized", help: "only the quantised products (GGUF block formats beside Float32 packed)"),
    ], summary: """
        GEMM GFLOP/s (1 and 2 threads), exp and row-softmax ns/element, beside numpy measured
        in the same run (Scripts/bench_numpy.py), with the ratio and the target for each row;
        then products with weights kept in GGUF block formats (QuantizedMatrix: Q4_1, Q4_K,
        Q8_0) beside the Float32 packed weight, on SmolLM2-135M's shapes, in ms and GB/s of weights.
        """)

    static let forward = OptionTable(command: "lens bench forward", options: [
        json, quick, only,
        .string("--model", "FILE_OR_DIR", help: "time this model (a GGUF file or a directory) beside transformers and TransformerLens instead"),
        .flag("--no-python", help: "with --model: skip the transformers and TransformerLens columns (Scripts/bench_transformerlens.py)"),
    ], summary: """
        forward, runWithCache (TransformerLens's default hook set; and with hook_result) and a
        zero-ablation run of attn2l-512 and the GPT-2-small shape (random weights): median time,
        tokens/s, peak RSS, targets. --only runs the workloads whose label
        ("gpt2-small 1×1024 runWithCache") contains TEXT. --model FILE_OR_DIR instead times that
        model's forward 1×128 and 8×128 and runWithCache 1×128 beside transformers and
        TransformerLens measured in the same run (Scripts/bench_transformerlens.py), its load time
        and the peak RSS of load + one 1×128 forward in a fresh process, against the targets
        (≤ 0.7× and ≤ 0.8× TransformerLens, ≤ 1 s, ≤ 0.8 GB).
        """)

    static let train = OptionTable(command: "lens bench train", options: [json, quick], summary: """
        ms per training step of Recipe R's 2-layer model (batch 32, n_ctx 64 and 128) on 1 and
        2 threads, and the time of one evaluation, against the ≤ 10 ms/step target.
        """)

    static let sweep = OptionTable(command: "lens bench sweep", options: [
        json, quick, only,
        .string("--model", "FILE", help: "every head of this pretrained model (e.g. the SmolLM2 GGUF) zero-ablated on 4 × (BOS + 2 × 50) tokens, beside TransformerLens's loop"),
        .flag("--no-python", help: "with --model: skip the TransformerLens column (Scripts/bench_transformerlens.py --sweep)"),
        .flag("--full-loop", help: "with --model: run TransformerLens's whole loop instead of timing a sample of its forwards"),
    ], summary: """
        the sweep engine: (a) zero-ablate every head of attn2l-512 at 8×128 repeated tokens
        (induction loss), (b) the same on the GPT-2-small shape (skipped with --quick), (c) head-output
        patching over all layers × heads at 1×64; each beside one full forward per variant.
        --model FILE instead zero-ablates every head of that model on 4 × (BOS + 2 × 50) repeated
        random tokens (induction loss; then both losses of the study) and times TransformerLens's
        loop of one hooked forward per head in the same run (target ≤ 0.35×).
        """)

    static let load = OptionTable(command: "lens bench load", options: [
        json,
        .string("--model", "DIR", help: "a TransformerLens or Hugging Face directory (default: a random GPT-2-small-shaped model)"),
        .string("--child", "DIR", help: "internal: measure DIR in this process and print JSON"),
    ], summary: """
        peak resident memory of a fresh process that loads a checkpoint and runs one 1×128
        forward, against its Float32 weight bytes (target ≤ 1.3×: one resident copy of each weight).
        """)

    static let tokenizer = OptionTable(command: "lens bench tokenizer", options: [
        json, quick,
        .flag("--no-python", help: "skip the tiktoken and tokenizers columns (Scripts/bench_tokenizers.py)"),
        .string("--tiktoken", "FILE", help: "GPT-2's gpt2.tiktoken (default: Tests/Fixtures/tokenizers/gpt2.tiktoken)"),
        .string("--smollm2", "FILE", help: "SmolLM2's tokenizer.json (default: the one Scripts/fetch_smollm2_vocab.sh writes)"),
    ], summary: """
        byte-level BPE encoding MB/s on ~1 MB of English prose and ~1 MB of source code, one thread,
        with the GPT-2 and SmolLM2 vocabularies, beside tiktoken and Hugging Face tokenizers measured
        in the same run (Scripts/bench_tokenizers.py), which also checks that the ids are identical.
        """)

    static let generate = OptionTable(command: "lens bench generate", options: [
        json, quick,
        .string("--model", "FILE_OR_DIR", help: "the model (default: the SmolLM2 GGUF Scripts/fetch_smollm2.sh fetches)"),
        .flag("--no-python", help: "skip the transformers column (Scripts/bench_transformers_generate.py)"),
        .string("--child", "FILE", help: "internal: measure FILE in this process and print JSON"),
        .choice("--weights", ["float32", "quantized"], default: "float32", help: "internal: with --child, the weights' form"),
    ], summary: """
        greedy generation of a real model (default SmolLM2-135M-Instruct Q4_1): prefill of a 32- and
        128-token prompt and decode tokens/s of 128 new tokens, each weight form (Float32; a GGUF
        file's blocks kept resident) in a fresh process with its peak RSS, beside Hugging Face
        transformers measured in the same run and llama.cpp's figures as issue 13 quotes them.
        """)

    static let suites: [(name: String, table: OptionTable)] = [("kernels", kernels), ("forward", forward), ("train", train),
                                                               ("sweep", sweep), ("load", load), ("tokenizer", tokenizer), ("generate", generate)]

    /// `words` follow `bench`: the suite, then its options.
    static func run(_ words: [String]) throws {
        guard let suite = words.first, let table = suites.first(where: { $0.name == suite })?.table else {
            if words.first == "--help" || words.first == "-h" {
                throw HelpRequest(text: suites.map(\.table.help).joined(separator: "\n\n"))
            }
            throw UsageError(description: "needs a suite: kernels, forward, train, sweep, load or tokenizer"
                             + (words.first.map { ", found \"\($0)\"" } ?? ""),
                             command: "lens bench", usage: suites.map(\.table.usage).joined(separator: "\n"))
        }
        try runCommand(table, Array(words.dropFirst())) { args in
            let json = args.string(ifGiven: "--json")
            // `--quick` is declared by every suite but `load`.
            var quick: Bool { args.flag("--quick") }
            switch suite {
            case "kernels":
                var bench = KernelBenchmark()
                bench.quick = quick
                bench.coldWeights = args.flag("--cold")
                bench.packedWeights = args.flag("--packed")
                if let shapes = args.value(ifGiven: "--shapes", as: [Shape].self) { bench.shapes = shapes.map { ($0.m, $0.k, $0.n) } }
                if args.flag("--quantized") {
                    try bench.runQuantized(jsonPath: json)
                } else {
                    try bench.run(numpy: !args.flag("--no-numpy"), jsonPath: json)
                }
            case "forward":
                if let model = args.string(ifGiven: "--model") {
                    return try ModelForwardBenchmark(model: model, quick: quick, python: !args.flag("--no-python")).run(jsonPath: json)
                }
                try ForwardBenchmark(quick: quick, only: args.string(ifGiven: "--only")).run(jsonPath: json)
            case "tokenizer":
                try TokenizerBenchmark(quick: quick, python: !args.flag("--no-python"), tiktokenPath: args.string(ifGiven: "--tiktoken"),
                                       smolLM2Path: args.string(ifGiven: "--smollm2")).run(jsonPath: json)
            case "sweep":
                if let model = args.string(ifGiven: "--model") {
                    return try ModelSweepBenchmark(model: model, python: !args.flag("--no-python"), fullLoop: args.flag("--full-loop"))
                        .run(jsonPath: json)
                }
                try SweepBenchmark(quick: quick, only: args.string(ifGiven: "--only")).run(jsonPath: json)
            case "generate":
                if let child = args.string(ifGiven: "--child") {
                    return try GenerateBenchmark.child(child, weights: args.string("--weights"), quick: quick)
                }
                try GenerateBenchmark(model: args.string(ifGiven: "--model"), quick: quick, python: !args.flag("--no-python"))
                    .run(jsonPath: json)
            case "load":
                if let child = args.string(ifGiven: "--child") { return try LoadBenchmark.child(child) }
                try LoadBenchmark(model: args.string(ifGiven: "--model")).run(jsonPath: json)
            default: try TrainBenchmark(quick: quick).run(jsonPath: json)
            }
        }
    }

    /// A GEMM shape of `--shapes`.
    struct Shape: Sendable { var m, k, n: Int }

    /// "128x768x3072,1x768x768"; nil if any item is not three positive sizes.
    @Sendable static func parseShapes(_ text: String) -> [Shape]? {
        let shapes = text.split(separator: ",", omittingEmptySubsequences: false).map { item -> Shape? in
            let parts = item.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 3, let m = parts[0], let k = parts[1], let n = parts[2], m > 0, k > 0, n > 0 else { return nil }
            return Shape(m: m, k: k, n: n)
        }
        return shapes.contains { $0 == nil } ? nil : shapes.compactMap { $0 }
    }
}
