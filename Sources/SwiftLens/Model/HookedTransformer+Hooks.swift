extension HookedTransformer {
    /// Runs `body` with `hooks` attached to the model, and detaches them afterwards — also when
    /// `body` or a hook throws. Scopes nest; each removes exactly its own hooks.
    ///
    /// ```swift
    /// try model.withHooks([ablateHead]) {
    ///     let loss = try model.loss(tokens)
    ///     …
    /// }
    /// ```
    /// - Throws: ``HookError`` if a hook names a point this model lacks (nothing is attached).
    public func withHooks<R>(_ hooks: [Hook], _ body: () throws -> R) throws -> R {
        try validate(hooks)
        let level = registry.enterScope()
        defer { registry.exitScope(level) }
        for hook in hooks { registry.add(hook, permanent: false, prepend: false, level: level) }
        return try body()
    }

    /// Attaches `hook` until it is removed (``removeHook(_:)``) or, unless `permanent`, until
    /// ``resetHooks(includingPermanent:)``. `prepend` runs it before hooks already on its points.
    @discardableResult
    public func addHook(_ hook: Hook, permanent: Bool = false, prepend: Bool = false) throws -> HookHandle {
        try validate([hook])
        return registry.add(hook, permanent: permanent, prepend: prepend, level: 0)
    }

    /// Detaches a hook added with ``addHook(_:permanent:prepend:)``; false if it was not attached.
    @discardableResult
    public func removeHook(_ handle: HookHandle) -> Bool { registry.remove(handle) }

    /// Detaches the hooks added with ``addHook(_:permanent:prepend:)`` (and permanent ones when
    /// asked) and clears the hook contexts, like TransformerLens's `reset_hooks()`.
    public func resetHooks(includingPermanent: Bool = false, clearContexts: Bool = true) {
        registry.reset(includingPermanent: includingPermanent)
        if clearContexts { self.clearContexts() }
    }

    /// Empties every hook point's ``HookStorage``.
    public func clearContexts() {
        for storage in persistentStorages { storage.removeAll() }
    }

    /// The per-point storage that attached hooks see as `context.storage` (TransformerLens's
    /// `hook.ctx`), for reading what they left there; nil if `name` is not a hook point.
    public func hookContext(_ name: HookName) -> HookStorage? {
        hookPointTable.set.contains(name) ? persistentStorage(name) : nil
    }

    /// The hooks attached now (attached with `addHook` or by enclosing `withHooks` scopes), in
    /// the order they run.
    public var attachedHooks: [Hook] { registry.hooks }

    /// Checks hooks against this model's hook points without attaching them.
    func validate(_ hooks: [Hook]) throws {
        let table = hookPointTable
        for hook in hooks { _ = try hook.target.resolve(in: table.names, pointSet: table.set) }
    }
}
