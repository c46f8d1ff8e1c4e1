// Zero-ablating an attention head and measuring what it did.
//
// On repeated random tokens [r, r] a model with induction heads predicts the second copy almost
// perfectly; the "induction loss" is the mean next-token loss over that second copy. This example
// zero-ablates one head (its slice of `hook_z`, with the ready-made `Hook.zeroAblateHead`), prints
// the induction loss with and without it — for the head you name and for a contrast head — and
// then runs the same ablation for every head at once with `Sweep.headAblation`.
//
//     swift run -c release ZeroAblateHead [MODEL_DIR] [--head L.H] [--contrast L.H]
//                                         [--batch N] [--length N] [--seed S]
//
// MODEL_DIR defaults to the model SwiftLens trained and committed,
// Tests/Fixtures/trained/recipeR-2L-s0/final (previous-token head L0H3, induction heads L1H0–3);
// any TransformerLens or Hugging Face directory works. --head defaults to 1.0 (an induction head),
// --contrast to 0.0 (neither an induction nor a previous-token head).
import Foundation
import ExampleSupport

let options = OptionTable(command: "ZeroAblateHead", arguments: [
    .optional("MODEL_DIR", help: "a TransformerLens or Hugging Face model directory (default: the committed trained model)"),
], options: [
    .head("--head", default: Head(layer: 1, head: 0), help: "the head to zero-ablate (by default an induction head)"),
    .head("--contrast", default: Head(layer: 0, head: 0), help: "a head to compare it with (by default neither kind)"),
    .integer("--batch", minimum: 1, default: 8, help: "sequences of repeated random tokens"),
    .integer("--length", minimum: 4, default: 32, help: "tokens in each half of a sequence"),
    .integer("--seed", "S", default: 0, help: "the seed of the tokens"),
], summary: "zero-ablates one head and a contrast head, then every head as one sweep, and prints the induction loss.")

func run(_ args: ParsedArguments) throws {

    let directory = args.modelDirectory(default: "Tests/Fixtures/trained/recipeR-2L-s0/final")
    let model = try HookedTransformer.load(directory: directory)
    let config = model.config
    let target = try args.head("--head", layers: config.nLayers, heads: config.nHeads)
    let contrast = try args.head("--contrast", layers: config.nLayers, heads: config.nHeads)
    let batch = args.integer("--batch"), length = args.integer("--length"), seed = args.integer("--seed")
    // RepeatedRandomTokens draws each half without replacement, so it needs length ≤ vocabulary;
    // the model sees 2 × length tokens.
    guard length <= config.dVocab else { throw UsageError(description: "--length \(length) exceeds the vocabulary (\(config.dVocab))") }
    guard 2 * length <= config.nCtx else { throw UsageError(description: "--length \(length) repeated twice exceeds n_ctx (\(config.nCtx))") }

    print("model: \(config.modelName) (\(config.nLayers) layers × \(config.nHeads) heads, d_vocab \(config.dVocab)) from \(directory.path)")
    let tokens = RepeatedRandomTokens.batch(count: batch, length: length, vocabularySize: config.dVocab, seed: UInt64(seed))
    print("tokens: \(batch) sequences of \(length) random tokens, each repeated twice \(tokens.shape)")
    print("(chance level for the induction loss: log \(config.dVocab) = \(String(format: "%.3f", log(Double(config.dVocab)))))")
    print()

    // 1. One head at a time, with a hook passed to this call only.
    let clean = try InductionLoss.measure(model, repeatedTokens: tokens)
    func ablated(_ head: Head) throws -> Float {
        try InductionLoss.measure(model, repeatedTokens: tokens, hooks: [.zeroAblateHead(head)])
    }
    let targetLoss = try ablated(target)
    let contrastLoss = try ablated(contrast)
    func row(_ label: String, _ value: Float, change: Bool = true) -> String {
        label.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%.4f", value)
            + (change ? String(format: "   (%+.4f)", value - clean) : "")
    }
    print(row("clean induction loss:", clean, change: false))
    print(row("\(target) zero-ablated:", targetLoss))
    print(row("\(contrast) zero-ablated (contrast):", contrastLoss))
    print()

    // 2. Every head, as one sweep: the engine runs the clean input once and resumes each variant
    //    at the ablated layer, so this costs far less than one forward pass per head.
    let scan = try Sweep.headAblation(model, tokens: tokens, metric: .inductionLoss(tokens: tokens), ablation: .zero).run()
    let grid = try scan.tensor()  // [n_layers, n_heads]
    print("every head zero-ablated (Sweep.headAblation, induction loss; clean \(String(format: "%.4f", scan.baseline))):")
    print("      " + (0..<config.nHeads).map { "H\($0)".padding(toLength: 9, withPad: " ", startingAt: 0) }.joined()
        .trimmingCharacters(in: .whitespaces))
    for layer in 0..<config.nLayers {
        let cells = (0..<config.nHeads).map { String(format: "%-9.4f", grid[layer, $0].scalar) }
        print(("L\(layer)    " + cells.joined()).trimmingCharacters(in: .whitespaces))
    }
    var ranked = Head.all(layers: config.nLayers, heads: config.nHeads).map { head in
        (label: head.description, increase: grid[head.layer, head.head].scalar - scan.baseline)
    }
    ranked.sort { $0.increase > $1.increase }
    print("largest increases: " + ranked.prefix(3).map { "\($0.label) \(String(format: "%+.3f", $0.increase))" }.joined(separator: ", "))
    let difference = max(abs(grid[target.layer, target.head].scalar - targetLoss), abs(grid[contrast.layer, contrast.head].scalar - contrastLoss),
                         abs(scan.baseline - clean))
    print("sweep vs the direct runs above: max difference \(String(format: "%.1e", difference))")
}

runExample(options, run)
