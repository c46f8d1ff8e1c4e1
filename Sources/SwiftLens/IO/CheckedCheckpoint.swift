import Foundation

/// A safetensors checkpoint — one file or the shards of a sharded one — whose headers have been
/// checked against a config: every tensor the conversion reads is present with the shape the
/// config implies. The check happens when this is made, before any tensor data is read (names,
/// shapes — never just element counts — and floating-point dtypes), so a mismatched checkpoint
/// fails in milliseconds and without allocating; tensors are then read one at a time with
/// ``tensor(_:)``, each from the file that holds it.
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

    /// The files, and the path naming the whole checkpoint (the file, or a sharded index).
    let files: [any TensorArchive]
    let path: String
    /// Where each expected tensor is stored (file and name in it), by its first name.
    private let resolved: [String: (file: Int, name: String)]


    /// Checks every file of `weights` against `expected`, as one set of tensors.
    init(_ weights: HuggingFaceWeights, expecting expected: [Expected], tolerated: (String) -> Bool) throws {
        try self.init(files: weights.files, path: weights.path, expecting: expected, tolerated: tolerated)
    }

    /// Checks the headers of `files` (whose tensor names are disjoint) against `expected`.
    /// Tensors not expected are an error unless `tolerated` accepts their name (known buffers);
    /// every such tensor is named in the error, with the file holding it. A missing tensor is
    /// reported against `path`, a wrong one against its own file.
    /// Checks one file (a safetensors file, or a GGUF file under Hugging Face's names).
    init(_ archive: any TensorArchive, expecting expected: [Expected], tolerated: (String) -> Bool) throws {
        try self.init(files: [archive], path: archive.path, expecting: expected, tolerated: tolerated)
    }

    private init(files: [any TensorArchive], path: String, expecting expected: [Expected], tolerated: (String) -> Bool) throws {
        self.files = files
        self.path = path
        var owner: [String: Int] = [:]
        for (i, file) in files.enumerated() {
            for name in file.tensorNames { owner[name] = i }
        }
        var resolved: [String: (file: Int, name: String)] = [:]
        var used = Set<String>()
        for item in expected {
            guard let name = item.names.first(where: { owner[$0] != nil }) else {
                if item.optional { continue }
                throw CheckpointError.missingTensor(names: item.names, file: path)
            }
            let file = files[owner[name]!]
            let shape = file.shape(of: name)!
            guard shape == item.shape else {
                throw CheckpointError.shapeMismatch(name: name, file: file.path, expected: item.shape, found: shape)
            }
            if let dtype = file.nonFloatingType(of: name) {
                throw CheckpointError.notFloatingPoint(name: name, file: file.path, dtype: dtype)
            }
            resolved[item.names[0]] = (owner[name]!, name)
            used.insert(name)
        }
        for file in files {
            let extra = file.tensorNames.filter { !used.contains($0) && !tolerated($0) }
            guard extra.isEmpty else { throw CheckpointError.unexpectedTensors(names: extra, file: file.path) }
        }
        self.resolved = resolved
    }

    /// Whether the expected tensor `name` is in the checkpoint.
    func contains(_ name: String) -> Bool { resolved[name] != nil }

    /// Reads the expected tensor `name` (its first name) as Float32 (F16, BF16 and F64 converted).
    func tensor(_ name: String) throws -> Tensor {
        guard let stored = resolved[name] else { throw CheckpointError.missingTensor(names: [name], file: path) }
        return try files[stored.file].tensor(stored.name)
    }

    /// Reads the optional tensor `name`, or nil if the checkpoint does not have it.
    func optionalTensor(_ name: String) throws -> Tensor? {
        contains(name) ? try tensor(name) : nil
    }
}
