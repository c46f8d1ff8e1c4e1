extension HookedTransformerConfig {
    /// Every TransformerLens parameter this config implies, with its shape, in module order:
    /// what a TransformerLens-layout checkpoint must hold, so a loader can check a file's header
    /// before reading any weight. Read from the components themselves (a construction that
    /// records what each one asks for and allocates nothing), so it cannot disagree with them.
    var parameterShapes: [(name: String, shape: [Int])] {
        get throws { try HookedTransformer.parameterDeclarations(self).map { ($0.name, $0.shape) } }
    }
}
