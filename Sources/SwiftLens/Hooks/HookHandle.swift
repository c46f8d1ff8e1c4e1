/// Identifies a hook added with `HookedTransformer.addHook`, for `removeHook`.
public struct HookHandle: Hashable, Sendable {
    let id: Int
}
