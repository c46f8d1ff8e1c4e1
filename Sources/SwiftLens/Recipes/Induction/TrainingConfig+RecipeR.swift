extension TrainingConfig {
    /// Recipe R's optimisation (README.md here): Adam (AdamW without weight decay) at a constant
    /// 3e-3, no clipping, batch 32, 2,500 steps, an evaluation every 25. Weights only: the recipe's
    /// model has no biases, so TransformerLens's zero biases stay zero.
    public static var recipeR: TrainingConfig {
        var config = TrainingConfig()
        config.steps = 2500
        config.batchSize = 32
        config.learningRate = 3e-3
        config.weightDecay = 0
        config.evaluationInterval = 25
        config.trainable = .weightsOnly
        return config
    }
}
