/// Records the activations of every generation step and assembles them into one cache over
/// the whole sequence: position-major activations are joined along their position axis;
/// attention scores and patterns [batch, head, new, keys so far] are placed at their query
/// rows of the full [batch, head, pos, pos] square, whose masked part holds what a whole run
/// gives there (−inf scores, zero pattern).
final class GenerationRecorder {
    private let names: Set<HookName>
    private var steps: [HookName: [(layout: ActivationLayout, offset: Int, value: Tensor)]] = [:]
    private var order: [HookName] = []

    init(names: Set<HookName>, layers: Int) { self.names = names }

    /// The observing hook.
    var hook: Hook {
        Hook.observe(where: { [names] in names.contains($0) }) { [self] value, context in
            if steps[context.name] == nil { order.append(context.name) }
            steps[context.name, default: []].append((context.layout, context.positionOffset, value.detached))
        }
    }

    /// The whole-sequence cache.
    func assembled(layers: Int) -> ActivationCache {
        var cache = ActivationCache(layerCount: layers)
        for name in order {
            guard let parts = steps[name], let first = parts.first else { continue }
            if case .pattern = first.layout {
                cache.store(Self.square(parts.map { ($0.offset, $0.value) }, scores: name.activation == HookName.attnScores(0).activation),
                            for: name)
            } else {
                let axis = first.layout.positionAxis
                cache.store(parts.count == 1 ? first.value : Tensor.concatenate(parts.map(\.value), axis: axis), for: name)
            }
        }
        return cache
    }

    /// [batch, head, total, total] from steps' [batch, head, new, offset + new] rows.
    private static func square(_ parts: [(offset: Int, value: Tensor)], scores: Bool) -> Tensor {
        let last = parts[parts.count - 1]
        let total = last.offset + last.value.shape[2]
        let (batch, heads) = (last.value.shape[0], last.value.shape[1])
        var out = Tensor.full([batch, heads, total, total], scores ? -.infinity : 0)
        out.withUnsafeMutableBufferPointer { o in
            for (offset, value) in parts {
                let (rows, keys) = (value.shape[2], value.shape[3])
                value.withUnsafeBufferPointer { v in
                    for bh in 0..<(batch * heads) {
                        for r in 0..<rows {
                            let source = (bh * rows + r) * keys
                            let target = (bh * total + offset + r) * total
                            for k in 0..<keys { o[target + k] = v[source + k] }
                        }
                    }
                }
            }
        }
        return out
    }
}
