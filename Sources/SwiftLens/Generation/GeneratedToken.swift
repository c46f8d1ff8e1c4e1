/// One token as generation produces it: for a per-token callback or a stream, so a terminal
/// can show text as it comes.
public struct GeneratedToken: Sendable {
    /// The batch row it belongs to.
    public let row: Int
    /// Its step: 1 for the first new token.
    public let step: Int
    /// Its id.
    public let token: Int
    /// The text it adds to its row. Empty while its bytes end inside a UTF-8 character (the
    /// character comes with the token that completes it); empty without a tokenizer.
    public let text: String
}
