import Foundation

/// A model saved during training: `<run>/checkpoints/step-NNNNNN/` (TransformerLens layout).
public struct TrainingCheckpoint: Sendable, Equatable {
    public let step: Int
    public let directory: URL

    public init(step: Int, directory: URL) {
        self.step = step
        self.directory = directory
    }

    /// The checkpoints `Trainer` wrote for the run in `run` (the run directory, or its
    /// `checkpoints` folder), in step order. Throws if there are none.
    public static func all(inRun run: URL) throws -> [TrainingCheckpoint] {
        let nested = run.appendingPathComponent("checkpoints")
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDirectory) && isDirectory.boolValue ? nested : run
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw ModelError.io("cannot list checkpoints in \(folder.path): \(error.localizedDescription)")
        }
        let found = names.compactMap { name -> TrainingCheckpoint? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0 else { return nil }
            return TrainingCheckpoint(step: step, directory: folder.appendingPathComponent(name))
        }
        guard !found.isEmpty else {
            throw AnalysisError.invalidArgument("no step-NNNNNN checkpoint directories in \(folder.path)")
        }
        return found.sorted { $0.step < $1.step }
    }
}
