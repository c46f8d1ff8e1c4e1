/// What one forward pass computes, decided before it starts and passed down to every
/// component with the hooks (in a ``ForwardPass``): which positions' logits are wanted, where
/// the input sits in the sequence, and which activations are taken rather than computed. Next:
/// a key-value cache for generation.
struct ForwardPlan {
    /// The positions whose logits are wanted (nil: all). Only those are normalised and
    /// unembedded; the last block computes its queries, attention and MLP at those positions
    /// only when nothing hooked would see the shorter tensors (see
    /// ``TransformerBlock/canRestrictQueries(_:)``).
    var logitRows: Range<Int>?
    /// The absolute position of the input's first position (learned positions and rotary
    /// angles start there): 0 for a whole sequence.
    var positionOffset = 0
    /// Padding of a batch of sequences of different lengths: 1 for a real token, 0 for padding,
    /// [batch, pos] (nil: every token is real). Attention from a real token to a padded one is
    /// masked, and each row's positions count from its first real token (``rowPositions``), so
    /// every row computes what it would alone.
    var attentionMask: IntTensor?
    /// The absolute position of every token, [batch, pos], when rows start at different places
    /// (left padding): each row counted from its first real token, padding at 0.
    var rowPositions: IntTensor?
    /// Activations this run takes instead of computing them — a sweep resuming from its base
    /// run. The point's computation is skipped; its hooks still run.
    var resumed: [HookName: Tensor] = [:]
    /// Keys and values of earlier positions (generation): attention reads them beside the new
    /// positions' and stages the new ones, which join the cache when the pass succeeds.
    var keyValueCache: KeyValueCache?
    /// Each row's next position after this pass (left padding with a cache), committed with it.
    var pendingRowPositions: [Int]?
    /// The generation step this pass is (0: the prompt), shown to hooks; nil outside generation.
    var generationStep: Int?
}
