/// Every head of a model ablated in turn on repeated random tokens, each measured twice: the
/// induction loss (second copy) and the first-copy loss (the control). A head whose ablation
/// raises only the first is needed for copying; one that raises both breaks the model
/// generally. Olsson et al. (2022) Argument 3 starts from this table.
///
/// ```swift
/// let rrt = RepeatedRandomTokens.batch(count: 4, length: 50, vocabularySize: model.config.dVocab, seed: 7, bos: 1)
/// let zero = try HeadAblationTable.measure(model, repeatedTokens: rrt, ablation: .zero)
/// print(zero.induction[18, 6].scalar, zero.clean.induction)     // loss without L18H6 vs clean
/// ```
public struct HeadAblationTable: Sendable {
    /// The losses with no head ablated.
    public let clean: RepeatLosses
    /// The induction loss with each head ablated, [n_layers, n_heads].
    public let induction: Tensor
    /// The first-copy loss with each head ablated, [n_layers, n_heads].
    public let firstCopy: Tensor

    public init(clean: RepeatLosses, induction: Tensor, firstCopy: Tensor) {
        self.clean = clean
        self.induction = induction
        self.firstCopy = firstCopy
    }

    /// Ablates every head's `hook_z` slice in turn (``Sweep/headAblation(_:tokens:metric:ablation:)``)
    /// and measures both losses from each variant's one (resumed) forward pass.
    /// - Parameters:
    ///   - tokens: repeated random tokens [batch, 2L] or [batch, 1 + 2L] with a BOS first.
    ///   - ablation: `.zero`, `.mean()` (the head's mean output over these tokens) or `.resample`.
    ///   - progress: called after each batch of variants.
    public static func measure(_ model: HookedTransformer, repeatedTokens tokens: IntTensor, ablation: Ablation = .zero,
                               progress: ((SweepProgress) -> Void)? = nil) throws -> HeadAblationTable {
        let rows = tokens.rank == 1 ? tokens.reshaped([1, -1]) : tokens
        guard rows.rank == 2, rows.shape[1] >= 6 else {
            throw AnalysisError.invalidShape(what: "the repeated tokens", expected: "[batch, 2L] or [batch, 1 + 2L] with L ≥ 3",
                                             found: tokens.shape)
        }
        let sweep = try Sweep.headAblation(model, tokens: rows, metric: .inductionLoss(tokens: rows), ablation: ablation)
        let results = try sweep.run(measuring: [.inductionLoss(tokens: rows), .firstCopyLoss(tokens: rows)], progress: progress)
        return HeadAblationTable(clean: RepeatLosses(induction: results[0].baseline, firstCopy: results[1].baseline),
                                 induction: try results[0].tensor(), firstCopy: try results[1].tensor())
    }

    /// The heads whose ablation raises the induction loss most, largest first, with the rise in
    /// both losses: (head, induction rise, first-copy rise).
    public func largestEffects(_ count: Int) -> [(head: Head, induction: Float, firstCopy: Float)] {
        let (layers, heads) = (induction.shape[0], induction.shape[1])
        return Head.all(layers: layers, heads: heads)
            .map { h in (h, induction[h.layer, h.head].scalar - clean.induction, firstCopy[h.layer, h.head].scalar - clean.firstCopy) }
            .sorted { $0.1 > $1.1 }
            .prefix(max(count, 0))
            .map { (head: $0.0, induction: $0.1, firstCopy: $0.2) }
    }
}
