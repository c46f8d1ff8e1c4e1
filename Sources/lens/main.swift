import Foundation

let usage = """
usage: lens <command> [options]

commands:
  bench kernels [--json FILE] [--quick] [--no-numpy]
      GEMM GFLOP/s (1 and 2 threads), exp and row-softmax ns/element, beside numpy measured
      in the same run (Scripts/bench_numpy.py), with the ratio and the target for each row.
  help
      this text
"""

func run(_ words: [String]) throws {
    guard let command = words.first else { throw UsageError(description: "no command given") }
    switch command {
    case "bench":
        let args = try Arguments(Array(words.dropFirst()), valued: ["--json"])
        guard args.positional == ["kernels"] else {
            throw UsageError(description: "bench needs a suite: lens bench kernels")
        }
        try args.checkFlags(allowed: ["--quick", "--no-numpy"])
        var bench = KernelBenchmark()
        bench.quick = args.has("--quick")
        try bench.run(numpy: !args.has("--no-numpy"), jsonPath: args.value("--json"))
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
