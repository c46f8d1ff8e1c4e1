import Foundation
@_exported import LensCommandLine
@_exported import SwiftLens

/// What the examples share, so each `main.swift` shows only its experiment: the command line
/// (each example declares an ``OptionTable``, the mechanism `lens` uses, so `--help` works and
/// unknown or malformed options are refused the same way), the package root (so `swift run`
/// works from any directory of a fresh clone), and a top level that prints an error and exits 1
/// instead of trapping.

/// The directory holding Package.swift, found upward from this file's path.
public func packageRoot() -> URL {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.pathComponents.count > 1 {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
        directory.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}

extension ParsedArguments {
    /// The model directory given (the example's optional first argument), or `path` relative to
    /// the package root.
    public func modelDirectory(default path: String) -> URL {
        positional.first.map { URL(fileURLWithPath: $0) } ?? packageRoot().appendingPathComponent(path)
    }
}

/// Parses the command line with `options` and runs `body` on it. `--help` prints the table's
/// help and exits 0; any error is printed as "name: error" on stderr (with the usage line for a
/// bad command line) and ends the process with status 1.
public func runExample(_ options: OptionTable, _ body: (ParsedArguments) throws -> Void) {
    do {
        try body(options.parse(Array(CommandLine.arguments.dropFirst())))
    } catch let help as HelpRequest {
        print(help.text)
        exit(0)
    } catch let error as UsageError {
        FileHandle.standardError.write(Data("\(options.command): \(error)\nusage: \(options.usage)\n".utf8))
        exit(1)
    } catch {
        FileHandle.standardError.write(Data("\(options.command): \(error)\n".utf8))
        exit(1)
    }
}
