import Foundation

/// The per-token loss view of training (Olsson et al. 2022; induction.md §1.5): every
/// checkpoint's loss on a fixed set of tokens is one point in R^{n_tokens}; PCA of the points
/// gives a 2-D trajectory in which the induction-head phase change shows as a sharp turn.
public struct LossTrajectory: Sendable {
    /// The checkpoints, in the order of the rows below.
    public let checkpoints: [TrainingCheckpoint]
    /// Per-token losses, [n_checkpoints, batch · (pos − 1)]: row c is checkpoint c's
    /// `perTokenLoss(tokens)` flattened (loss[b, p] predicts token p + 1 of sequence b).
    public let losses: Tensor
    /// The PCA of `losses` (mean-centred).
    public let principalComponents: PrincipalComponents

    /// The trajectory of `checkpoints` (from one run, or several runs to share axes) on `tokens`
    /// [batch, pos], with `components` principal components (2 unless more are asked for and
    /// available). Loads and runs each checkpoint in turn, so one model is in memory at a time.
    public static func measure(checkpoints: [TrainingCheckpoint], tokens: IntTensor, components: Int = 2) throws -> LossTrajectory {
        guard checkpoints.count >= 2 else {
            throw AnalysisError.invalidArgument("a loss trajectory needs at least 2 checkpoints; found \(checkpoints.count)")
        }
        let losses = try perTokenLosses(loaders: checkpoints.map { c in { try HookedTransformer.load(directory: c.directory) } }, tokens: tokens)
        return try LossTrajectory(checkpoints: checkpoints, losses: losses, components: components)
    }

    /// Every checkpoint of the run in `run`, in step order; see
    /// ``measure(checkpoints:tokens:components:)``.
    public static func measure(run: URL, tokens: IntTensor, components: Int = 2) throws -> LossTrajectory {
        try measure(checkpoints: TrainingCheckpoint.all(inRun: run), tokens: tokens, components: components)
    }

    /// The trajectory of per-token losses you already have, [n_checkpoints, n_tokens], one row
    /// per checkpoint in `checkpoints`.
    public init(checkpoints: [TrainingCheckpoint], losses: Tensor, components: Int = 2) throws {
        guard checkpoints.count >= 2, losses.rank == 2, losses.shape[0] == checkpoints.count else {
            throw AnalysisError.invalidShape(what: "the losses of \(checkpoints.count) checkpoints", expected: "[n_checkpoints ≥ 2, n_tokens]",
                                             found: losses.shape)
        }
        self.checkpoints = checkpoints
        self.losses = losses
        principalComponents = try PrincipalComponents(losses, components: min(components, checkpoints.count - 1, losses.shape[1]))
    }

    /// The checkpoints' coordinates on the principal components, [n_checkpoints, k].
    public var coordinates: Tensor { principalComponents.projected }

    /// The flattened per-token losses of each model on `tokens`, [n_models, batch · (pos − 1)].
    public static func perTokenLosses(models: [HookedTransformer], tokens: IntTensor) throws -> Tensor {
        try perTokenLosses(loaders: models.map { model in { model } }, tokens: tokens)
    }

    /// As above, loading each model only when it is needed, so only one is in memory at a time.
    static func perTokenLosses(loaders: [() throws -> HookedTransformer], tokens: IntTensor) throws -> Tensor {
        var rows: [Tensor] = []
        for load in loaders { rows.append(try load().perTokenLoss(tokens).flattened()) }
        guard let width = rows.first?.count, rows.allSatisfy({ $0.count == width }) else {
            throw AnalysisError.invalidArgument("no models to evaluate, or models with different loss shapes")
        }
        return Tensor.stack(rows)
    }
}
