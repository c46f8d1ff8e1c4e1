import SwiftLens

/// A command line checked against an ``OptionTable``: the positional words and the value of
/// each option given, or its default from the table.
///
/// Every value has already been checked, so reading one cannot fail on user input. The
/// accessors without `ifGiven:` are for options the table gives a default (or marks required)
/// and for required arguments; the `ifGiven:` forms return nil when an option without a default
/// was left out. Asking for a name the table lacks, or for the wrong type, is a mistake in the
/// program and stops it (on every run of that line, whatever the input).
public struct ParsedArguments: Sendable {
    /// The table the command line was checked against.
    public let table: OptionTable
    /// The positional words, in order.
    public let positional: [String]
    let arguments: [String: [String]]
    let values: [String: any Sendable]
    /// The text of each value (given, or the default's), for messages about it.
    let texts: [String: String]
    let given: Set<String>

    /// True if `name` was on the command line.
    public func isGiven(_ name: String) -> Bool {
        precondition(table.option(name) != nil, "\(table.command) has no option \(name)")
        return given.contains(name)
    }

    /// True if the flag `name` was given.
    public func flag(_ name: String) -> Bool { isGiven(name) }

    /// The value of `name`: given, or the table's default.
    public func value<Value>(_ name: String, as type: Value.Type = Value.self) -> Value {
        guard let value = value(ifGiven: name, as: type) else {
            preconditionFailure("\(table.command): \(name) has no default and is not required; read it with ifGiven:")
        }
        return value
    }

    /// The value of `name`: given, or the table's default; nil if neither.
    public func value<Value>(ifGiven name: String, as type: Value.Type = Value.self) -> Value? {
        precondition(table.option(name) != nil, "\(table.command) has no option \(name)")
        guard let value = values[name] else { return nil }
        guard let typed = value as? Value else { preconditionFailure("\(table.command): \(name) holds a \(Swift.type(of: value)), not a \(type)") }
        return typed
    }

    public func integer(_ name: String) -> Int { value(name) }
    public func integer(ifGiven name: String) -> Int? { value(ifGiven: name) }
    public func number(_ name: String) -> Float { value(name) }
    public func number(ifGiven name: String) -> Float? { value(ifGiven: name) }
    /// A string, choice or path.
    public func string(_ name: String) -> String { value(name) }
    public func string(ifGiven name: String) -> String? { value(ifGiven: name) }
    /// A list's items.
    public func strings(_ name: String) -> [String] { value(name) }
    public func integers(_ name: String) -> [Int] { value(name) }
    public func integers(ifGiven name: String) -> [Int]? { value(ifGiven: name) }

    /// The head `name`, which must exist in a model of `layers` layers of `heads` heads.
    /// - Throws: ``UsageError`` naming the option, the head and the model's size.
    public func head(_ name: String, layers: Int, heads: Int) throws -> Head {
        try check(value(name), name, layers: layers, heads: heads)
    }

    /// As ``head(_:layers:heads:)``; nil if the option, without a default, was left out.
    public func head(ifGiven name: String, layers: Int, heads: Int) throws -> Head? {
        try value(ifGiven: name, as: Head.self).map { try check($0, name, layers: layers, heads: heads) }
    }

    /// The list of heads `name`, each of which must exist in a model of `layers` × `heads`.
    public func heads(ifGiven name: String, layers: Int, heads: Int) throws -> [Head]? {
        try value(ifGiven: name, as: [Head].self).map { try $0.map { try check($0, name, layers: layers, heads: heads) } }
    }

    private func check(_ head: Head, _ name: String, layers: Int, heads: Int) throws -> Head {
        guard (0..<layers).contains(head.layer), (0..<heads).contains(head.head) else {
            let text = values[name] is [Head] ? "\(head)" : texts[name] ?? "\(head)"
            throw UsageError(description: "\(name) \(text) does not exist: the model has \(layers) layer\(layers == 1 ? "" : "s") "
                             + "of \(heads) head\(heads == 1 ? "" : "s") (layers 0–\(layers - 1), heads 0–\(heads - 1))").of(table)
        }
        return head
    }

    // MARK: Positional arguments

    /// The word given for the required argument `name`.
    public func argument(_ name: String) -> String {
        guard let word = argument(ifGiven: name) else { preconditionFailure("\(table.command): argument \(name) is optional or unknown") }
        return word
    }

    /// The word given for the argument `name`; nil if it was optional and left out.
    public func argument(ifGiven name: String) -> String? {
        precondition(arguments[name] != nil, "\(table.command) has no argument \(name)")
        return arguments[name]?.first
    }

    /// Every word given for the repeated argument `name`.
    public func arguments(_ name: String) -> [String] {
        precondition(arguments[name] != nil, "\(table.command) has no argument \(name)")
        return arguments[name] ?? []
    }
}
