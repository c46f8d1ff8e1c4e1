/// A bad command line: an unknown option, a missing or malformed value, a missing or extra
/// argument, or options that contradict each other.
///
/// One type for `lens` and the examples, so their top levels can tell a user's mistake (print
/// the message and how the command is used, exit with a non-zero status) from a failure of the
/// work itself.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    /// What was wrong: what was expected and what was found.
    public let description: String
    /// The command it concerns (``OptionTable/command``, e.g. `lens train`), to begin the message.
    public let command: String?
    /// How the command is used (its ``OptionTable/usage`` line), to follow the message.
    public let usage: String?

    public init(description: String, command: String? = nil, usage: String? = nil) {
        self.description = description
        self.command = command
        self.usage = usage
    }

    /// The same error, of `table`'s command, if it does not name a command yet.
    public func of(_ table: OptionTable) -> UsageError {
        command == nil ? UsageError(description: description, command: table.command, usage: table.usage) : self
    }
}
