import Foundation
import SwiftLens

/// Runs fuzz cases in this process against SwiftLens's real entry points and classifies each
/// outcome.
///
/// A GGUF case is written to `model.gguf` in the scratch directory and opened with `GGUFFile`,
/// every tensor dequantised. A directory case is written to one scratch directory (replacing the previous case's files)
/// and loaded with `HookedTransformer.load(directory:process:)`, exactly as a user's directory
/// would be; if it loads, `runWithCache` runs on a few tokens, so a config that loads but
/// cannot run is caught too. A token case goes to an unmodified fixture model, loaded once.
///
/// In process nothing can catch a trap, an allocation failure or a hang: a trap ends the
/// process (which is how a test fails). ``FuzzSupervisor`` runs cases in child processes to
/// count those instead.
public final class FuzzRunner {
    public let generator: FuzzCaseGenerator
    /// Where directory cases are written; removed by ``close()``.
    public let scratch: URL
    private var models: [String: HookedTransformer] = [:]

    public init(generator: FuzzCaseGenerator) throws {
        self.generator = generator
        scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftlens-fuzz-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    deinit { close() }

    /// Removes the scratch directory.
    public func close() { try? FileManager.default.removeItem(at: scratch) }

    /// Generates and runs case `index`.
    public func run(index: Int) -> FuzzResult { run(generator.makeCase(index)) }

    /// Runs one case and classifies its outcome.
    public func run(_ fuzzCase: FuzzCase) -> FuzzResult {
        let start = DispatchTime.now().uptimeNanoseconds
        var outcome: FuzzOutcome
        var message = ""
        do {
            try execute(fuzzCase.input)
            outcome = fuzzCase.validity == .invalid ? .wronglyAccepted : .accepted
        } catch {
            message = Self.describe(error)
            outcome = Self.isSpecific(error) ? .cleanError : .untypedError
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return FuzzResult(fuzzCase, outcome: outcome, message: message, seconds: seconds)
    }

    private func execute(_ input: FuzzInput) throws {
        switch input {
        case let .directory(files, process):
            let fm = FileManager.default
            for name in (try? fm.contentsOfDirectory(atPath: scratch.path)) ?? [] {
                try? fm.removeItem(at: scratch.appendingPathComponent(name))
            }
            for (name, data) in files { try data.write(to: scratch.appendingPathComponent(name)) }
            let model = try HookedTransformer.load(directory: scratch, process: process)
            let n = min(3, model.config.nCtx)
            let tokens = IntTensor([(0..<n).map { $0 % model.config.dVocab }])
            _ = try model.runWithCache(tokens)
        case let .gguf(data):
            let url = scratch.appendingPathComponent("model.gguf")
            try data.write(to: url)
            let file = try GGUFFile(contentsOf: url)
            for key in file.metadataKeys { _ = file.metadata[key]?.description }
            for info in file.tensors {
                let values = try file.tensor(named: info.name)
                precondition(values.shape == info.shape, "GGUF tensor \(info.name): shape \(values.shape), expected \(info.shape)")
                let sum = try file.rawBytes(named: info.name).withUnsafeBytes { $0.reduce(0) { $0 &+ Int($1) } }
                _ = sum
            }
        case let .tokens(base, source, call):
            let model = try model(base)
            let tokens: IntTensor
            switch source {
            case let .tensor(t): tokens = t
            case let .safetensors(data): tokens = try SafetensorsFile(data: data, origin: "tokens.safetensors").intTensor("tokens")
            }
            switch call {
            case .forward: _ = try model(tokens)
            case .runWithCache: _ = try model.runWithCache(tokens)
            case .loss: _ = try model.loss(tokens)
            case .run: _ = try model.run(tokens)
            }
        }
    }

    /// The unmodified fixture model `base`, loaded on first use.
    private func model(_ base: String) throws -> HookedTransformer {
        if let m = models[base] { return m }
        let m = try HookedTransformer.load(directory: generator.corpus.root.appendingPathComponent(base))
        models[base] = m
        return m
    }

    // MARK: Classifying errors

    /// The modules whose error types count as SwiftLens's own.
    static let modules = ["SwiftLens.", "LensFormats.", "LensTensor.", "LensTokenizers.", "LensKernels."]

    /// Messages that say nothing about the input.
    static let genericMessages = ["The operation could not be completed", "The operation couldn’t be completed",
                                  "The operation couldn't be completed"]

    /// An error's type and message, as the report shows it.
    static func describe(_ error: Error) -> String {
        "\(String(reflecting: type(of: error))): \(error)"
    }

    /// Whether `error` is one of SwiftLens's typed errors with a message that says what is wrong.
    public static func isSpecific(_ error: Error) -> Bool {
        let typeName = String(reflecting: type(of: error))
        guard modules.contains(where: typeName.hasPrefix) else { return false }
        let text = "\(error)"
        return text.count >= 12 && !genericMessages.contains(where: text.contains)
    }
}
