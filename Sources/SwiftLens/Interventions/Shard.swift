/// Which variants of a sweep one process computes: those whose index i satisfies
/// i mod `count` == `index` (interleaved, so every shard gets early- and late-layer variants
/// alike and they take about equally long).
public struct Shard: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// Every variant.
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else { throw SweepError.badShard("\(index)/\(count)") }
        self.index = index
        self.count = count
    }

    /// Parses "i/n" (as in `--shard 2/8`).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { throw SweepError.badShard(text) }
        try self.init(index: i, count: n)
    }

    private init(uncheckedIndex: Int, count: Int) {
        index = uncheckedIndex
        self.count = count
    }

    public func contains(_ variant: Int) -> Bool { variant % count == index }

    public var description: String { "\(index)/\(count)" }
}
