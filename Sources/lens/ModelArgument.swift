import Foundation
import SwiftLens

/// A command's MODEL argument: a GGUF file or a model directory when the path exists, otherwise
/// a Hugging Face repo id (`org/name`, optionally `org/name@revision`) downloaded into the
/// standard Hugging Face cache (`HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT`, `HF_TOKEN`,
/// `HF_HUB_OFFLINE` honoured), with progress on standard error.
enum ModelArgument {
    static func load(_ argument: String, process: Bool = false, keepQuantized: Bool = false) throws -> HookedTransformer {
        if FileManager.default.fileExists(atPath: argument) || !looksLikeRepoID(argument) {
            return try HookedTransformer.load(URL(fileURLWithPath: argument), process: process, keepQuantized: keepQuantized)
        }
        let parts = argument.split(separator: "@", maxSplits: 1).map(String.init)
        let revision = parts.count == 2 ? parts[1] : "main"
        return try HookedTransformer.fromPretrained(parts[0], revision: revision, process: process) { progress in
            let percent = progress.fraction.map { String(format: "%5.1f%%", $0 * 100) } ?? "     "
            FileHandle.standardError.write(Data("\r\(percent) \(progress.file) \(progress.completedBytes) bytes".utf8))
            if progress.fraction == 1 { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }

    /// `org/name` (letters, digits, `-`, `_`, `.`), optionally `@revision`.
    static func looksLikeRepoID(_ text: String) -> Bool {
        let repo = text.split(separator: "@", maxSplits: 1).first.map(String.init) ?? text
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") && $0.unicodeScalars.allSatisfy(allowed.contains) }
    }
}
