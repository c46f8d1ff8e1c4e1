/// How far a sweep has got.
public struct SweepProgress: Sendable {
    public let done: Int
    public let total: Int
    public let elapsedSeconds: Double
    public var variantsPerSecond: Double { Double(done) / max(elapsedSeconds, 1e-9) }
    public var etaSeconds: Double { Double(total - done) / max(variantsPerSecond, 1e-9) }
}
