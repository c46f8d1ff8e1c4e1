// Writing your own hooks and composing them with ready-made ones.
//
// A hook is a value: a hook point (or a predicate over hook points) and a closure that gets the
// activation and returns a replacement, or nil to leave it alone. This example writes two:
//   - an observer that records, for every head, how strongly each position attends to the
//     position before it (a previous-token detector running inside the forward pass), and
//   - an intervention that scales one head's output (its slice of `hook_z`) by a factor;
// then composes them with `Hook.zeroAblateHead`, `Hook.knockOutScores` and `Hook.cache(into:)`
// in one run, shows that hooks on one point run in the order given, and shows the three ways to
// attach hooks: per call (`hooks:`), scoped (`withHooks`, detached also when a hook throws) and
// attached (`addHook`, permanent or not, `removeHook`, `resetHooks`).
//
//     swift run -c release CustomHook [MODEL_DIR] [--previous L.H] [--induction L.H] [--batch N] [--length N]
//
// MODEL_DIR defaults to the committed trained model Tests/Fixtures/trained/recipeR-2L-s0/final,
// whose previous-token head is L0H3 (--previous 0.3) and whose induction heads are L1H0–3
// (--induction 1.0).
import Foundation
import ExampleSupport

// MARK: - Custom hook 1: an observer

/// What the previous-token observer records: per layer, each head's mean and largest attention
/// from a position to the one just before it (over the batch and positions 1…).
final class PreviousTokenAttention {
    var mean: [Int: [Float]] = [:]
    var max: [Int: [Float]] = [:]
}

/// Observes every layer's attention pattern [batch, head, query, key]. `Hook.observe` promises
/// not to replace the activation, so the model need not keep anything for it.
func recordPreviousTokenAttention(into record: PreviousTokenAttention) -> Hook {
    Hook.observe(where: { $0.activation == "pattern" }) { pattern, context in
        guard let layer = context.layer else { return }
        let (batch, heads, queries, keys) = (pattern.shape[0], pattern.shape[1], pattern.shape[2], pattern.shape[3])
        let values = pattern.scalars
        var means = [Float](repeating: 0, count: heads), maxima = [Float](repeating: 0, count: heads)
        for head in 0..<heads {
            for b in 0..<batch {
                for query in 1..<queries {
                    let attention = values[((b * heads + head) * queries + query) * keys + query - 1]
                    means[head] += attention
                    maxima[head] = Swift.max(maxima[head], attention)
                }
            }
            means[head] /= Float(batch * (queries - 1))
        }
        record.mean[layer] = means
        record.max[layer] = maxima
    }
}

// MARK: - Custom hook 2: an intervention

/// Multiplies one head's output (its slice of `hook_z`, [batch, pos, head, d_head]) by `factor`:
/// 0 ablates it, 1 leaves it, 2 doubles it. The returned tensor replaces the activation.
func scaleHead(_ head: Head, by factor: Float) -> Hook {
    Hook(.z(head.layer)) { z, _ in
        z.replacing([.all, .all, .at(head.head)], with: z[.all, .all, head.head] * factor)
    }
}

/// A hook that fails, as a buggy hook might.
struct Tripwire: Error, CustomStringConvertible {
    var description: String { "the tripwire hook threw" }
}

let options = OptionTable(command: "CustomHook", arguments: [
    .optional("MODEL_DIR", help: "a TransformerLens or Hugging Face model directory (default: the committed trained model)"),
], options: [
    .head("--previous", default: Head(layer: 0, head: 3), help: "the previous-token head to observe, scale and knock out"),
    .head("--induction", default: Head(layer: 1, head: 0), help: "an induction head"),
    .integer("--batch", minimum: 1, default: 8, help: "sequences of repeated random tokens"),
    .integer("--length", minimum: 4, default: 32, help: "tokens in each half of a sequence"),
], summary: "writes an observer hook and an intervention hook, composes them with ready-made ones, and attaches hooks three ways.")

func run(_ args: ParsedArguments) throws {

    let directory = args.modelDirectory(default: "Tests/Fixtures/trained/recipeR-2L-s0/final")
    let model = try HookedTransformer.load(directory: directory)
    let config = model.config
    let previous = try args.head("--previous", layers: config.nLayers, heads: config.nHeads)
    let induction = try args.head("--induction", layers: config.nLayers, heads: config.nHeads)
    let batch = args.integer("--batch"), length = args.integer("--length")
    guard length <= config.dVocab, 2 * length <= config.nCtx else {
        throw UsageError(description: "--length \(length): need length ≤ d_vocab (\(config.dVocab)) and 2 × length ≤ n_ctx (\(config.nCtx))")
    }
    let tokens = RepeatedRandomTokens.batch(count: batch, length: length, vocabularySize: config.dVocab, seed: 0)
    let p = previous.description, ind = induction.description
    func f(_ x: Float) -> String { String(format: "%.4f", x) }

    print("model: \(config.modelName) (\(config.nLayers) layers × \(config.nHeads) heads) from \(directory.path)")
    print("tokens: \(batch) × \(2 * length) repeated random tokens; previous-token head \(p), induction head \(ind)")
    print()

    // 1. The observer, passed to one call.
    let clean = PreviousTokenAttention()
    let cleanLoss = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: [recordPreviousTokenAttention(into: clean)])
    print("clean induction loss: \(f(cleanLoss))")
    print("attention to the previous token, recorded by the custom observer (mean / max over positions):")
    for layer in 0..<config.nLayers {
        let cells = (0..<config.nHeads).map { "H\($0) \(String(format: "%.2f / %.2f", clean.mean[layer]![$0], clean.max[layer]![$0]))" }
        print("  L\(layer)  " + cells.joined(separator: "   "))
    }
    print("  (the max over positions is near 1 for every layer-0 head; the mean is what singles out \(p))")
    print()

    // 2. The intervention: turn the previous-token head down and up.
    print("scaling \(p)'s output (custom hook), induction loss:")
    for factor: Float in [0, 0.25, 0.5, 1, 2] {
        let loss = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: [scaleHead(previous, by: factor)])
        print("  \(p) × \(String(format: "%.2f", factor)): \(f(loss))")
    }
    print()

    // 3. Custom and ready-made hooks in one list, one run: knock out the previous-token head's
    //    attention to the previous position (−inf before the softmax), zero-ablate the induction
    //    head, watch with the observer, and cache the layer-0 pattern.
    let composed = PreviousTokenAttention()
    let recorder = CacheRecorder(layerCount: config.nLayers)
    let sequence = 2 * length
    let loss = try InductionLoss.measure(model, repeatedTokens: tokens, hooks: [
        .knockOutScores(layer: previous.layer, head: previous.head, pairs: (1..<sequence).map { (query: $0, key: $0 - 1) }),
        .zeroAblateHead(induction),
        recordPreviousTokenAttention(into: composed),
        .cache(into: recorder, names: [.pattern(previous.layer)]),
    ])
    let cachedPattern = try recorder.cache.tensor(.pattern(previous.layer))
    print("one run with knockOutScores(\(p), previous-token pairs) + zeroAblateHead(\(ind)) + the observer + a cache:")
    print("  induction loss: \(f(loss))   (clean \(f(cleanLoss)))")
    print("  \(p) attention to the previous token: max \(f(composed.max[previous.layer]![previous.head]))   (clean \(f(clean.max[previous.layer]![previous.head])))")
    print("  cached \(HookName.pattern(previous.layer)) \(cachedPattern.shape) (the loss runs all but the last token), "
          + "\(p)'s pattern[0, 5, 4] = \(f(cachedPattern[0, previous.head, 5, 4].scalar))")
    print()

    // 4. Hooks on one point run in the order given, each seeing the previous one's output.
    var seen: Float = .nan
    let observeNorm = Hook.observe(.z(induction.layer)) { z, _ in seen = z[.all, .all, induction.head].norm().scalar }
    let ablate = Hook.zeroAblateHead(induction)
    _ = try model(tokens, hooks: [ablate, observeNorm])
    let seenAfter = seen
    _ = try model(tokens, hooks: [observeNorm, ablate])
    let seenBefore = seen
    print("order on \(HookName.z(induction.layer)): |z of \(ind)| seen by an observer")
    print("  [zeroAblateHead, observer]: \(f(seenAfter))")
    print("  [observer, zeroAblateHead]: \(f(seenBefore))")
    print()

    // 5. Where hooks live. Per call (`hooks:` above) attaches nothing to the model.
    print("attached after the per-call runs: \(model.attachedHooks.count)")
    // Scoped: attached for the closure, detached afterwards. `context.storage` persists per hook
    // point while the model lives (TransformerLens's hook.ctx): here a counter of calls.
    let counter = Hook.observe(.pattern(0)) { _, context in
        context.storage["calls"] = ((context.storage["calls"] as? Int) ?? 0) + 1
    }
    let inside = try model.withHooks([counter, scaleHead(previous, by: 0)]) {
        (attached: model.attachedHooks.count, loss: try InductionLoss.measure(model, repeatedTokens: tokens),
         again: try InductionLoss.measure(model, repeatedTokens: tokens))
    }
    print("scoped withHooks: attached inside \(inside.attached), after \(model.attachedHooks.count); "
          + "loss inside \(f(inside.loss)) (× 0 on \(p)); calls counted in context.storage: \(model.hookContext(.pattern(0))?["calls"] as? Int ?? 0)")
    // A hook that throws: the error reaches the caller and the scope still detaches everything.
    let tripwire = Hook(.residPost(0)) { _, _ in throw Tripwire() }
    do {
        try model.withHooks([counter, tripwire]) { _ = try model(tokens) }
    } catch {
        print("a hook threw (\(error)); attached afterwards: \(model.attachedHooks.count)")
    }
    // Attached: `addHook` keeps a hook until removed; `resetHooks()` removes non-permanent ones,
    // `resetHooks(includingPermanent: true)` all of them.
    let handle = try model.addHook(scaleHead(previous, by: 0))
    try model.addHook(recordPreviousTokenAttention(into: PreviousTokenAttention()), permanent: true)
    let attachedLoss = try InductionLoss.measure(model, repeatedTokens: tokens)
    print("addHook: attached \(model.attachedHooks.count); loss with them \(f(attachedLoss))")
    model.removeHook(handle)
    print("  after removeHook: \(model.attachedHooks.count); loss \(f(try InductionLoss.measure(model, repeatedTokens: tokens)))")
    model.resetHooks()
    print("  after resetHooks(): \(model.attachedHooks.count) (the permanent one stays)")
    model.resetHooks(includingPermanent: true)
    print("  after resetHooks(includingPermanent: true): \(model.attachedHooks.count)")
}

runExample(options, run)
