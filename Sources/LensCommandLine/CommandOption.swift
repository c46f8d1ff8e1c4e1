import SwiftLens

/// One option of a command: its name, the kind of value it takes, a line of help, and its
/// default.
///
/// A command declares its options once, in an ``OptionTable``. The table writes the help text
/// from them and checks every word of a command line against them, so an option cannot be
/// documented without being accepted, accepted without being checked, or given a default in the
/// help that differs from the one the code uses: the default is declared here and
/// ``ParsedArguments`` returns it.
///
/// ```swift
/// .integer("--seed", "S", default: 0, help: "the random seed")
/// .head("--head", default: Head(layer: 1, head: 0), help: "the head to ablate")
/// .flag("--quiet", help: "no progress lines")
/// ```
public struct CommandOption: Sendable {
    /// What an option takes, and so how its value is checked.
    public enum Kind: Sendable {
        /// No value: present or absent.
        case flag
        /// An integer ≥ `minimum`.
        case integer(minimum: Int)
        /// A finite number, ≥ `minimum` if one is given.
        case number(minimum: Float?)
        /// Any text (a path, JSON, …), checked by the command.
        case string
        /// One of a fixed set of words (matched ignoring case; the value is the set's spelling).
        case choice([String])
        /// Comma-separated words.
        case list
        /// Comma-separated integers ≥ `minimum`.
        case integers(minimum: Int)
        /// An attention head, `L.H` or `LlHh` (parsed by ``Head``).
        case head
        /// Comma-separated heads.
        case heads
        /// Anything else: `parse` returns the value, or nil (or throws) when the text is not
        /// what `expects` describes.
        case custom(expects: String, parse: @Sendable (String) throws -> (any Sendable)?)
    }

    /// `--name`.
    public let name: String
    public let kind: Kind
    /// What the usage line writes after the name, e.g. `N` or `FILE`; empty for flags.
    public let placeholder: String
    /// One line for the help text.
    public let help: String
    /// True if the command cannot run without this option.
    public let isRequired: Bool
    /// The default as the help text shows it, if there is one.
    public let defaultText: String?
    /// The default, of the type the kind parses to.
    let defaultValue: (any Sendable)?

    /// The general form; the static functions below are the usual way to write an option.
    public init(_ name: String, _ kind: Kind, placeholder: String, required: Bool = false, default value: (any Sendable)? = nil,
                defaultText: String? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.placeholder = placeholder
        self.isRequired = required
        self.defaultValue = value
        self.defaultText = defaultText ?? value.map { "\($0)" }
        self.help = help
    }

    public static func flag(_ name: String, help: String) -> CommandOption {
        .init(name, .flag, placeholder: "", help: help)
    }

    public static func integer(_ name: String, _ placeholder: String = "N", minimum: Int = 0, default value: Int? = nil,
                               help: String) -> CommandOption {
        .init(name, .integer(minimum: minimum), placeholder: placeholder, default: value, help: help)
    }

    public static func number(_ name: String, _ placeholder: String = "X", minimum: Float? = nil, default value: Float? = nil,
                              help: String) -> CommandOption {
        .init(name, .number(minimum: minimum), placeholder: placeholder, default: value, help: help)
    }

    public static func string(_ name: String, _ placeholder: String, required: Bool = false, default value: String? = nil,
                              help: String) -> CommandOption {
        .init(name, .string, placeholder: placeholder, required: required, default: value, help: help)
    }

    /// The placeholder is the choices, `R|U`.
    public static func choice(_ name: String, _ choices: [String], default value: String? = nil, help: String) -> CommandOption {
        .init(name, .choice(choices), placeholder: choices.joined(separator: "|"), default: value, help: help)
    }

    public static func list(_ name: String, _ placeholder: String, default value: [String]? = nil, help: String) -> CommandOption {
        .init(name, .list, placeholder: placeholder, default: value, defaultText: value?.joined(separator: ","), help: help)
    }

    public static func integers(_ name: String, _ placeholder: String = "N,N,…", minimum: Int = 0, default value: [Int]? = nil,
                                help: String) -> CommandOption {
        .init(name, .integers(minimum: minimum), placeholder: placeholder, default: value,
              defaultText: value?.map(String.init).joined(separator: ","), help: help)
    }

    /// The default prints as `L1H0`.
    public static func head(_ name: String, default value: Head? = nil, help: String) -> CommandOption {
        .init(name, .head, placeholder: "L.H", default: value, help: help)
    }

    public static func heads(_ name: String, help: String) -> CommandOption {
        .init(name, .heads, placeholder: "L.H,…", help: help)
    }

    /// An option whose value `parse` reads: nil (or an error, whose message is shown) when the
    /// text is not what `expects` describes, e.g. "L or LxB (e.g. 32x8)".
    public static func custom<Value: Sendable>(_ name: String, _ placeholder: String, expects: String, default value: Value? = nil,
                                               defaultText: String? = nil, help: String,
                                               parse: @escaping @Sendable (String) throws -> Value?) -> CommandOption {
        .init(name, .custom(expects: expects, parse: { try parse($0) }), placeholder: placeholder, default: value,
              defaultText: defaultText, help: help)
    }

    /// The same option with another help line, for an option that several commands share but
    /// describe differently.
    public func withHelp(_ help: String) -> CommandOption {
        .init(name, kind, placeholder: placeholder, required: isRequired, default: defaultValue, defaultText: defaultText, help: help)
    }

    // MARK: Checking a value

    /// What the value must be, for error messages: "expects a non-negative integer".
    public var expected: String {
        switch kind {
        case .flag: "no value"
        case .integer(let minimum): minimum == 0 ? "a non-negative integer" : "an integer ≥ \(minimum)"
        case .number(let minimum): minimum.map { $0 == 0 ? "a non-negative number" : "a number ≥ \($0)" } ?? "a number"
        case .string: "a value (\(placeholder))"
        case .choice(let choices): Self.either(choices)
        case .list: "comma-separated values (\(placeholder))"
        case .integers(let minimum): "comma-separated \(minimum == 0 ? "non-negative integers" : "integers ≥ \(minimum)") (e.g. 100,500)"
        case .head: "a head LAYER.HEAD (e.g. 1.0, or L1H0)"
        case .heads: "heads LAYER.HEAD,… (e.g. 0.1,0.3, or L0H1,L0H3)"
        case .custom(let expects, _): expects
        }
    }

    /// The value of `text`, of the kind's type.
    /// - Throws: ``UsageError`` naming the option, what it expects and what was found.
    func parse(_ text: String) throws -> any Sendable {
        func malformed(_ detail: String? = nil) -> UsageError {
            UsageError(description: "\(name) expects \(expected), found \"\(text)\"" + (detail.map { " (\($0))" } ?? ""))
        }
        func items() throws -> [String] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !parts.contains(where: \.isEmpty) else { throw malformed("an empty item") }
            return parts
        }
        switch kind {
        case .flag:
            throw UsageError(description: "\(name) takes no value, found \"\(text)\"")
        case .integer(let minimum):
            guard let value = Int(text), value >= minimum else { throw malformed() }
            return value
        case .number(let minimum):
            guard let value = Float(text), value.isFinite, value >= (minimum ?? -.infinity) else { throw malformed() }
            return value
        case .string:
            return text
        case .choice(let choices):
            guard let match = choices.first(where: { $0.lowercased() == text.lowercased() }) else { throw malformed() }
            return match
        case .list:
            return try items()
        case .integers(let minimum):
            return try items().map { item in
                guard let value = Int(item), value >= minimum else { throw malformed(item == text ? nil : "at \"\(item)\"") }
                return value
            }
        case .head:
            guard let head = Head(text) else { throw malformed() }
            return head
        case .heads:
            return try items().map { item in
                guard let head = Head(item) else { throw malformed(item == text ? nil : "at \"\(item)\"") }
                return head
            }
        case .custom(_, let parse):
            let value: (any Sendable)?
            do { value = try parse(text) } catch { throw malformed("\(error)") }
            guard let value else { throw malformed() }
            return value
        }
    }

    /// "R or U", "a, b or c".
    static func either(_ words: [String]) -> String {
        words.count <= 1 ? words.joined() : words.dropLast().joined(separator: ", ") + " or " + words.last!
    }

    /// `--name PLACEHOLDER`, bracketed unless required, as the usage line writes it.
    var usage: String {
        let text = placeholder.isEmpty ? name : "\(name) \(placeholder)"
        return isRequired ? text : "[\(text)]"
    }
}
