/// The two losses of a model on repeated random tokens that tell copying apart from general
/// competence: the induction loss on the second copy (only in-context copying can lower it) and
/// the loss on the first copy (the control: nothing to copy from there), in nats.
public struct RepeatLosses: Sendable, Equatable, Codable {
    /// ``InductionLoss/measure(perTokenLoss:)``: the mean loss over the second copy's predictions.
    public var induction: Float
    /// ``InductionLoss/firstCopyLoss(perTokenLoss:)``: the mean loss over the first copy's.
    public var firstCopy: Float

    public init(induction: Float, firstCopy: Float) {
        self.induction = induction
        self.firstCopy = firstCopy
    }

    /// Both losses of `model` on repeated tokens [batch, 2L] or [batch, 1 + 2L] (BOS first), from
    /// one forward pass with `hooks`.
    public static func measure(_ model: HookedTransformer, repeatedTokens tokens: IntTensor, hooks: [Hook] = []) throws -> RepeatLosses {
        let perToken = try model.perTokenLoss(tokens, hooks: hooks)
        return RepeatLosses(induction: try InductionLoss.measure(perTokenLoss: perToken),
                            firstCopy: try InductionLoss.firstCopyLoss(perTokenLoss: perToken))
    }
}
