/// The per-head activations TransformerLens's head patching grids cover.
public enum HeadActivation: String, Sendable, CaseIterable {
    /// The head output, `hook_z`.
    case z
    /// `hook_q`.
    case q
    /// `hook_k` (key-value heads on grouped-query models).
    case k
    /// `hook_v` (key-value heads on grouped-query models).
    case v

    /// The typed builder of its hook name.
    public var hookName: (Int) -> HookName {
        switch self {
        case .z: HookName.z
        case .q: HookName.q
        case .k: HookName.k
        case .v: HookName.v
        }
    }
}
