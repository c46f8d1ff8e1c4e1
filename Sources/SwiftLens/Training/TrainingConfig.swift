/// How `Trainer` optimises: steps, batch, AdamW and its schedule, gradient clipping, how often
/// to evaluate, when to checkpoint, and which parameters train.
///
/// The defaults are PyTorch's `torch.optim.AdamW` defaults (lr 1e-3, β (0.9, 0.999), ε 1e-8,
/// weight decay 0.01) with every parameter trained — a model trained with `TrainingConfig()`
/// updates its biases and norm parameters too. Recipes bring their own values (e.g.
/// `TrainingConfig.recipeR`, in Recipes/Induction).
public struct TrainingConfig: Sendable {
    /// Optimisation steps (one batch each).
    public var steps = 1000
    /// Sequences per batch.
    public var batchSize = 32
    /// AdamW's base learning rate (the schedule scales it per step).
    public var learningRate: Float = 1e-3
    public var schedule: LearningRateSchedule = .constant
    /// Decoupled weight decay (AdamW), applied to every trainable parameter as PyTorch does.
    public var weightDecay: Float = 0.01
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Clip the global gradient norm to this (nil: no clipping).
    public var maxGradientNorm: Float?
    /// Evaluate at step 0, every this many steps, and after the last step.
    public var evaluationInterval = 100
    /// Save a checkpoint after these steps (the final model is always saved when there is an
    /// output directory).
    public var checkpointSteps: Set<Int> = []
    /// Parameters that train; the others keep their values. Default: all of them.
    public var trainable: TrainableParameters = .all

    public init() {}
}
