/// A bad command line: an unknown option, a missing or malformed value, a missing or extra
/// argument, or options that contradict each other.
///
/// One type for `lens` and the examples, so their top levels can tell a user's mistake (print
/// the message and how the command is used, exit with a non-zero status) from a failure of the
/// work itself.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    /// What was wrong: what was expected and what was found.
    public let description: String
    /// How the command is used (its ``OptionTable/usage`` line), when the error came from parsing.
    public let usage: String?

    public init(description: String, usage: String? = nil) {
        self.description = description
        self.usage = usage
    }
}
