import Foundation
import SwiftLens

let usage = """
usage: lens <command> [options]

commands:
\(DemoCommand.usage)
  bench kernels [--json FILE] [--quick] [--no-numpy] [--shapes MxKxN,…] [--cold]
      GEMM GFLOP/s (1 and 2 threads), exp and row-softmax ns/element, beside numpy measured
      in the same run (Scripts/bench_numpy.py), with the ratio and the target for each row.
      --shapes times other GEMM shapes; --cold streams B from memory (a new B each run).
  bench forward [--json FILE] [--quick] [--only TEXT]
      forward, runWithCache (TransformerLens's default hook set; and with hook_result) and a
      zero-ablation run of attn2l-512 and the GPT-2-small shape
      (random weights): median time, tokens/s, peak RSS, targets. --only runs the workloads
      whose label ("gpt2-small 1×1024 runWithCache") contains TEXT.
  bench train [--json FILE] [--quick]
      ms per training step of Recipe R's 2-layer model (batch 32, n_ctx 64 and 128) on 1 and
      2 threads, and the time of one evaluation, against the ≤ 10 ms/step target.
  bench sweep [--json FILE] [--quick] [--only TEXT]
      the sweep engine: (a) zero-ablate every head of attn2l-512 at 8×128 repeated tokens
      (induction loss), (b) the same on the GPT-2-small shape (skipped with --quick), (c) head-output
      patching over all layers × heads at 1×64; each beside one full forward per variant.
  cache MODEL --tokens TOKENS --out FILE.safetensors [--process]
      runs MODEL (a TransformerLens or Hugging Face directory) on TOKENS (a JSON array of
      arrays, inline or in a .json file, or a .safetensors file with a `tokens` entry) and
      writes every activation under its hook name, plus logits, loss_per_token and loss.
      --process applies TransformerLens's default weight processing first.
\(TrainCommand.usage)
\(SweepCommands.usage)
\(ScoresCommand.usage)
  help
      this text
"""

func run(_ words: [String]) throws {
    guard let command = words.first else { throw UsageError(description: "no command given") }
    switch command {
    case "bench":
        let args = try Arguments(Array(words.dropFirst()), valued: ["--json", "--shapes", "--only"])
        switch args.positional {
        case ["kernels"]:
            try args.checkFlags(allowed: ["--quick", "--no-numpy", "--cold"])
            var bench = KernelBenchmark()
            bench.quick = args.has("--quick")
            bench.coldWeights = args.has("--cold")
            if let list = args.value("--shapes") {
                bench.shapes = try list.split(separator: ",").map { item in
                    let parts = item.split(separator: "x").compactMap { Int($0) }
                    guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else {
                        throw UsageError(description: "--shapes expects MxKxN,… (e.g. 128x768x3072), found \(item)")
                    }
                    return (parts[0], parts[1], parts[2])
                }
            }
            try bench.run(numpy: !args.has("--no-numpy"), jsonPath: args.value("--json"))
        case ["forward"]:
            try args.checkFlags(allowed: ["--quick"])
            try ForwardBenchmark(quick: args.has("--quick"), only: args.value("--only")).run(jsonPath: args.value("--json"))
        case ["sweep"]:
            try args.checkFlags(allowed: ["--quick"])
            try SweepBenchmark(quick: args.has("--quick"), only: args.value("--only")).run(jsonPath: args.value("--json"))
        case ["train"]:
            try args.checkFlags(allowed: ["--quick"])
            try TrainBenchmark(quick: args.has("--quick")).run(jsonPath: args.value("--json"))
        default:
            throw UsageError(description: "bench needs a suite: kernels, forward, train or sweep")
        }
    case "train":
        try TrainCommand.run(Arguments(Array(words.dropFirst()), valued: TrainCommand.valued))
    case "ablate":
        try SweepCommands.ablate(Arguments(words, valued: SweepCommands.valued))
    case "patch":
        try SweepCommands.patch(Arguments(words, valued: SweepCommands.valued))
    case "demo":
        try DemoCommand.run(Arguments(Array(words.dropFirst()), valued: DemoCommand.valued))
    case "scores":
        try ScoresCommand.run(Arguments(words, valued: ScoresCommand.valued))
    case "merge":
        try SweepCommands.merge(Arguments(words, valued: []))
    case "cache":
        try CacheCommand.run(Arguments(words, valued: ["--tokens", "--out"]))
    case "help", "--help", "-h":
        print(usage)
    default:
        throw UsageError(description: "unknown command \(command)")
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch let error as UsageError {
    FileHandle.standardError.write(Data("lens: \(error)\n\n\(usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("lens: \(error)\n".utf8))
    exit(1)
}
