/// The outcome of one case, with everything needed to reproduce and read it: the case number
/// (rerun with `lens fuzz --seed S --case N`), its family, base and mutation, and the error
/// message or crash report.
public struct FuzzResult: Codable, Sendable {
    public var index: Int
    public var family: FuzzFamily
    public var base: String
    public var mutation: String
    public var detail: String
    public var validity: FuzzValidity
    public var outcome: FuzzOutcome
    /// The error's description, or for a crash the runtime's message and the first frames in
    /// SwiftLens sources.
    public var message: String
    /// Wall-clock time of the case (informational: nothing asserts on it).
    public var seconds: Double

    public init(index: Int, family: FuzzFamily, base: String, mutation: String, detail: String, validity: FuzzValidity,
                outcome: FuzzOutcome, message: String, seconds: Double) {
        self.index = index
        self.family = family
        self.base = base
        self.mutation = mutation
        self.detail = detail
        self.validity = validity
        self.outcome = outcome
        self.message = message
        self.seconds = seconds
    }

    /// The result of `fuzzCase` ending in `outcome` (for crashes and hangs seen from outside).
    public init(_ fuzzCase: FuzzCase, outcome: FuzzOutcome, message: String, seconds: Double) {
        self.init(index: fuzzCase.index, family: fuzzCase.family, base: fuzzCase.base, mutation: fuzzCase.mutation,
                  detail: fuzzCase.detail, validity: fuzzCase.validity, outcome: outcome, message: message, seconds: seconds)
    }
}
