/// A word of a command line that is not an option, such as `MODEL` in `lens scores MODEL`.
///
/// Declared in an ``OptionTable`` beside the options, so the usage line names it and
/// ``OptionTable/parse(_:)`` rejects a command line with too few or too many words.
public struct PositionalArgument: Sendable {
    /// How many words the argument takes.
    public enum Count: Sendable, Equatable {
        /// Exactly one word.
        case one
        /// One word or none.
        case optional
        /// `minimum` words or more (only as the last argument).
        case many(minimum: Int)
    }

    /// The name the usage line and the errors show, e.g. `MODEL`.
    public let name: String
    public let count: Count
    /// One line for the help text.
    public let help: String

    public init(_ name: String, _ count: Count = .one, help: String) {
        self.name = name
        self.count = count
        self.help = help
    }

    /// A required argument.
    public static func required(_ name: String, help: String) -> PositionalArgument { .init(name, .one, help: help) }
    /// An argument that may be left out.
    public static func optional(_ name: String, help: String) -> PositionalArgument { .init(name, .optional, help: help) }
    /// The last argument, repeated at least `minimum` times.
    public static func many(_ name: String, minimum: Int = 1, help: String) -> PositionalArgument {
        .init(name, .many(minimum: minimum), help: help)
    }

    /// `MODEL`, `[MODEL]` or `PART…` as the usage line writes it.
    var usage: String {
        switch count {
        case .one: name
        case .optional: "[\(name)]"
        case .many(let minimum): minimum == 0 ? "[\(name)…]" : "\(name)…"
        }
    }
}
