import Foundation

/// One generated input: which family and base fixture it came from, what was mutated, whether
/// the mutation is known to be invalid, and the mutated input itself.
///
/// A case is a pure function of `(seed, index)` (``FuzzCaseGenerator/makeCase(_:)``), so any
/// case of any run is reproduced with `lens fuzz --seed S --case N`.
public struct FuzzCase: Sendable {
    /// The case number within its run.
    public let index: Int
    /// The run's seed.
    public let seed: UInt64
    public let family: FuzzFamily
    /// The fixture the case starts from, e.g. `hf/gpt2tiny` or `classic/attn2l`.
    public let base: String
    /// A stable identifier of the mutation class, `family:target:operation` (e.g.
    /// `hf-gpt2-config:n_embd:huge`): what a known-defect list matches.
    public let mutation: String
    /// What exactly was done, with the values, for the report.
    public let detail: String
    public let validity: FuzzValidity
    public let input: FuzzInput

    public init(index: Int, seed: UInt64, family: FuzzFamily, base: String, mutation: String, detail: String,
                validity: FuzzValidity, input: FuzzInput) {
        self.index = index
        self.seed = seed
        self.family = family
        self.base = base
        self.mutation = mutation
        self.detail = detail
        self.validity = validity
        self.input = input
    }
}
