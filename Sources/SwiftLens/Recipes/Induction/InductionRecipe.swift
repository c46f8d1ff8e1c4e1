/// The induction-head experiment in one value: model, data, optimisation and evaluation —
/// Recipe R or U of this folder's README.md, or a variation of them.
///
/// ```swift
/// var recipe = InductionRecipe.recipeR(layers: 2, seed: 0)
/// recipe.training.steps = 1200
/// let trainer = try recipe.makeTrainer()
/// let summary = try trainer.train(output: URL(fileURLWithPath: "runs/R-2L-s0"))
/// print(summary.phaseChangeStep ?? -1)     // ≈ 800
/// ```
public struct InductionRecipe {
    /// The architecture (`HookedTransformerConfig.recipeR`).
    public var model: HookedTransformerConfig
    /// The training stream (`InductionData.recipeR`, `.recipeU`, or e.g. a `TextDataset`).
    public var data: any TokenStream
    /// Optimisation (`TrainingConfig.recipeR`: weights only, Adam 3e-3, batch 32, 2,500 steps).
    public var training: TrainingConfig
    /// Evaluation sets and the phase-change threshold.
    public var evaluation: InductionEvaluator.Options
    /// Seeds the model's initialisation.
    public var seed: UInt64

    public init(model: HookedTransformerConfig, data: any TokenStream, training: TrainingConfig = .recipeR,
                evaluation: InductionEvaluator.Options = .init(), seed: UInt64 = 0) {
        self.model = model
        self.data = data
        self.training = training
        self.evaluation = evaluation
        self.seed = seed
    }

    /// Recipe R: bigram "text" with in-context copies. Seed `s` initialises the model with `s`
    /// and the data stream with 10,000 + s.
    public static func recipeR(layers: Int = 2, smearKeys: Bool = false, seed: UInt64 = 0, contextLength: Int = 64) -> InductionRecipe {
        InductionRecipe(model: .recipeR(layers: layers, smearKeys: smearKeys, contextLength: contextLength),
                        data: InductionData.recipeR(seed: 10_000 + seed, sequenceLength: contextLength + 1), seed: seed)
    }

    /// Recipe U: Recipe R with uniform base tokens instead of the bigram chain.
    public static func recipeU(layers: Int = 2, smearKeys: Bool = false, seed: UInt64 = 0, contextLength: Int = 64) -> InductionRecipe {
        InductionRecipe(model: .recipeR(layers: layers, smearKeys: smearKeys, contextLength: contextLength),
                        data: InductionData.recipeU(seed: 10_000 + seed, sequenceLength: contextLength + 1), seed: seed)
    }

    /// A freshly initialised model (`seed`) and a trainer for it.
    public func makeTrainer() throws -> Trainer<InductionEvaluator> {
        makeTrainer(model: try HookedTransformer(config: model, seed: seed))
    }

    /// A trainer for `model` (e.g. loaded from a checkpoint) with this recipe's data,
    /// optimisation and evaluation.
    public func makeTrainer(model: HookedTransformer) -> Trainer<InductionEvaluator> {
        Trainer(model: model, data: data, config: training,
                evaluator: InductionEvaluator(model: model, data: data, options: evaluation))
    }
}
