/// What went wrong attaching or running a hook.
public enum HookError: Error, CustomStringConvertible, Equatable {
    /// The name is not a hook point of this model (or never fires in it).
    case unknownHookPoint(HookName, suggestions: [HookName])
    /// A predicate matched no hook point of this model.
    case noMatchingHookPoint
    /// A spliced module declares a hook point whose name the model already has.
    case duplicateHookPoint(HookName)
    /// A hook returned a tensor of another shape.
    case shapeMismatch(hook: HookName, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .unknownHookPoint(name, suggestions):
            "no hook point named \"\(name)\" fires in this model"
                + (suggestions.isEmpty ? "" : " (did you mean \(suggestions.map { "\"\($0)\"" }.joined(separator: ", "))?)")
        case .noMatchingHookPoint:
            "the hook's predicate matches no hook point of this model"
        case let .duplicateHookPoint(name):
            "the model already has a hook point named \"\(name)\"; a spliced module's points need names of their own"
        case let .shapeMismatch(hook, expected, found):
            "hook on \"\(hook)\" returned a tensor of shape \(found); expected the activation's shape \(expected)"
        }
    }
}
