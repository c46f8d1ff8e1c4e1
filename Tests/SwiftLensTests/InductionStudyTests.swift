import Foundation
import SwiftLens
import Testing

/// The pieces of the induction-head study: several metrics from one sweep, the first-copy
/// control, the every-head ablation table and the study itself on the 2-layer model our trainer
/// made (known answers: induction heads L1H0–3, previous-token head L0H3, induction loss 0.21
/// clean and 4.88 without the four heads, ICL −2.37 → +0.04, from `TrainedModelAnalysisTests`
/// and `lens demo`).
@Suite struct InductionStudyTests {
    /// `run(measuring:)` gives each metric what its own sweep gives — through resumed runs,
    /// stacked groups and the last layers' closed form — and reads each metric's positions.
    @Test(arguments: ["attn2l", "gpt2tiny", "llamatiny"])
    func severalMetricsFromOneSweepEqualSeparateSweeps(model name: String) throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/\(name)"))
        let tokens = try Fixtures.open("classic/\(name)/activations.safetensors").intTensor("tokens")
        let other = try model.runWithCache(tokens.reversedPositions()).cache
        let variants = SweepTests.variants(for: model, other: other)
        let length = tokens.shape[1]
        let metrics: [SweepMetric] = [
            .loss(tokens: tokens, predictingAt: 30..<40), .loss(tokens: tokens, predictingAt: 5..<12),
            .logitDifference(answer: 3, wrong: 7), .firstCopyLoss(tokens: tokens),
        ]
        for rows in [1, 100_000] {
            var sweep = Sweep(model: model, tokens: tokens, metric: metrics[0], variants: variants)
            sweep.maxBatchRows = rows
            let together = try sweep.run(measuring: metrics)
            #expect(together.count == metrics.count)
            for (m, metric) in metrics.enumerated() {
                sweep.metric = metric
                let alone = try sweep.run()
                #expect(together[m].baseline == alone.baseline || abs(together[m].baseline - alone.baseline) <= 1e-5)
                for (i, value) in alone.values.enumerated() {
                    let mine = try #require(together[m].values[i])
                    #expect(abs(mine - value!) <= 1e-4 * max(1, abs(value!)),
                            "\(name) metric \(m) \(variants[i].label) rows \(rows): together \(mine), alone \(value!)")
                }
            }
        }
        #expect(length > 40)
        let sweep = Sweep(model: model, tokens: tokens, metric: metrics[0], variants: variants)
        #expect(throws: SweepError.noMetrics) { try sweep.run(measuring: []) }
        #expect(throws: SweepError.self) { try sweep.run(measuring: [.loss(tokens: tokens, predictingAt: 0..<(length + 3))]) }
    }

    @Test func firstCopyPositionsSkipTheBOSAndTheUnpredictableFirstToken() throws {
        // 2L = 10 tokens: positions 0..<4 predict r1…r4; with a BOS (11 tokens) 1..<5 do.
        #expect(InductionLoss.firstCopyPositions(sequenceLength: 10) == 0..<4)
        #expect(InductionLoss.firstCopyPositions(sequenceLength: 11) == 1..<5)
        #expect(InductionLoss.predictionPositions(sequenceLength: 11) == 6..<10)
        let loss = Tensor(shape: [1, 10], values: (0..<10).map(Float.init))  // per-token loss of 11 tokens
        #expect(try InductionLoss.firstCopyLoss(perTokenLoss: loss) == 2.5)      // mean of 1, 2, 3, 4
        #expect(try InductionLoss.measure(perTokenLoss: loss) == 7.5)             // mean of 6, 7, 8, 9
        #expect(throws: AnalysisError.self) { try InductionLoss.firstCopyLoss(perTokenLoss: Tensor(shape: [1, 3], values: [1, 2, 3])) }
    }

    /// The table is the per-head loop a TransformerLens user writes, for zero and mean ablation.
    @Test func headAblationTableEqualsOneHookedRunPerHead() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let c = model.config
        let tokens = RepeatedRandomTokens.batch(count: 3, length: 10, vocabularySize: c.dVocab, seed: 5, bos: 0)
        let zero = try HeadAblationTable.measure(model, repeatedTokens: tokens, ablation: .zero)
        let mean = try HeadAblationTable.measure(model, repeatedTokens: tokens, ablation: .mean())
        let clean = try RepeatLosses.measure(model, repeatedTokens: tokens)
        #expect(zero.clean == clean || (abs(zero.clean.induction - clean.induction) < 1e-5 && abs(zero.clean.firstCopy - clean.firstCopy) < 1e-5))
        let z = try model.runWithCache(tokens).cache
        for head in Head.all(layers: c.nLayers, heads: c.nHeads) {
            let zeroed = try RepeatLosses.measure(model, repeatedTokens: tokens, hooks: [.zeroAblateHead(head)])
            let headMean = try z.tensor(.z(head.layer))[.all, .all, head.head].mean(axes: [0, 1])   // [d_head]
            let meaned = try RepeatLosses.measure(model, repeatedTokens: tokens, hooks: [.meanAblateHead(head, mean: headMean)])
            for (table, want) in [(zero, zeroed), (mean, meaned)] {
                #expect(abs(table.induction[head.layer, head.head].scalar - want.induction) <= 1e-4, "\(head) induction")
                #expect(abs(table.firstCopy[head.layer, head.head].scalar - want.firstCopy) <= 1e-4, "\(head) first copy")
            }
        }
        let effects = zero.largestEffects(3)
        #expect(effects.count == 3 && effects[0].induction >= effects[1].induction && effects[1].induction >= effects[2].induction)
        #expect(throws: AnalysisError.self) { try HeadAblationTable.measure(model, repeatedTokens: IntTensor([[1, 2, 3]])) }
    }

    /// The study on the trained 2-layer model finds what the per-analysis tests found, and its
    /// controls are heads of neither kind.
    @Test func studyOfTheTrainedTwoLayerModel() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("trained/recipeR-2L-s0/final"))
        var options = InductionStudy.Options()
        options.sequences = 16
        options.length = 32
        options.seed = 31337
        options.randomDraws = 2
        var data = InductionData.recipeR(seed: InductionEvaluator.Options().evaluationSeed)
        let evaluation = data.nextBatch(64)
        options.documents = evaluation
        options.iclScore = InContextLearningScore(contextLength: evaluation.shape[1] - 1)
        var fractions: [Double] = []
        let study = try InductionStudy.run(model, options: options) { fractions.append($0.fraction) }

        #expect(study.tokens == RepeatedRandomTokens.batch(count: 16, length: 32, vocabularySize: 64, seed: 31337))
        #expect(Set(study.inductionHeads) == Set((0..<4).map { Head(layer: 1, head: $0) }), "\(study.inductionHeads)")
        #expect(study.previousTokenHeads == [Head(layer: 0, head: 3)])
        #expect(abs(study.clean.induction - 0.212) < 0.01 && abs(study.withoutInductionHeads.induction - 4.876) < 0.01,
                "\(study.clean) → \(study.withoutInductionHeads)")
        // Zeroing the induction heads leaves the first copy (nothing to copy from) about as it was.
        #expect(abs(study.withoutInductionHeads.firstCopy - study.clean.firstCopy) < 0.3)
        // Controls: as many heads as allowed from those of neither kind (L0H0–2: three).
        #expect(study.randomControls.count == 2)
        for control in study.randomControls {
            #expect(control.heads.count == 3 && control.heads.allSatisfy { $0.layer == 0 && $0.head != 3 })
            #expect(control.losses.induction < study.withoutInductionHeads.induction - 2)
        }
        let icl = try #require(study.icl)
        #expect(icl.clean.score < -2 && icl.withoutInductionHeads.score > -0.3, "ICL \(icl.clean.score) → \(icl.withoutInductionHeads.score)")
        #expect(study.randomControls.allSatisfy { ($0.icl?.score ?? 0) < -1.5 })
        // The mean-ablation table: the previous-token head matters most for copying there too.
        let mean = try #require(study.meanAblation)
        #expect(mean.largestEffects(1).first?.head == Head(layer: 0, head: 3) || mean.largestEffects(1).first?.head.layer == 1)
        #expect(fractions.first == 0 && fractions.last == 1 && zip(fractions, fractions.dropFirst()).allSatisfy { $0 <= $1 + 1e-9 })

        // Argument 6 with itself: every row has one value per model.
        let table = InductionStudyComparison(names: ["a", "b"], studies: [study, study])
        #expect(table.rows.count >= 12 && table.rows.allSatisfy { $0.values.count == 2 && $0.values[0] == $0.values[1] })
        #expect(table.rows.contains { $0.measurement.hasPrefix("induction heads") && $0.values[0].hasPrefix("4 of 8") })
        #expect(table.text().split(separator: "\n").count == table.rows.count + 1)

        var bad = options
        bad.length = 40   // 2 × 40 > n_ctx 64
        #expect(throws: AnalysisError.self) { try InductionStudy.run(model, options: bad) }
        bad = options
        bad.bos = 1000
        #expect(throws: AnalysisError.self) { try InductionStudy.run(model, options: bad) }
    }
}
