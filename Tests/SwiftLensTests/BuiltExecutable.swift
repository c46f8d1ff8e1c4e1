import Foundation

/// The package's executables — `lens`, the tutorials, the examples — run as a user runs them.
/// `swift test` builds them next to the test bundle.
enum BuiltExecutable {
    struct NotBuilt: Error, CustomStringConvertible {
        let name: String
        let searched: [URL]
        var description: String {
            "executable \(name) not found (looked in \(searched.map(\.path).joined(separator: ", "))); build it with swift build"
        }
    }

    /// What a run printed.
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
        /// stdout, then stderr.
        var combined: String { stdout + stderr }
    }

    /// The built executable `name`: next to the test bundle, or in the package's build folder.
    static func url(_ name: String) throws -> URL {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let root = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [bundleDirectory, bundleDirectory.deletingLastPathComponent(),
                          root.appendingPathComponent(".build/debug"), root.appendingPathComponent(".build/release")]
            .map { $0.appendingPathComponent(name) }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw NotBuilt(name: name, searched: candidates)
        }
        return found
    }

    /// Runs `name` with `arguments` and waits for it.
    static func run(_ name: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = try url(name)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so neither pipe can fill up and block the process.
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errorData = err.fileHandleForReading.readDataToEndOfFile() }
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData, as: UTF8.self))
    }
}
