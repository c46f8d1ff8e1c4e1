/// What happened to one fuzz case. Only ``cleanError`` and ``accepted`` are good outcomes.
public enum FuzzOutcome: String, CaseIterable, Codable, Sendable {
    /// Rejected with a typed SwiftLens error whose message is specific.
    case cleanError = "clean error"
    /// Loaded and ran (a mutation that may be harmless, e.g. changed weight values).
    case accepted
    /// A mutation known to be invalid (a boolean for a number, a negative dimension, a shape
    /// disagreeing with the config, an unknown tensor, …) that nevertheless loaded and ran.
    case wronglyAccepted = "wrongly accepted"
    /// Rejected, but not with a SwiftLens error type (e.g. a bare `DecodingError`), or with a
    /// generic message ("The operation could not be completed").
    case untypedError = "untyped error"
    /// The process crashed (a Swift runtime trap or a signal). Only seen in the long mode, which
    /// runs cases in child processes; in-process a trap ends the run.
    case trap
    /// The process ran out of memory: an allocation failed under the per-case memory limit.
    case abort
    /// The case ran longer than the per-case time limit and was killed.
    case hang

    /// Whether this outcome is a defect.
    public var isFailure: Bool { self != .cleanError && self != .accepted }
}
