/// Function vectors (Todd et al. 2023, "Function Vectors in Large Language Models"): a few
/// attention heads carry a compact representation of the task an in-context prompt
/// demonstrates, and the sum of their mean outputs — the function vector — added to the
/// residual stream of a zero-shot prompt makes the model do the task.
///
/// The recipe, step by step (each a function here):
/// 1. ``accuracy(_:_:hooks:)``: first-token accuracy on few-shot and zero-shot prompts, to keep
///    tasks the model can do from its context at all.
/// 2. ``meanHeadOutputs(_:_:)``: each head's mean `hook_z` at the last position of clean
///    few-shot prompts, ā(l, h) [n_layers, n_heads, d_head].
/// 3. ``averageIndirectEffect(_:corrupted:meanOutputs:heads:)``: on prompts with shuffled
///    labels, the mean over prompts of P(answer) with head (l, h)'s last-position `hook_z`
///    replaced by ā(l, h), minus P(answer) without — the head's average indirect effect (AIE).
/// 4. ``vector(_:meanOutputs:heads:)``: the function vector Σ_{(l,h) ∈ top heads} ā(l, h)·W_O(l, h)
///    [d_model] (the heads' `hook_result` contributions; b_O is not a head's).
/// 5. Add it to one layer's residual stream at the last position only
///    (``addedAtLastPosition(_:layer:coefficient:)``) and measure ``accuracy(_:_:hooks:)`` on
///    zero-shot prompts.
///
/// The indirect effects read each prompt's keys and values once: a head patched at the last
/// position changes nothing at earlier positions, so every head's run continues a shared
/// ``KeyValueCache`` of the prompts minus their last token by that one token (a copy per head).
/// On SmolLM2-135M that is ~30× less work than a full forward per head.
public enum FunctionVector {
    /// Why a function-vector measurement cannot be made.
    public enum FunctionVectorError: Error, CustomStringConvertible, Equatable {
        case meanOutputsShape(expected: [Int], found: [Int])
        case headOutOfRange(Head, layers: Int, heads: Int)
        case promptTooShort(length: Int)

        public var description: String {
            switch self {
            case let .meanOutputsShape(expected, found): "mean head outputs must be [n_layers, n_heads, d_head] = \(expected), found \(found)"
            case let .headOutOfRange(head, layers, heads): "head \(head) is outside the model's \(layers) layers × \(heads) heads"
            case let .promptTooShort(length): "the prompts are \(length) token(s) long; patching the last position needs at least 2"
            }
        }
    }

    /// P(answer) at the last position of each prompt, [batch].
    public static func answerProbabilities(_ model: HookedTransformer, _ prompts: ICLPromptSet, hooks: [Hook] = []) throws -> Tensor {
        let logits = try model.forward(prompts.tokens, hooks: hooks)
        return answerProbabilities(lastLogits: logits[.all, logits.shape[1] - 1], answers: prompts.answers)
    }

    /// First-token accuracy (the answer is the top token) and the mean probability of the
    /// answer, at the last position of each prompt.
    public static func accuracy(_ model: HookedTransformer, _ prompts: ICLPromptSet, hooks: [Hook] = []) throws -> (accuracy: Float, probability: Float) {
        let logits = try model.forward(prompts.tokens, hooks: hooks)
        let last = logits[.all, logits.shape[1] - 1]
        let best = last.argmax(axis: -1).scalars
        let correct = zip(best, prompts.answers).filter { $0 == $1 }.count
        let probability = answerProbabilities(lastLogits: last, answers: prompts.answers).mean().scalar
        return (Float(correct) / Float(prompts.count), probability)
    }

    /// Each head's `hook_z` at the last position averaged over the prompts: [n_layers, n_heads, d_head].
    public static func meanHeadOutputs(_ model: HookedTransformer, _ prompts: ICLPromptSet) throws -> Tensor {
        let layers = model.config.nLayers
        let (_, cache) = try model.runWithCache(prompts.tokens, names: .only((0..<layers).map { .z($0) }))
        let length = prompts.tokens.tokens.shape[1]
        return Tensor.stack(try (0..<layers).map { l in try cache.tensor(.z(l))[.all, length - 1].mean(axis: 0) })
    }

    /// The average indirect effect of each head, [n_layers, n_heads]: over the `corrupted`
    /// prompts (shuffled labels), the mean of P(answer | head's last-position `hook_z` set to
    /// `meanOutputs[l, h]`) − P(answer | corrupted). Heads not in `heads` (nil: all) get 0.
    /// - Parameters:
    ///   - meanOutputs: [n_layers, n_heads, d_head], from ``meanHeadOutputs(_:_:)`` on clean prompts.
    ///   - progress: called after each head with it and its effect.
    public static func averageIndirectEffect(_ model: HookedTransformer, corrupted: ICLPromptSet, meanOutputs: Tensor,
                                             heads: [Head]? = nil, progress: ((Head, Float) -> Void)? = nil) throws -> Tensor {
        let c = model.config
        let (layers, headCount) = (c.nLayers, c.nHeads)
        guard meanOutputs.shape == [layers, headCount, c.dHead] else {
            throw FunctionVectorError.meanOutputsShape(expected: [layers, headCount, c.dHead], found: meanOutputs.shape)
        }
        let chosen = heads ?? Head.all(layers: layers, heads: headCount)
        if let bad = chosen.first(where: { !(0..<layers).contains($0.layer) || !(0..<headCount).contains($0.head) }) {
            throw FunctionVectorError.headOutOfRange(bad, layers: layers, heads: headCount)
        }
        let continuation = try SharedPrefix(model, corrupted)
        let baseline = try continuation.answerProbabilities()
        var effects = [Float](repeating: 0, count: layers * headCount)
        for head in chosen {
            let mean = meanOutputs[head.layer, head.head]
            let patch = Hook(.z(head.layer)) { z, _ in z.replacing([.all, .all, .at(head.head)], with: mean) }
            let effect = (try continuation.answerProbabilities(hooks: [patch]) - baseline).mean().scalar
            effects[head.layer * headCount + head.head] = effect
            progress?(head, effect)
        }
        return Tensor(shape: [layers, headCount], values: effects)
    }

    /// The function vector Σ_{(l,h) ∈ heads} meanOutputs[l, h]·W_O(l, h), [d_model].
    public static func vector(_ model: HookedTransformer, meanOutputs: Tensor, heads: [Head]) throws -> Tensor {
        let c = model.config
        guard meanOutputs.shape == [c.nLayers, c.nHeads, c.dHead] else {
            throw FunctionVectorError.meanOutputsShape(expected: [c.nLayers, c.nHeads, c.dHead], found: meanOutputs.shape)
        }
        var sum = Tensor.zeros([c.dModel])
        for head in heads {
            guard (0..<c.nLayers).contains(head.layer), (0..<c.nHeads).contains(head.head) else {
                throw FunctionVectorError.headOutOfRange(head, layers: c.nLayers, heads: c.nHeads)
            }
            let wO = model.blocks[head.layer].attn.wO[head.head]   // [d_head, d_model]
            sum = sum + meanOutputs[head.layer, head.head].reshaped([1, -1]).matmul(wO).reshaped([-1])
        }
        return sum
    }

    /// A hook adding `coefficient · vector` ([d_model]) to the residual stream entering block
    /// `layer` (`hook_resid_pre`), at the last position of the pass only — where a prompt's
    /// answer is predicted (left-padded prompts all end there).
    public static func addedAtLastPosition(_ vector: Tensor, layer: Int, coefficient: Float = 1) -> Hook {
        Hook(.residPre(layer)) { x, _ in
            let last = x.shape[1] - 1
            return x.replacing([.all, .at(last)], with: x[.all, last] + coefficient * vector)
        }
    }

    /// The `count` heads with the largest values of `scores` [n_layers, n_heads], largest first.
    public static func topHeads(_ scores: Tensor, count: Int) -> [Head] {
        let heads = scores.shape.last ?? 1
        let values = scores.scalars
        return values.indices.sorted { values[$0] > values[$1] }.prefix(max(count, 0)).map { Head(layer: $0 / heads, head: $0 % heads) }
    }

    static func answerProbabilities(lastLogits: Tensor, answers: [Int]) -> Tensor {
        let probabilities = lastLogits.softmax(axis: -1)
        return Tensor(shape: [answers.count], values: answers.enumerated().map { probabilities[$0.offset, $0.element].scalar })
    }

    /// Prompts whose tokens but the last are read once into a key-value cache; each call runs the
    /// last token on a copy of it.
    private struct SharedPrefix {
        let model: HookedTransformer
        let prompts: ICLPromptSet
        let cache: KeyValueCache
        let last: IntTensor

        init(_ model: HookedTransformer, _ prompts: ICLPromptSet) throws {
            let tokens = prompts.tokens.tokens, mask = prompts.tokens.attentionMask
            let (batch, length) = (tokens.shape[0], tokens.shape[1])
            guard length >= 2 else { throw FunctionVectorError.promptTooShort(length: length) }
            for b in 0..<batch where mask[b, length - 1] == 0 { throw ICLPromptSet.PromptSetError.notLeftPadded(row: b) }
            cache = KeyValueCache(for: model, batch: batch)
            _ = try model.forward(tokens[.all, ..<(length - 1)], cache: cache, mask: mask[.all, ..<(length - 1)])
            last = tokens[.all, (length - 1)...]
            self.model = model
            self.prompts = prompts
        }

        func answerProbabilities(hooks: [Hook] = []) throws -> Tensor {
            let logits = try model.forward(last, cache: cache.copy(), hooks: hooks)
            return FunctionVector.answerProbabilities(lastLogits: logits[.all, 0], answers: prompts.answers)
        }
    }
}
