import Foundation

extension HookedTransformer {
    /// The most bytes a model may take to build: its parameters as `Float`s
    /// (``HookedTransformerConfig/parameterBytes``) plus an estimate of its components'
    /// bookkeeping per layer (`HookedTransformerConfig.bookkeepingBytesPerLayer`, 8 KiB). A
    /// config needing more fails
    /// ``HookedTransformerConfig/validated()`` with ``ConfigError/exceedsMemoryLimit(bytes:limit:largest:)``
    /// naming the bytes it would need — before anything is allocated — instead of the process
    /// being killed, or aborting, part-way through allocating it. Every model construction and
    /// every loader validates its config, so this guards `load(directory:)` against a config
    /// whose sizes are huge but representable (`n_ctx` 1e9, `d_vocab` 1e9, `n_layers` 1e6).
    ///
    /// Default: the machine's physical memory (a model larger than that cannot run). Set it lower
    /// to keep room for other work, or to `Int.max` to turn the budget off; it applies to
    /// validations that start afterwards, on any thread. ``HookedTransformerConfig/validated(memoryLimit:)``
    /// takes a budget for one call.
    public static var memoryLimit: Int {
        get { memoryLimitLock.withLock { memoryLimitValue } }
        set { memoryLimitLock.withLock { memoryLimitValue = newValue } }
    }

    private static let memoryLimitLock = NSLock()
    nonisolated(unsafe) private static var memoryLimitValue = Int(clamping: ProcessInfo.processInfo.physicalMemory)
}
