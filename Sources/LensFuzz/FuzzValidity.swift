/// What the mutator knows about its mutation. Only a case ``invalid`` by construction can be
/// "wrongly accepted"; an ``unknown`` one (a flipped byte that may land in padding, a changed
/// head count that still fits the weights) only has to end in a clean error or be accepted.
public enum FuzzValidity: String, Codable, Sendable {
    /// Known to be invalid: loading (or running) must fail with a clean error.
    case invalid
    /// Known to be valid: expected to load (a clean error is not a defect, but is counted).
    case valid
    /// Either may be right.
    case unknown
}
