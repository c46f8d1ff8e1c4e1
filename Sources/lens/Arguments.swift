import Foundation

/// A thrown command-line error; `main` prints it with the usage and exits with status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
}

/// Minimal option parsing: positional words, `--flag`, and `--option VALUE`.
struct Arguments {
    private(set) var positional: [String] = []
    private var options: [String: String] = [:]
    private var flags: Set<String> = []

    /// Parses `words`; `valued` lists the options that take a value.
    init(_ words: [String], valued: Set<String>) throws {
        var i = 0
        while i < words.count {
            let w = words[i]
            if w.hasPrefix("--") {
                if valued.contains(w) {
                    guard i + 1 < words.count else { throw UsageError(description: "\(w) needs a value") }
                    options[w] = words[i + 1]
                    i += 1
                } else {
                    flags.insert(w)
                }
            } else {
                positional.append(w)
            }
            i += 1
        }
    }

    func value(_ name: String) -> String? { options[name] }

    /// The non-negative integer value of `name`, or `fallback` when it is not given.
    func integer(_ name: String, default fallback: Int) throws -> Int {
        guard let v = options[name] else { return fallback }
        guard let i = Int(v), i >= 0 else { throw UsageError(description: "\(name) expects a non-negative integer, found \(v)") }
        return i
    }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// Rejects flags that the command does not know.
    func checkFlags(allowed: Set<String>) throws {
        if let unknown = flags.subtracting(allowed).sorted().first {
            throw UsageError(description: "unknown option \(unknown)")
        }
    }
}
