import Foundation
@_exported import SwiftLens

/// What the examples share, so each `main.swift` shows only its experiment: command-line
/// parsing (an optional model directory, then `--option value` pairs), the package root (so
/// `swift run` works from any directory of a fresh clone), head names, and a top level that
/// prints an error and exits 1 instead of trapping.

/// A bad command line, printed as the example's error.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// The directory holding Package.swift, found upward from this file's path.
public func packageRoot() -> URL {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.pathComponents.count > 1 {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
        directory.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}

/// An example's arguments: at most one positional model directory, then `--option value` pairs
/// from a fixed list.
public struct ExampleArguments {
    private var options: [String: String] = [:]
    private var positional: [String] = []

    /// - Throws: ``UsageError`` for an unknown option, an option without its value, or more than
    ///   one positional argument.
    public init(_ arguments: [String], options allowed: Set<String>) throws {
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument.hasPrefix("--") {
                guard allowed.contains(argument) else { throw UsageError(description: "unknown option \(argument)") }
                guard i + 1 < arguments.count else { throw UsageError(description: "\(argument) needs a value") }
                options[argument] = arguments[i + 1]
                i += 2
            } else {
                positional.append(argument)
                i += 1
            }
        }
        guard positional.count <= 1 else { throw UsageError(description: "expected at most one model directory, found \(positional)") }
    }

    /// The value of `--name`, if given.
    public subscript(_ name: String) -> String? { options[name] }

    /// The integer value of `name` (≥ `minimum`), or `value` when absent.
    public func integer(_ name: String, default value: Int, minimum: Int) throws -> Int {
        guard let text = options[name] else { return value }
        guard let n = Int(text), n >= minimum else { throw UsageError(description: "\(name) expects an integer ≥ \(minimum), found \"\(text)\"") }
        return n
    }

    /// The model directory given, or `path` relative to the package root.
    public func modelDirectory(default path: String) -> URL {
        positional.first.map { URL(fileURLWithPath: $0) } ?? packageRoot().appendingPathComponent(path)
    }
}

/// Parses a head of `model` written `L1H0` or `1.0` (see `Head.init?(_:)`).
public func parseHead(_ text: String, _ model: HookedTransformer) throws -> Head {
    guard let head = Head(text) else {
        throw UsageError(description: "a head is written L1H0 or LAYER.HEAD (e.g. 1.0), found \"\(text)\"")
    }
    guard (0..<model.config.nLayers).contains(head.layer), (0..<model.config.nHeads).contains(head.head) else {
        throw UsageError(description: "head \(text) does not exist: the model has \(model.config.nLayers) layers of \(model.config.nHeads) heads")
    }
    return head
}

/// Runs `body` on the command-line arguments; an error is printed as "name: error" on stderr
/// and ends the process with status 1.
public func runExample(_ name: String, _ body: ([String]) throws -> Void) {
    do {
        try body(Array(CommandLine.arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
        exit(1)
    }
}
