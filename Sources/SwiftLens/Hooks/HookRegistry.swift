import Foundation

/// The hooks attached to a model outside a single call: permanent hooks, hooks added with
/// `addHook`, and those of enclosing `withHooks` scopes (tagged with their nesting level so a
/// scope removes exactly its own).
final class HookRegistry: @unchecked Sendable {
    struct Entry {
        let id: Int
        let hook: Hook
        let permanent: Bool
        /// 0 for `addHook`; n > 0 for the n-th nested `withHooks` scope.
        let level: Int
    }

    private var entries: [Entry] = []
    private var nextID = 0
    private var level = 0
    /// Attaching and detaching may happen while other threads run the model.
    private let lock = NSLock()

    @discardableResult
    func add(_ hook: Hook, permanent: Bool, prepend: Bool, level: Int) -> HookHandle {
        lock.withLock {
            let entry = Entry(id: nextID, hook: hook, permanent: permanent, level: level)
            nextID += 1
            if prepend { entries.insert(entry, at: 0) } else { entries.append(entry) }
            return HookHandle(id: entry.id)
        }
    }

    func remove(_ handle: HookHandle) -> Bool {
        lock.withLock {
            guard let i = entries.firstIndex(where: { $0.id == handle.id }) else { return false }
            entries.remove(at: i)
            return true
        }
    }

    func enterScope() -> Int {
        lock.withLock {
            level += 1
            return level
        }
    }

    /// Removes the non-permanent hooks of scope `scopeLevel` and leaves it.
    func exitScope(_ scopeLevel: Int) {
        lock.withLock {
            entries.removeAll { $0.level == scopeLevel && !$0.permanent }
            level = scopeLevel - 1
        }
    }

    /// Removes hooks added with `addHook` (and permanent ones when asked), like TransformerLens's
    /// `reset_hooks`; hooks of enclosing scopes stay until their scope ends.
    func reset(includingPermanent: Bool) {
        lock.withLock { entries.removeAll { $0.level == 0 && (!$0.permanent || includingPermanent) } }
    }

    /// The attached hooks, in the order they run.
    var hooks: [Hook] { lock.withLock { entries.map(\.hook) } }
}
