// Tutorial 01 — the model, its hook points and the activation cache.
//
//     swift run -c release Tutorial01 [--out DIR]
//
// We open the 2-layer attention-only model that SwiftLens trained in Tutorial 02 (committed in
// Tests/Fixtures/trained/recipeR-2L-s0), list the activations it exposes under TransformerLens's
// names, cache them on a repeated random sequence, check that the residual stream is exactly the
// sum of what each component wrote, and attach our first hook.

import Foundation
import TutorialSupport

Tutorial.run(number: 1, title: "The model, its hook points and the activation cache") { t in
    t.step("The model")
    let model = try t.trainedModel()
    let c = model.config
    t.say("A HookedTransformer is built from a config in TransformerLens's field names. This one is attention-only: "
          + "token and position embeddings, \(c.nLayers) blocks of \(c.nHeads) heads, a final LayerNorm and the unembedding.")
    print("  n_layers \(c.nLayers)  n_heads \(c.nHeads)  d_model \(c.dModel)  d_head \(c.dHead)  d_vocab \(c.dVocab)  n_ctx \(c.nCtx)"
          + "  attn_only \(c.attnOnly)  parameters \(model.parameterCount)")
    t.check(c.nLayers == 2 && c.attnOnly, "a 2-layer attention-only model")

    t.step("Hook points")
    t.say("Every activation has a hook point, named as in TransformerLens. They fire in this order:")
    let tokens = RepeatedRandomTokens.batch(count: 1, length: 32, vocabularySize: c.dVocab, seed: 1)
    let (logits, cache) = try model.runWithCache(tokens)
    for name in model.hookPoints {
        let shape = cache[name].map { "\($0.shape)" } ?? "(not cached by default)"
        print("  " + name.rawValue.padding(toLength: 34, withPad: " ", startingAt: 0) + shape)
    }
    t.check(cache[.pattern(1)]?.shape == [1, c.nHeads, 64, 64], "hook_pattern is [batch, head, query_pos, key_pos]")
    t.check(cache[.z(0)]?.shape == [1, 64, c.nHeads, c.dHead], "hook_z is [batch, pos, head, d_head]")

    t.step("The residual stream is the sum of what the components wrote")
    t.say("In an attention-only model the last residual is embed + pos_embed + each layer's attention output. "
          + "The cache lets us check that exactly:")
    var sum = try cache.tensor(.embed) + cache.tensor(.posEmbed)
    for l in 0..<c.nLayers { sum = sum + (try cache.tensor(.attnOut(l))) }
    let gap = sum.maxAbsoluteDifference(try cache.tensor(.residPost(c.nLayers - 1)))
    print(String(format: "  max |embed + pos_embed + Σ attn_out − resid_post| = %.2e", gap))
    t.check(gap < 1e-4, "the residual stream decomposes into its components")
    let decomposition = try cache.decomposeResid()
    print("  cache.decomposeResid() labels: \(decomposition.labels.joined(separator: ", "))")

    t.step("Predictions")
    let loss = try HookedTransformer.perTokenLoss(logits: logits, tokens: tokens)
    let firstHalf = loss[0, ..<31].mean().scalar, secondHalf = loss[0, 32...].mean().scalar
    print(String(format: "  mean next-token loss: first copy %.2f nats, repeated copy %.2f nats (chance log %d = %.2f)",
                 firstHalf, secondHalf, c.dVocab, log(Float(c.dVocab))))
    t.check(secondHalf < firstHalf - 2, "the model predicts the repeated copy far better than the first: it copies in context")

    t.step("A first hook")
    t.say("A hook is a closure at a hook point. Here one zero-ablates head 0 of layer 1 for a single call, "
          + "and an observer records what layer 1's heads attend to; nothing stays attached afterwards.")
    var seen: Tensor?
    let ablated = try model.perTokenLoss(tokens, hooks: [
        .zeroAblateHead(Head(layer: 1, head: 0)),
        .observe(.pattern(1)) { pattern, _ in seen = pattern },
    ])
    print(String(format: "  repeated-copy loss with L1H0 ablated: %.2f (was %.2f)", ablated[0, 32...].mean().scalar, secondHalf))
    // The loss reads tokens 0 ..< 63 (the last token is only a target), so the pattern is 63 × 63.
    t.check(seen?.shape == [1, c.nHeads, 63, 63], "the observer saw layer 1's pattern")
    t.check(model.attachedHooks.isEmpty, "no hook stays attached after the call")

    let pattern = try cache.tensor(.pattern(0))[0]
    let labels = tokens.scalars.map { "\($0)" }
    try t.figure(AttentionGrid(title: "Layer 0 attention on a repeated random sequence",
                               patterns: (0..<c.nHeads).map { pattern[$0].rowScalars }, tokens: labels,
                               headLabels: (0..<c.nHeads).map { "L0H\($0)" }),
                 name: "layer0-patterns", caption: "Rows are queries, columns keys. One head attends to the previous token.")
}
