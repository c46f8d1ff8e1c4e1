import Foundation

/// A small mutable dictionary kept per hook point for hook closures (TransformerLens's
/// `hook.ctx`). Locked, so hooks attached to a model may use it from concurrent calls.
public final class HookStorage: @unchecked Sendable {
    private var values: [String: Any] = [:]
    private let lock = NSLock()

    public init() {}

    public subscript(key: String) -> Any? {
        get { lock.withLock { values[key] } }
        set { lock.withLock { values[key] = newValue } }
    }

    /// Every key currently stored.
    public var keys: [String] { lock.withLock { Array(values.keys) } }

    /// Removes everything.
    public func removeAll() { lock.withLock { values.removeAll() } }
}
