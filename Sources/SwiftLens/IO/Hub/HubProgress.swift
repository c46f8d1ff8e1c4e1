/// How far one file's download has got, reported to a ``HubClient`` progress callback.
///
/// The callback is called once when a file starts (with the bytes already present from a
/// partial download), after each piece received, and once when the file is in place; a file
/// found in the cache is reported once, complete.
public struct HubProgress: Sendable, Equatable, CustomStringConvertible {
    /// The file's path in the repository (`model.safetensors`).
    public var file: String
    /// Bytes on disk so far, including any resumed part.
    public var completedBytes: Int64
    /// The file's size as announced by the Hub, or nil when it was not.
    public var totalBytes: Int64?

    public init(file: String, completedBytes: Int64, totalBytes: Int64?) {
        self.file = file
        self.completedBytes = completedBytes
        self.totalBytes = totalBytes
    }

    /// Completed fraction in 0...1, or nil when the total is unknown (or zero).
    public var fraction: Double? {
        guard let totalBytes, totalBytes > 0 else { return nil }
        return min(1, Double(completedBytes) / Double(totalBytes))
    }

    public var description: String {
        if let totalBytes { return "\(file): \(completedBytes)/\(totalBytes) bytes" }
        return "\(file): \(completedBytes) bytes"
    }
}
