import Foundation

/// Olsson et al.'s (2022) case for induction heads, measured on one model in one call: the head
/// census on repeated random tokens (Argument 1), every head zero- and mean-ablated with the
/// first-copy control, the induction heads ablated together beside random heads (Argument 3 on
/// copying), and — given documents — the in-context-learning score clean, without the
/// induction heads and without the random heads (Argument 3 on real text). Two studies side by
/// side are Argument 6 (``InductionStudyComparison``); `lens demo --model` runs this on a
/// pretrained model and `lens demo` on the 2-layer model it trains.
///
/// ```swift
/// var options = InductionStudy.Options()
/// options.bos = model.tokenizer?.bosTokenID                 // TL's evals put a BOS first
/// options.documents = try InContextLearning.windows(texts, length: 600, bos: options.bos)
/// let study = try InductionStudy.run(model, options: options) { print($0.stage, $0.etaSeconds) }
/// print(study.inductionHeads, study.withoutInductionHeads.induction, study.icl?.withoutInductionHeads.score)
/// ```
public struct InductionStudy {
    /// What to measure and on what.
    public struct Options {
        /// Repeated random tokens: `sequences` rows of `length` random tokens, each repeated once.
        public var sequences = 4
        public var length = 50
        public var seed: UInt64 = 7
        /// A token put before each repeated sequence (nil: none). Pretrained models expect one.
        public var bos: Int?
        /// A head scoring at least this is named an induction (or previous-token) head.
        public var threshold: Float = 0.4
        /// At most this many induction heads, the best, are ablated together.
        public var maxInductionHeads = 8
        /// Whether to run the mean-ablation table too (a second sweep over every head).
        public var meanAblation = true
        /// How many draws of random heads the ablation of the induction heads is compared with:
        /// as many heads as the induction heads (fewer if the model has not that many others),
        /// drawn from the heads that are neither induction nor previous-token heads.
        public var randomDraws = 3
        /// Documents for in-context learning on text, [n, length] (``InContextLearning/windows(_:length:bos:maxPerDocument:)``);
        /// nil skips it.
        public var documents: IntTensor?
        /// The ICL score read off the loss-by-position curve of `documents`.
        public var iclScore = InContextLearningScore.olsson
        /// Documents per forward pass.
        public var documentBatch = 4

        public init() {}
    }

    /// How far a study has got: its stage, the fraction of the estimated work done, the time.
    public struct Progress: Sendable {
        public let stage: String
        public let fraction: Double
        public let elapsedSeconds: Double
        /// The estimated time left (the elapsed time scaled by the work left).
        public var etaSeconds: Double { fraction > 0 ? elapsedSeconds * (1 - fraction) / fraction : .infinity }
    }

    /// Ablating a set of random heads: the control for ablating the induction heads.
    public struct RandomControl {
        public let heads: [Head]
        public let losses: RepeatLosses
        /// The in-context-learning curve without these heads (when documents were given).
        public let icl: InContextLearningCurve?
    }

    /// In-context learning on the documents: clean and without the induction heads.
    public struct InContextLearningResult {
        public let clean: InContextLearningCurve
        public let withoutInductionHeads: InContextLearningCurve
    }

    public let options: Options
    /// The repeated random tokens everything on repeated tokens was measured on, [sequences, P + 2·length].
    public let tokens: IntTensor
    public let scores: HeadScores
    /// Heads with an induction score ≥ the threshold, best first, at most `maxInductionHeads`.
    public let inductionHeads: [Head]
    /// Heads with a previous-token score ≥ the threshold, best first.
    public let previousTokenHeads: [Head]
    public let zeroAblation: HeadAblationTable
    public let meanAblation: HeadAblationTable?
    /// Both losses with the induction heads zero-ablated together.
    public let withoutInductionHeads: RepeatLosses
    public let randomControls: [RandomControl]
    public let icl: InContextLearningResult?
    /// The wall-clock time of the whole study, seconds.
    public let seconds: Double

    /// The losses with nothing ablated.
    public var clean: RepeatLosses { zeroAblation.clean }

    /// Runs the study on `model`; `progress` is called as each stage advances.
    /// - Throws: ``AnalysisError`` for settings the model cannot take (sequences longer than its
    ///   context, fewer heads than the controls need), and model errors for bad tokens.
    public static func run(_ model: HookedTransformer, options: Options = Options(),
                           progress: ((Progress) -> Void)? = nil) throws -> InductionStudy {
        let c = model.config
        let prefix = options.bos == nil ? 0 : 1
        guard options.sequences >= 1, options.length >= 3, prefix + 2 * options.length <= c.nCtx, options.length <= c.dVocab else {
            throw AnalysisError.invalidShape(what: "the repeated random tokens",
                                             expected: "≥ 1 sequence of 3 ≤ L ≤ d_vocab (\(c.dVocab)) tokens with P + 2L ≤ n_ctx (\(c.nCtx))",
                                             found: [options.sequences, prefix + 2 * options.length])
        }
        if let bos = options.bos, !(0..<c.dVocab).contains(bos) {
            throw AnalysisError.invalidShape(what: "the BOS token", expected: "an id in 0..<\(c.dVocab)", found: [bos])
        }
        if let documents = options.documents, documents.rank != 2 || documents.shape[0] < 1 || documents.shape[1] > c.nCtx + 1 {
            // The last token of a document is only a target: n_ctx + 1 tokens fit.
            throw AnalysisError.invalidShape(what: "the documents", expected: "[n ≥ 1, length ≤ n_ctx + 1 (\(c.nCtx + 1))]", found: documents.shape)
        }

        // Work, in token rows through the whole model, to estimate the time left.
        let rrtRows = Double(options.sequences * (prefix + 2 * options.length))
        let heads = Double(c.nLayers * c.nHeads)
        let documentRows = Double(options.documents.map { $0.shape[0] * $0.shape[1] } ?? 0)
        let stages: [(String, Double)] = [
            ("census", rrtRows), ("zero ablation", rrtRows * heads * 0.55),
            ("mean ablation", options.meanAblation ? rrtRows * heads * 0.55 : 0),
            ("controls", rrtRows * Double(1 + options.randomDraws)),
            ("in-context learning", documentRows * Double(2 + options.randomDraws)),
        ]
        let total = stages.reduce(0) { $0 + $1.1 }
        let clock = ContinuousClock(), start = clock.now
        var finished = 0.0
        func report(_ stage: Int, _ part: Double) {
            let done = finished + stages[stage].1 * min(max(part, 0), 1)
            progress?(Progress(stage: stages[stage].0, fraction: total > 0 ? done / total : 1, elapsedSeconds: (clock.now - start).seconds))
        }
        func finish(_ stage: Int) { report(stage, 1); finished += stages[stage].1 }

        // 1. The census.
        report(0, 0)
        let tokens = RepeatedRandomTokens.batch(count: options.sequences, length: options.length, vocabularySize: c.dVocab,
                                                seed: options.seed, bos: options.bos)
        let scores = try HeadScores.measure(model, repeatedTokens: tokens, prefix: prefix)
        let all = Head.all(layers: c.nLayers, heads: c.nHeads)
        func named(_ t: Tensor) -> [Head] {
            all.filter { t[$0.layer, $0.head].scalar >= options.threshold }
                .sorted { t[$0.layer, $0.head].scalar > t[$1.layer, $1.head].scalar }
        }
        let induction = Array(named(scores.induction).prefix(max(options.maxInductionHeads, 0)))
        let previous = named(scores.previousToken)
        finish(0)

        // 2. Every head ablated, both losses from one sweep per ablation.
        let zero = try HeadAblationTable.measure(model, repeatedTokens: tokens, ablation: .zero) {
            report(1, Double($0.done) / Double(max($0.total, 1)))
        }
        finish(1)
        var mean: HeadAblationTable?
        if options.meanAblation {
            mean = try HeadAblationTable.measure(model, repeatedTokens: tokens, ablation: .mean()) {
                report(2, Double($0.done) / Double(max($0.total, 1)))
            }
        }
        finish(2)

        // 3. The induction heads together, and as many random other heads.
        func zeroing(_ heads: [Head]) -> [Hook] { heads.map { .zeroAblateHead($0) } }
        let withoutInduction = try RepeatLosses.measure(model, repeatedTokens: tokens, hooks: zeroing(induction))
        // The controls are drawn from the heads of neither kind: the previous-token heads belong
        // to the induction circuit, so a draw containing one would not be a control.
        let others = all.filter { !induction.contains($0) && !previous.contains($0) }
        let drawSize = min(max(induction.count, 1), others.count)
        guard options.randomDraws == 0 || drawSize > 0 else {
            throw AnalysisError.invalidShape(what: "the heads", expected: "at least one head that is neither an induction nor a previous-token head, for random controls",
                                             found: [others.count])
        }
        var generator = RandomGenerator(seed: options.seed &+ 1)
        var draws: [[Head]] = []
        var controlLosses: [RepeatLosses] = []
        for d in 0..<max(options.randomDraws, 0) {
            let heads = generator.sampleWithoutReplacement(drawSize, from: others.count).map { others[$0] }.sorted()
            draws.append(heads)
            controlLosses.append(try RepeatLosses.measure(model, repeatedTokens: tokens, hooks: zeroing(heads)))
            report(3, Double(d + 1) / Double(options.randomDraws + 1))
        }
        finish(3)

        // 4. In-context learning on the documents.
        var icl: InContextLearningResult?
        var controlCurves = [InContextLearningCurve?](repeating: nil, count: draws.count)
        if let documents = options.documents {
            let conditions = 2 + draws.count
            func measure(_ k: Int, _ hooks: [Hook]) throws -> InContextLearningCurve {
                defer { report(4, Double(k + 1) / Double(conditions)) }
                return try InContextLearning.measure(model, documents: documents, batchSize: options.documentBatch,
                                                     score: options.iclScore, hooks: hooks)
            }
            icl = InContextLearningResult(clean: try measure(0, []), withoutInductionHeads: try measure(1, zeroing(induction)))
            for (k, heads) in draws.enumerated() { controlCurves[k] = try measure(2 + k, zeroing(heads)) }
        }
        finish(4)

        let controls = draws.indices.map { RandomControl(heads: draws[$0], losses: controlLosses[$0], icl: controlCurves[$0]) }
        return InductionStudy(options: options, tokens: tokens, scores: scores, inductionHeads: induction, previousTokenHeads: previous,
                              zeroAblation: zero, meanAblation: mean, withoutInductionHeads: withoutInduction,
                              randomControls: controls, icl: icl, seconds: (clock.now - start).seconds)
    }
}
