/// Text that is not the strict JSON ``JSONValue/parse(_:origin:maximumDepth:)`` accepts: where
/// (the byte offset and the origin's name) and what was expected there.
public struct JSONParseError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or other source) the text came from.
    public let origin: String
    /// Byte offset of the problem within the text.
    public let offset: Int
    /// What was expected and what was found.
    public let reason: String

    public init(origin: String, offset: Int, reason: String) {
        self.origin = origin
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(origin): invalid JSON at byte \(offset): \(reason)" }
}
