/// A command's command line, declared once: its positional arguments and its options, each with
/// a line of help. From the table come the usage line, the help text, and the parser, so the
/// three cannot disagree.
///
/// ```swift
/// let table = OptionTable(command: "lens scores", arguments: [.required("MODEL", help: "a model directory")],
///                         options: [.integer("--top", default: 8, help: "composition scores listed"),
///                                   .flag("--process", help: "process the weights first")],
///                         summary: "what every head does")
/// let args = try table.parse(["runs/x/final", "--top", "3"])
/// args.integer("--top")            // 3
/// ```
///
/// Parsing is strict: an unknown option, a valued option without its value, a value its kind
/// rejects (`--seed abc`), a repeated option, a missing required option and too few or too many
/// positional words each throw a ``UsageError`` saying what was expected and what was found.
/// `--help` or `-h` anywhere throws ``HelpRequest`` with ``help``. `--name=value` is the same
/// as `--name value`; after `--` every word is positional.
public struct OptionTable: Sendable {
    /// How the command is invoked, e.g. `lens train` or `ZeroAblateHead`.
    public let command: String
    public let arguments: [PositionalArgument]
    public let options: [CommandOption]
    /// What the command does: a paragraph for the help text, already wrapped (lines of ≤ 100
    /// characters, no indentation).
    public let summary: String

    /// - Precondition: option names start with `--` and are distinct; only the last positional
    ///   argument may repeat. (A mistake in the table, not in a command line.)
    public init(command: String, arguments: [PositionalArgument] = [], options: [CommandOption], summary: String) {
        let names = options.map(\.name)
        precondition(names.allSatisfy { $0.hasPrefix("--") && $0.count > 2 } && Set(names).count == names.count,
                     "\(command): option names must start with -- and be distinct: \(names)")
        precondition(arguments.dropLast().allSatisfy { if case .many = $0.count { false } else { true } },
                     "\(command): only the last positional argument may repeat")
        self.command = command
        self.arguments = arguments
        self.options = options
        self.summary = summary
    }

    /// The option called `name`, if the table has one.
    public func option(_ name: String) -> CommandOption? { options.first { $0.name == name } }

    // MARK: Help

    /// `lens train [--recipe R|U] [--layers N] …`, wrapped at 100 columns.
    public var usage: String {
        let words = [command] + arguments.map(\.usage) + options.map(\.usage)
        let indent = String(repeating: " ", count: min(command.count + 1, 24))
        var lines: [String] = []
        var line = ""
        for word in words {
            if !line.isEmpty, line.count + 1 + word.count > 100 {
                lines.append(line)
                line = indent + word
            } else {
                line += (line.isEmpty ? "" : " ") + word
            }
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// The usage line, the summary, and one line per argument and option (with its default).
    public var help: String {
        var rows: [(String, String)] = arguments.map { ($0.name, $0.help) }
        let argumentRows = rows.count
        rows += options.map { option in
            let left = option.placeholder.isEmpty ? option.name : "\(option.name) \(option.placeholder)"
            var right = option.help
            if option.isRequired { right += " (required)" }
            if let text = option.defaultText { right += " (default: \(text))" }
            return (left, right)
        }
        rows.append(("-h, --help", "print this help"))
        let width = min(28, rows.map(\.0.count).max() ?? 0)
        func row(_ left: String, _ right: String) -> String {
            left.count > width ? "  \(left)\n  \(String(repeating: " ", count: width))  \(right)"
                : "  " + left.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + right
        }
        var text = "usage: " + usage.split(separator: "\n").joined(separator: "\n       ") + "\n"
        if !summary.isEmpty { text += "\n" + summary + "\n" }
        if argumentRows > 0 {
            text += "\narguments:\n" + rows[..<argumentRows].map { row($0.0, $0.1) }.joined(separator: "\n") + "\n"
        }
        text += "\noptions:\n" + rows[argumentRows...].map { row($0.0, $0.1) }.joined(separator: "\n")
        return text
    }

    // MARK: Parsing

    /// Checks `words` (the command line after the command's name) against the table.
    /// - Throws: ``HelpRequest`` for `--help` or `-h`; ``UsageError`` for anything the table does
    ///   not allow.
    public func parse(_ words: [String]) throws -> ParsedArguments {
        let separator = words.firstIndex(of: "--") ?? words.endIndex
        if words[..<separator].contains(where: { $0 == "--help" || $0 == "-h" }) { throw HelpRequest(text: help) }
        func failure(_ message: String) -> UsageError { UsageError(description: message, command: command, usage: usage) }

        var positional: [String] = []
        var values: [String: any Sendable] = [:]
        var texts: [String: String] = [:]
        var given: Set<String> = []
        var i = 0
        while i < words.count {
            let word = words[i]
            i += 1
            if i - 1 == separator { continue }
            guard i - 1 < separator, Self.looksLikeOption(word) else {
                positional.append(word)
                continue
            }
            var name = word, inline: String?
            if let equals = word.firstIndex(of: "="), word.hasPrefix("--") {
                name = String(word[..<equals])
                inline = String(word[word.index(after: equals)...])
            }
            guard let option = option(name) else {
                throw failure("unknown option \(name)" + (options.isEmpty ? " (\(command) takes no options)" : " (--help lists the options)"))
            }
            guard !given.contains(name) else { throw failure("\(name) is given twice") }
            given.insert(name)
            if case .flag = option.kind {
                if let inline { throw failure("\(name) takes no value, found \"\(inline)\"") }
                values[name] = true
                continue
            }
            let text: String
            if let inline {
                text = inline
            } else {
                guard i < words.count, i != separator, !words[i].hasPrefix("--") else {
                    throw failure("\(name) needs a value (\(name) \(option.placeholder))"
                                  + (i < words.count && i != separator ? ", found the option \(words[i])" : ""))
                }
                text = words[i]
                i += 1
            }
            do { values[name] = try option.parse(text) } catch let error as UsageError { throw error.of(self) }
            texts[name] = text
        }

        for option in options where !given.contains(option.name) {
            if option.isRequired { throw failure("missing \(option.name) \(option.placeholder): \(option.help)") }
            if let value = option.defaultValue {
                values[option.name] = value
                texts[option.name] = option.defaultText
            }
        }
        var remaining = positional[...]
        var byName: [String: [String]] = [:]
        for argument in arguments {
            switch argument.count {
            case .one:
                guard let word = remaining.popFirst() else { throw failure("missing \(argument.name): \(argument.help)") }
                byName[argument.name] = [word]
            case .optional:
                byName[argument.name] = remaining.popFirst().map { [$0] } ?? []
            case .many(let minimum):
                guard remaining.count >= minimum else {
                    throw failure("missing \(argument.name) (at least \(minimum)): \(argument.help)")
                }
                byName[argument.name] = Array(remaining)
                remaining = []
            }
        }
        if let extra = remaining.first {
            let takes = arguments.isEmpty ? "takes no arguments" : "takes " + arguments.map(\.usage).joined(separator: " ")
            throw failure("unexpected argument \"\(extra)\" (\(command) \(takes))")
        }
        return ParsedArguments(table: self, positional: positional, arguments: byName, values: values, texts: texts, given: given)
    }

    /// `--name`, `-x`: an option; `-1`, `-0.5`, `-`: a value or a positional word.
    static func looksLikeOption(_ word: String) -> Bool {
        word.hasPrefix("-") && word.count > 1 && Double(word) == nil
    }
}
