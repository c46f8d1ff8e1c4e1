/// Thrown by ``OptionTable/parse(_:)`` when the command line asks for help (`--help` or `-h`).
///
/// An error rather than a field of ``ParsedArguments`` so that no command can forget it: the
/// help is honoured before any argument is checked (`lens cache --help` needs no model), and the
/// top level prints ``text`` to standard output and exits with status 0.
public struct HelpRequest: Error, CustomStringConvertible, Sendable {
    /// The command's help (``OptionTable/help``).
    public let text: String
    public var description: String { text }

    public init(text: String) { self.text = text }
}
