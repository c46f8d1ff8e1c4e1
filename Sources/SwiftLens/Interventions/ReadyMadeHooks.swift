/// Ready-made hooks for the common interventions. They are ordinary ``Hook`` values, so they
/// compose with each other and with your own closures in one list:
///
/// ```swift
/// let logits = try model(tokens, hooks: [
///     .zeroAblateHead(Head(layer: 1, head: 2)),
///     .knockOutScores(layer: 1, head: 0, pairs: (1..<n).map { ($0, $0 - 1) }),
///     Hook(.residPost(1)) { x, _ in x * 2 },
/// ])
/// ```
extension Hook {
    /// Sets the selected part of an activation to zero: heads (`.z(l)`, `.all, .all, head`),
    /// positions (`.residPre(l)`, `.all, pos`), neurons (`.mlpPost(l)`, `.all, .all, neuron`) …
    public static func zeroAblate(_ name: HookName, _ index: TensorIndex...) -> Hook {
        setValue(name, index, to: Tensor(scalar: 0))
    }

    /// Replaces the selected part of an activation with `value` (broadcast to the selection):
    /// mean ablation, or any fixed replacement. Positions in `index` are absolute sequence
    /// positions: during generation each step replaces those among its new positions.
    public static func setValue(_ name: HookName, _ index: [TensorIndex], to value: Tensor) -> Hook {
        Hook(name) { x, context in
            guard let local = context.localIndex(index, in: x) else { return x }
            return x.replacing(local, with: value)
        }
    }

    /// Zero-ablates one head's output: its slice of `hook_z` (default) or `hook_result`,
    /// optionally at some positions only.
    public static func zeroAblateHead(_ head: Head, result: Bool = false, positions: TensorIndex = .all) -> Hook {
        setValue(result ? .result(head.layer) : .z(head.layer), [.all, positions, .at(head.head)], to: Tensor(scalar: 0))
    }

    /// Mean-ablates one head: its `hook_z` becomes `mean` ([d_head], e.g. the head's z averaged
    /// over a reference batch and positions) at every position (or `positions`).
    public static func meanAblateHead(_ head: Head, mean: Tensor, positions: TensorIndex = .all) -> Hook {
        setValue(.z(head.layer), [.all, positions, .at(head.head)], to: mean)
    }

    /// Mean-ablates one head with its mean `hook_z` over the batch and positions of `cache`.
    public static func meanAblateHead(_ head: Head, from cache: ActivationCache) throws -> Hook {
        let z = try cache.tensor(.z(head.layer))
        return meanAblateHead(head, mean: z[.all, .all, head.head].mean(axes: [0, 1]))
    }

    /// Attention knockout before the softmax: the scores of `head` (every head when nil) for the
    /// given (query, key) position pairs become −inf, so the pattern renormalises over the rest.
    /// Positions are absolute (during generation, pairs whose query is a step's new position).
    public static func knockOutScores(layer: Int, head: Int? = nil, pairs: [(query: Int, key: Int)]) -> Hook {
        Hook(.attnScores(layer)) { scores, context in
            let local = pairs.map { (query: $0.query - context.positionOffset, key: $0.key) }
            return scores.replacing(knockoutIndex: local, head: head, shape: scores.shape, with: -.infinity)
        }
    }

    /// Attention knockout after the softmax: the pattern entries for the given (query, key)
    /// pairs become 0; with `renormalize`, each affected row is divided by its new sum.
    public static func knockOutPattern(layer: Int, head: Int? = nil, pairs: [(query: Int, key: Int)], renormalize: Bool = false) -> Hook {
        Hook(.pattern(layer)) { pattern, context in
            let local = pairs.map { (query: $0.query - context.positionOffset, key: $0.key) }
            let knocked = pattern.replacing(knockoutIndex: local, head: head, shape: pattern.shape, with: 0)
            guard renormalize else { return knocked }
            let sums = knocked.sum(axis: -1, keepDims: true)
            return knocked / sums.maskedFill(sums .== 0, with: 1)
        }
    }

    /// Writes the activation of `cache` (e.g. a clean run) into this run at `name`, over the
    /// whole activation or only the selection `index` (activation patching). During generation
    /// each step takes the cache's rows at its own positions, where the cache has them, and
    /// leaves positions beyond the cache's sequence alone.
    public static func patch(_ name: HookName, from cache: ActivationCache, _ index: TensorIndex...) -> Hook {
        Hook(name) { x, context in
            var source = try cache.tensor(name)
            if context.step != nil || context.positionOffset > 0 {
                // This step's rows (and, for patterns, the keys so far) of the cached sequence.
                let axis = context.layout.positionAxis, (offset, count) = (context.positionOffset, x.shape[axis])
                guard source.rank == x.rank, source.shape[axis] >= offset + count else { return x }
                var rows = [TensorIndex](repeating: .all, count: source.rank)
                rows[axis] = .stride(offset, offset + count)
                if case .pattern = context.layout { rows[3] = .stride(0, x.shape[3]) }
                source = source.selecting(rows)
            }
            guard source.shape == x.shape else {
                throw HookError.shapeMismatch(hook: name, expected: x.shape, found: source.shape)
            }
            guard !index.isEmpty else { return source }
            guard let local = context.localIndex(index, in: x) else { return x }
            return x.replacing(local, with: source.selecting(local))
        }
    }

    /// Adds `coefficient · vector` (broadcast, e.g. a [d_model] direction) to the activation,
    /// at every position or at `positions` (activation steering). During generation it steers
    /// every new token (or the absolute `positions` among them).
    public static func addVector(_ name: HookName, _ vector: Tensor, coefficient: Float = 1, positions: TensorIndex = .all) -> Hook {
        Hook(name) { x, context in
            var index = [TensorIndex](repeating: .all, count: x.rank)
            let axis = context.layout.positionAxis
            if x.rank > axis {
                guard let local = context.positionsInThisPass(positions, count: x.shape[axis]) else { return x }
                index[axis] = local
            }
            return x.replacing(index, with: x.selecting(index) + coefficient * vector)
        }
    }

    /// Forces a head's attention pattern to `pattern` ([query, key], at least as large as the
    /// sequence; its top-left corner is used, broadcast over the batch) — Singh et al.'s
    /// "artificial optogenetics". Works during training: the head's pattern then carries no
    /// gradient.
    public static func clampPattern(_ clamped: Head, to pattern: Tensor) -> Hook {
        Hook(.pattern(clamped.layer)) { current, context in
            let (offset, n) = (context.positionOffset, current.shape[2])
            guard pattern.rank == 2, pattern.shape[0] >= offset + n, pattern.shape[1] >= current.shape[3] else {
                throw HookError.shapeMismatch(hook: .pattern(clamped.layer), expected: [offset + n, current.shape[3]], found: pattern.shape)
            }
            return current.replacing([.all, .at(clamped.head)], with: pattern[offset..<(offset + n), ..<current.shape[3]])
        }
    }

    /// Records the activations of the points `names` selects into `recorder`.
    public static func cache(into recorder: CacheRecorder, names: NameFilter = .all) -> Hook {
        Hook.observe(where: names.predicate) { x, context in recorder.cache.store(x, for: context.name) }
    }
}

/// Collects activations from a ``Hook/cache(into:names:)`` hook; read `cache` afterwards.
public final class CacheRecorder {
    public var cache: ActivationCache
    public init(layerCount: Int = 0) { cache = ActivationCache(layerCount: layerCount) }
}

extension Tensor {
    /// [batch, head, query, key] with `value` at the listed (query, key) pairs of `head` (or of
    /// every head).
    fileprivate func replacing(knockoutIndex pairs: [(query: Int, key: Int)], head: Int?, shape: [Int], with value: Float) -> Tensor {
        var mask = Tensor.zeros([shape[2], shape[3]])
        mask.withUnsafeMutableBufferPointer { m in
            for (q, k) in pairs where q >= 0 && q < shape[2] && k >= 0 && k < shape[3] { m[q * shape[3] + k] = 1 }
        }
        guard let head else { return maskedFill(mask, with: value) }
        return replacing([.all, .at(head)], with: self[.all, head].maskedFill(mask, with: value))
    }
}

extension Tensor {
    /// The previous-token attention pattern [n, n]: row i attends to i − 1 (row 0 to itself).
    public static func previousTokenPattern(_ n: Int) -> Tensor {
        var p = Tensor.zeros([n, n])
        p.withUnsafeMutableBufferPointer { m in
            for i in 0..<n { m[i * n + Swift.max(i - 1, 0)] = 1 }
        }
        return p
    }
}

extension HookContext {
    /// `index` over an activation `x` with its position axis read as absolute positions (see
    /// ``positionsInThisPass(_:count:)``); nil when it selects none of this pass's positions.
    func localIndex(_ index: [TensorIndex], in x: Tensor) -> [TensorIndex]? {
        let axis = layout.positionAxis
        guard step != nil || positionOffset > 0, index.count > axis, axis < x.rank else { return index }
        guard let local = positionsInThisPass(index[axis], count: x.shape[axis]) else { return nil }
        var shifted = index
        shifted[axis] = local
        return shifted
    }
}
