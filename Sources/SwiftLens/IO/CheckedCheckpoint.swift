import Foundation

/// A safetensors checkpoint whose header has been checked against a config: every tensor the
/// conversion reads is present with the shape the config implies. The check happens when this
/// is made, before any tensor data is read (names, shapes — never just element counts — and
/// floating-point dtypes), so a mismatched checkpoint fails in milliseconds
/// and without allocating; tensors are then read one at a time with ``tensor(_:)``.
struct CheckedCheckpoint {
    /// A tensor the config implies, stored under any of `names` (the first is the one used to
    /// ask for it), with `shape`. An optional one may be absent, but if present must match.
    struct Expected {
        var names: [String]
        var shape: [Int]
        var optional = false

        init(_ names: [String], _ shape: [Int], optional: Bool = false) {
            self.names = names
            self.shape = shape
            self.optional = optional
        }
    }

    let file: SafetensorsFile
    /// The name each expected tensor has in the file, by its first name.
    private let resolved: [String: String]

    /// Checks `file`'s header against `expected`. Tensors not expected are an error unless
    /// `tolerated` accepts their name (known buffers); every such tensor is named in the error.
    init(_ file: SafetensorsFile, expecting expected: [Expected], tolerated: (String) -> Bool) throws {
        self.file = file
        var resolved: [String: String] = [:]
        var used = Set<String>()
        for item in expected {
            guard let name = item.names.first(where: { file.entries[$0] != nil }) else {
                if item.optional { continue }
                throw CheckpointError.missingTensor(names: item.names, file: file.path)
            }
            let entry = file.entries[name]!
            guard entry.shape == item.shape else {
                throw CheckpointError.shapeMismatch(name: name, file: file.path, expected: item.shape, found: entry.shape)
            }
            guard entry.dtype.isFloatingPoint else {
                throw CheckpointError.notFloatingPoint(name: name, file: file.path, dtype: entry.dtype.rawValue)
            }
            resolved[item.names[0]] = name
            used.insert(name)
        }
        let extra = file.names.filter { !used.contains($0) && !tolerated($0) }
        guard extra.isEmpty else { throw CheckpointError.unexpectedTensors(names: extra, file: file.path) }
        self.resolved = resolved
    }

    /// Whether the expected tensor `name` is in the file.
    func contains(_ name: String) -> Bool { resolved[name] != nil }

    /// Reads the expected tensor `name` (its first name) as Float32.
    func tensor(_ name: String) throws -> Tensor {
        guard let stored = resolved[name] else { throw CheckpointError.missingTensor(names: [name], file: file.path) }
        return try file.tensor(stored)
    }

    /// Reads the optional tensor `name`, or nil if the file does not have it.
    func optionalTensor(_ name: String) throws -> Tensor? {
        contains(name) ? try tensor(name) : nil
    }
}
