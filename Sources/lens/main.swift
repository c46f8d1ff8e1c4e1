import Foundation
import LensCommandLine
import SwiftLens

/// Every command's option table, in the order `lens help` lists them.
let commands: [OptionTable] = [DemoCommand.options] + BenchCommand.suites.map(\.table)
    + [CacheCommand.options, TrainCommand.options, SweepCommands.ablateOptions, SweepCommands.patchOptions,
       SweepCommands.mergeOptions, ScoresCommand.options, FuzzCommand.options, TokenizeCommand.options, GenerateCommand.options]

/// `lens help`: each command's usage line (every option) and what it does.
let overview = "usage: lens <command> [options]   (lens <command> --help describes each option and its default)\n\ncommands:\n"
    + commands.map { table in
        "  " + table.usage.split(separator: "\n").joined(separator: "\n  ") + "\n"
            + table.summary.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
    }.joined(separator: "\n")
    + "\n  lens help\n      this text"

/// Parses `words` with `table` and runs `body`; a ``UsageError`` from `body` gets the table's
/// usage line, so every error of a command shows how the command is used.
func runCommand(_ table: OptionTable, _ words: [String], _ body: (ParsedArguments) throws -> Void) throws {
    let args = try table.parse(words)
    do {
        try body(args)
    } catch let error as UsageError {
        throw error.of(table)
    }
}

func run(_ words: [String]) throws {
    guard let command = words.first else { throw UsageError(description: "no command given") }
    let rest = Array(words.dropFirst())
    switch command {
    case "bench": try BenchCommand.run(rest)
    case "train": try runCommand(TrainCommand.options, rest, TrainCommand.run)
    case "ablate": try runCommand(SweepCommands.ablateOptions, rest, SweepCommands.ablate)
    case "patch": try runCommand(SweepCommands.patchOptions, rest, SweepCommands.patch)
    case "merge": try runCommand(SweepCommands.mergeOptions, rest, SweepCommands.merge)
    case "demo": try runCommand(DemoCommand.options, rest, DemoCommand.run)
    case "scores": try runCommand(ScoresCommand.options, rest, ScoresCommand.run)
    case "cache": try runCommand(CacheCommand.options, rest, CacheCommand.run)
    case "fuzz": try runCommand(FuzzCommand.options, rest, FuzzCommand.run)
    case "tokenize": try runCommand(TokenizeCommand.options, rest, TokenizeCommand.run)
    case "generate": try runCommand(GenerateCommand.options, rest, GenerateCommand.run)
    case "help", "--help", "-h": print(overview)
    default: throw UsageError(description: "unknown command \(command)")
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch let help as HelpRequest {
    print(help.text)
} catch let error as UsageError {
    // A command's error shows its usage line; a missing or unknown command, every command.
    let hint = error.usage.map { "usage: " + $0.split(separator: "\n").joined(separator: "\n       ") + "\n(\(error.command ?? "lens") --help describes every option)" }
        ?? overview
    FileHandle.standardError.write(Data("\(error.command ?? "lens"): \(error)\n\n\(hint)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("lens: \(error)\n".utf8))
    exit(1)
}
