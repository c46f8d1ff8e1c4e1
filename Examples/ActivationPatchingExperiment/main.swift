// Activation patching with a metric of your own.
//
// Clean prompt: L random tokens r, then the first P of them again, so the last token is r[P−1]
// and an induction head should predict r[P] (the token that followed r[P−1] the first time).
// Corrupted prompt: the same, but the first-half token r[P] is swapped for a token y that does not
// occur in r, so the model copies y instead. The metric is a closure — the probability of the
// clean answer r[P] at the last position — and `ActivationPatching` writes each piece of the clean
// run into the corrupted run in turn: every head's output (`hook_z`) over all positions, every
// head at every position, and the residual stream (`hook_resid_pre`) at every layer and position.
// The grids show where the answer lives: in the residual stream at position P (the token
// itself), then in the induction heads' outputs at the last position.
//
//     swift run -c release ActivationPatchingExperiment [MODEL_DIR] [--length L] [--answer-position P]
//                                                       [--batch N] [--seed S]
//
// MODEL_DIR defaults to the committed trained model Tests/Fixtures/trained/recipeR-2L-s0/final
// (previous-token head L0H3, induction heads L1H0–3). Defaults: L = 20, P = L / 2, 8 prompts
// (this model copies reliably only a dozen or more tokens into a sequence).
import Foundation
import ExampleSupport

let options = OptionTable(command: "ActivationPatchingExperiment", arguments: [
    .optional("MODEL_DIR", help: "a TransformerLens or Hugging Face model directory (default: the committed trained model)"),
], options: [
    .integer("--length", "L", minimum: 3, default: 20, help: "random tokens r before the repeat"),
    .integer("--answer-position", "P", minimum: 1, help: "repeat r[0 ..< P], so the answer is r[P] (default: L / 2)"),
    .integer("--batch", minimum: 1, default: 8, help: "prompts"),
    .integer("--seed", "S", default: 0, help: "the seed of the prompts"),
], summary: "patches the clean run into the corrupted one (head outputs, heads by position, the residual stream) "
    + "with a metric of your own.")

func run(_ args: ParsedArguments) throws {

    let directory = args.modelDirectory(default: "Tests/Fixtures/trained/recipeR-2L-s0/final")
    let model = try HookedTransformer.load(directory: directory)
    let config = model.config
    let length = args.integer("--length"), batch = args.integer("--batch"), seed = args.integer("--seed")
    let answerPosition = args.integer(ifGiven: "--answer-position") ?? length / 2
    guard answerPosition < length else { throw UsageError(description: "--answer-position must be below --length (\(length))") }
    // r is drawn without replacement and y must be a token outside r.
    guard length < config.dVocab else { throw UsageError(description: "--length \(length) must be below the vocabulary (\(config.dVocab))") }
    let sequenceLength = length + answerPosition
    guard sequenceLength <= config.nCtx else {
        throw UsageError(description: "the prompts have \(sequenceLength) tokens, more than n_ctx (\(config.nCtx))")
    }

    // The prompts. Row b: r_b followed by r_b[0 ..< P]; corrupted: r_b[P] → y_b.
    let halves = RepeatedRandomTokens.batch(count: batch, length: length, vocabularySize: config.dVocab, seed: UInt64(seed))
    var clean: [Int] = [], corrupted: [Int] = [], answers: [Int] = [], replacements: [Int] = []
    for b in 0..<batch {
        let r = (0..<length).map { halves[b, $0] }
        let answer = r[answerPosition]
        // The replacement: the first token after the answer (cyclically) that r does not contain.
        let y = (1..<config.dVocab).map { (answer + $0) % config.dVocab }.first { !r.contains($0) }!
        let prompt = r + r[..<answerPosition]
        var swapped = prompt
        swapped[answerPosition] = y
        clean += prompt
        corrupted += swapped
        answers.append(answer)
        replacements.append(y)
    }
    let cleanTokens = IntTensor(shape: [batch, sequenceLength], values: clean)
    let corruptedTokens = IntTensor(shape: [batch, sequenceLength], values: corrupted)

    // The custom metric: a closure over the logits the sweep hands it. `positions: .last` says it
    // reads only the last position, so patching runs unembed one row per prompt.
    let probabilityOfAnswer = SweepMetric(positions: .last) { logits in  // [batch, 1, d_vocab]
        let probabilities = logits.softmax(axis: -1)
        var total: Float = 0
        for (b, answer) in answers.enumerated() { total += probabilities[b, 0, answer].scalar }
        return total / Float(answers.count)
    }

    let (cleanLogits, cleanCache) = try model.runWithCache(cleanTokens)
    let cleanValue = try probabilityOfAnswer.evaluate(cleanLogits[.all, (sequenceLength - 1)...])
    let corruptedLogits = try model(corruptedTokens)
    let corruptedValue = try probabilityOfAnswer.evaluate(corruptedLogits[.all, (sequenceLength - 1)...])
    let corruptedCopies = corruptedLogits[.all, sequenceLength - 1].softmax(axis: -1)
    let probabilityOfY = replacements.enumerated().map { corruptedCopies[$0.offset, $0.element].scalar }.reduce(0, +) / Float(batch)

    print("model: \(config.modelName) (\(config.nLayers) layers × \(config.nHeads) heads) from \(directory.path)")
    print("prompts: \(batch) × \(sequenceLength) tokens; answer r[\(answerPosition)] at position \(answerPosition), read at position \(sequenceLength - 1)")
    print("row 0 clean:     \(clean[..<sequenceLength].map(String.init).joined(separator: " "))")
    print("row 0 corrupted: \(corrupted[..<sequenceLength].map(String.init).joined(separator: " "))")
    print(String(format: "clean p(answer): %.4f", cleanValue))
    print(String(format: "corrupted p(answer): %.4f   (the corrupted run copies y instead: p(y) = %.4f)", corruptedValue, probabilityOfY))
    print()

    // Fraction of the clean–corrupted gap a patch restores: 1 = the clean value, 0 = no effect.
    func recovered(_ value: Float) -> Float {
        let fraction = (value - corruptedValue) / (cleanValue - corruptedValue)
        return abs(fraction) < 0.0005 ? 0 : fraction  // no "-0.000" in the tables
    }
    func cell(_ value: Float) -> String { String(format: "%7.3f", recovered(value)) }

    // Every head's output (hook_z) over all positions: [n_layers, n_heads].
    let heads = try ActivationPatching.headOut(byPosition: false, model, corrupted: corruptedTokens, clean: cleanCache,
                                               metric: probabilityOfAnswer)
    print("head outputs (hook_z, all positions) patched clean → corrupted, fraction recovered:")
    print("     " + (0..<config.nHeads).map { "    H\($0)" }.joined())
    for layer in 0..<config.nLayers {
        print("L\(layer)   " + (0..<config.nHeads).map { cell(heads[layer, $0].scalar) }.joined())
    }
    let headCells = Head.all(layers: config.nLayers, heads: config.nHeads).map { head in
        (label: head.description, value: recovered(heads[head.layer, head.head].scalar))
    }
    let carryingHeads = headCells.filter { $0.value >= 0.05 }.sorted { $0.value > $1.value }
    print("heads carrying the signal (≥ 0.05): "
          + (carryingHeads.isEmpty ? "none" : carryingHeads.map { "\($0.label) \(String(format: "%.3f", $0.value))" }.joined(separator: ", ")))
    // All heads of a layer together.
    for layer in 0..<config.nLayers {
        let together = try model(corruptedTokens, hooks: [.patch(.z(layer), from: cleanCache)])
        let value = try probabilityOfAnswer.evaluate(together[.all, (sequenceLength - 1)...])
        print("all heads of layer \(layer) together: \(String(format: "%.3f", recovered(value)))")
    }

    // The probability saturates, so redundant heads each restore little of it alone. A second
    // custom metric, linear in the logits, shows each head's share more evenly: the logit
    // difference between the clean answer and the corrupted run's copy y.
    let logitDifference = SweepMetric(positions: .last) { logits in
        var total: Float = 0
        for b in 0..<answers.count { total += logits[b, 0, answers[b]].scalar - logits[b, 0, replacements[b]].scalar }
        return total / Float(answers.count)
    }
    let cleanDifference = try logitDifference.evaluate(cleanLogits[.all, (sequenceLength - 1)...])
    let corruptedDifference = try logitDifference.evaluate(corruptedLogits[.all, (sequenceLength - 1)...])
    let differenceGrid = try ActivationPatching.headOut(byPosition: false, model, corrupted: corruptedTokens, clean: cleanCache,
                                                        metric: logitDifference)
    print(String(format: "logit difference answer − y: clean %.3f, corrupted %.3f; heads of the last layer patched, fraction recovered:",
                 cleanDifference, corruptedDifference))
    let lastLayer = config.nLayers - 1
    print("  " + (0..<config.nHeads).map { head in
        let value = (differenceGrid[lastLayer, head].scalar - corruptedDifference) / (cleanDifference - corruptedDifference)
        return "\(Head(layer: lastLayer, head: head)) \(String(format: "%.3f", value))"
    }.joined(separator: ", "))
    print()

    // Every head at every position: [n_layers, pos, n_heads]; the strongest cells.
    let byPosition = try ActivationPatching.headOut(byPosition: true, model, corrupted: corruptedTokens, clean: cleanCache,
                                                    metric: probabilityOfAnswer)
    var positionCells: [(label: String, value: Float)] = []
    for layer in 0..<config.nLayers {
        for position in 0..<sequenceLength {
            for head in 0..<config.nHeads {
                positionCells.append(("\(Head(layer: layer, head: head))@\(position)", recovered(byPosition[layer, position, head].scalar)))
            }
        }
    }
    positionCells.sort { $0.value > $1.value }
    print("head outputs by position, strongest cells (≥ 0.01): "
          + positionCells.filter { $0.value >= 0.01 }.prefix(8).map { "\($0.label) \(String(format: "%.3f", $0.value))" }.joined(separator: ", "))
    print()

    // The residual stream entering each layer, one position at a time: [n_layers, pos].
    let resid = try ActivationPatching.residPre(model, corrupted: corruptedTokens, clean: cleanCache, metric: probabilityOfAnswer)
    print("residual stream (hook_resid_pre) patched clean → corrupted, fraction recovered:")
    print("pos  clean  corrupted" + (0..<config.nLayers).map { "  resid_pre\($0)" }.joined())
    for position in 0..<sequenceLength {
        let note = position == answerPosition ? "   ← the token to copy" : position == sequenceLength - 1 ? "   ← the prediction" : ""
        let values = (0..<config.nLayers).map { String(format: "%12.3f", recovered(resid[$0, position].scalar)) }.joined()
        print(String(format: "%3d  %5d  %9d", position, clean[position], corrupted[position]) + values + note)
    }
    var residCells: [(label: String, value: Float)] = []
    for layer in 0..<config.nLayers {
        for position in 0..<sequenceLength { residCells.append(("L\(layer)@\(position)", recovered(resid[layer, position].scalar))) }
    }
    let carryingPositions = residCells.filter { $0.value >= 0.05 }.sorted { $0.value > $1.value }
    print("residual positions carrying the signal (≥ 0.05): "
          + (carryingPositions.isEmpty ? "none" : carryingPositions.map { "\($0.label) \(String(format: "%.3f", $0.value))" }.joined(separator: ", ")))
}

runExample(options, run)
