import Foundation
import SwiftLens
import Testing

/// Function vectors: the shared-prefix indirect effects against full forward passes, the
/// exactness checks (patching a head with its own output changes nothing), the vector against
/// the cache's head results, and the tasks' prompts.
struct FunctionVectorTests {
    /// A random grouped-query model with RMSNorm, rotary and a gated MLP (like SmolLM2, small).
    static func model() throws -> HookedTransformer {
        try HookedTransformer(config: HookedTransformerConfig(nLayers: 3, dModel: 16, nCtx: 32, dHead: 4, nHeads: 4, dMLP: 32, dVocab: 20,
                                                              actFn: .silu, normalizationType: .rms, positionalEmbeddingType: .rotary,
                                                              gatedMLP: true, nKeyValueHeads: 2), seed: 21)
    }

    /// Prompts of different lengths (so left padding is exercised) and their answers.
    static func prompts(seed: UInt64, count: Int = 5) throws -> ICLPromptSet {
        var generator = RandomGenerator(seed: seed)
        let sequences = (0..<count).map { row in (0..<(6 + row % 3)).map { _ in 1 + generator.nextInt(below: 19) } }
        return try ICLPromptSet(sequences: sequences, answers: sequences.map { $0[0] }, vocabulary: 20)
    }

    /// Each head's indirect effect equals the one computed the slow way: a full forward of the
    /// padded batch with the head's last-position hook_z replaced, minus one without.
    @Test func indirectEffectMatchesFullForwardPatching() throws {
        let model = try Self.model()
        let (clean, corrupted) = (try Self.prompts(seed: 1), try Self.prompts(seed: 2))
        #expect(corrupted.tokens.attentionMask.scalars.contains(0), "the batch is padded")
        let means = try FunctionVector.meanHeadOutputs(model, clean)
        #expect(means.shape == [3, 4, 4])
        let aie = try FunctionVector.averageIndirectEffect(model, corrupted: corrupted, meanOutputs: means)
        #expect(aie.shape == [3, 4])
        let last = corrupted.tokens.tokens.shape[1] - 1
        let baseline = try FunctionVector.answerProbabilities(model, corrupted)
        var worst: Float = 0
        for head in Head.all(layers: 3, heads: 4) {
            let patch = Hook.setValue(.z(head.layer), [.all, .at(last), .at(head.head)], to: means[head.layer, head.head])
            let expected = (try FunctionVector.answerProbabilities(model, corrupted, hooks: [patch]) - baseline).mean().scalar
            worst = max(worst, abs(aie[head.layer, head.head].scalar - expected))
        }
        #expect(worst < 1e-5, "max |Δ| \(worst)")
        #expect(aie.abs().max().scalar > 1e-3, "the effects are not all zero: \(aie)")
        // Only the heads asked for are run; the rest stay 0.
        let some = try FunctionVector.averageIndirectEffect(model, corrupted: corrupted, meanOutputs: means, heads: [Head(layer: 1, head: 2)])
        #expect(some[1, 2].scalar == aie[1, 2].scalar && some.abs().sum().scalar == abs(aie[1, 2].scalar))
    }

    /// Patching a head with its own output at that position is no intervention: a one-prompt
    /// set's mean output is the prompt's own, so every effect is zero.
    @Test func patchingAHeadsOwnOutputHasNoEffect() throws {
        let model = try Self.model()
        let one = try Self.prompts(seed: 3, count: 1)
        let own = try FunctionVector.meanHeadOutputs(model, one)
        let aie = try FunctionVector.averageIndirectEffect(model, corrupted: one, meanOutputs: own)
        #expect(aie.abs().max().scalar < 1e-6, "\(aie)")
    }

    /// The function vector of a set of heads is the sum of their hook_result contributions,
    /// and adding it at the last position changes that position only.
    @Test func vectorIsTheSumOfTheHeadsResultsAndIsAddedAtTheLastPosition() throws {
        let model = try Self.model()
        let one = try Self.prompts(seed: 4, count: 1)
        let heads = [Head(layer: 0, head: 1), Head(layer: 2, head: 3), Head(layer: 1, head: 0)]
        let fv = try FunctionVector.vector(model, meanOutputs: FunctionVector.meanHeadOutputs(model, one), heads: heads)
        let (_, cache) = try model.runWithCache(one.tokens)
        let n = one.tokens.tokens.shape[1]
        let expected = try heads.map { try cache.headResults(layer: $0.layer)[0, n - 1, $0.head] }.reduce(Tensor.zeros([16]), +)
        #expect(fv.shape == [16] && fv.maxAbsoluteDifference(expected) < 1e-5)

        let before = try cache.tensor(.residPre(2))
        let recorder = CacheRecorder(layerCount: 3)
        _ = try model.forward(one.tokens, hooks: [FunctionVector.addedAtLastPosition(fv, layer: 2, coefficient: 2),
                                                  .cache(into: recorder, names: .only([.residPre(2)]))])
        let after = try recorder.cache.tensor(.residPre(2))
        #expect(after[.all, ..<(n - 1)].maxAbsoluteDifference(before[.all, ..<(n - 1)]) < 1e-5)
        #expect(after[0, n - 1].maxAbsoluteDifference(before[0, n - 1] + 2 * fv) < 1e-4)
    }

    @Test func badInputsThrowSayingWhatWasExpected() throws {
        let model = try Self.model()
        let prompts = try Self.prompts(seed: 5)
        #expect(throws: FunctionVector.FunctionVectorError.meanOutputsShape(expected: [3, 4, 4], found: [3, 4])) {
            try FunctionVector.averageIndirectEffect(model, corrupted: prompts, meanOutputs: Tensor.zeros([3, 4]))
        }
        #expect(throws: FunctionVector.FunctionVectorError.headOutOfRange(Head(layer: 3, head: 0), layers: 3, heads: 4)) {
            try FunctionVector.vector(model, meanOutputs: Tensor.zeros([3, 4, 4]), heads: [Head(layer: 3, head: 0)])
        }
        let single = try ICLPromptSet(sequences: [[3]], answers: [4], vocabulary: 20)
        #expect(throws: FunctionVector.FunctionVectorError.promptTooShort(length: 1)) {
            try FunctionVector.averageIndirectEffect(model, corrupted: single, meanOutputs: Tensor.zeros([3, 4, 4]))
        }
        #expect(throws: ICLPromptSet.PromptSetError.answerCount(prompts: 2, answers: 1)) {
            try ICLPromptSet(sequences: [[1, 2], [3, 4]], answers: [5], vocabulary: 20)
        }
        #expect(throws: ICLPromptSet.PromptSetError.answerOutOfVocabulary(row: 0, token: 20, vocabulary: 20)) {
            try ICLPromptSet(sequences: [[1, 2]], answers: [20], vocabulary: 20)
        }
        #expect(throws: ICLPromptSet.PromptSetError.empty) { try ICLPromptSet(sequences: [], answers: [], vocabulary: 20) }
        #expect(throws: ICLTask.TaskError.tooFewPairs(task: "t", needed: 2, found: 1)) { try ICLTask(name: "t", pairs: [.init("a", "b")]) }
        #expect(throws: ICLTask.TaskError.self) { try ICLTask(name: "t", pairs: [.init("a", "b"), .init("c\nd", "e")]) }
        #expect(throws: ICLTask.TaskError.self) { try ICLTask(name: "t", pairs: [.init("a", ""), .init("c", "e")]) }
    }

    @Test func promptFormat() {
        #expect(ICLTask.prompt(demonstrations: [.init("hot", "cold"), .init("up", "down")], query: "big") == "hot → cold\nup → down\nbig →")
        #expect(ICLTask.prompt(demonstrations: [], query: "big") == "big →")
        #expect(ICLTask.examples.map(\.name) == ["antonyms", "countryCapitals", "uppercase", "pastTense", "plural", "frenchNumbers"])
        #expect(ICLTask.examples.allSatisfy { $0.pairs.count >= 20 })
    }
}

/// Function vectors in SmolLM2-135M-Instruct (see ``RealModel``): the tasks' tokenisation, the
/// few-shot vs zero-shot gap, and the head with the largest indirect effect on antonyms (small
/// settings; Tutorial 15 runs the full recipe).
@Suite(.enabled(if: RealModel.isAvailable, "needs SmolLM2-135M-Instruct: bash Scripts/fetch_smollm2.sh"))
struct RealModelFunctionVectorTests {
    @Test func smolLM2TasksPromptsAndIndirectEffects() throws {
        let model = try HookedTransformer.load(RealModel.smolLM2())
        // Tokenisation as the task lists document it: antonyms, past tenses and plurals are one
        // token after a space; seven capitals take more.
        for task in [ICLTask.antonyms, .pastTense, .plural] {
            for pair in task.pairs {
                #expect(try model.toTokens(" " + pair.output).shape == [1, 1], "\(task.name): « \(pair.output)»")
            }
        }
        let multi = try ICLTask.countryCapitals.pairs.filter { try model.toTokens(" " + $0.output).shape[1] > 1 }.map(\.output)
        #expect(multi.count == 7, "\(multi)")

        // Prompts: clean and shuffled sets drawn with one seed share their queries; shuffled
        // demonstrations never show their own output.
        let task = ICLTask.antonyms
        let clean = try task.prompts(for: model, count: 8, shots: 10, seed: 7)
        let shuffled = try task.prompts(for: model, count: 8, shots: 10, seed: 7, labels: .shuffled)
        #expect(clean.queries == shuffled.queries && clean.answers == shuffled.answers && clean.count == 8)
        let truth = Dictionary(task.pairs.map { ($0.input, $0.output) }, uniquingKeysWith: { a, _ in a })
        for text in shuffled.texts {
            let lines = text.split(separator: "\n").dropLast()
            #expect(lines.count == 10)
            #expect(lines.allSatisfy { line in
                let parts = line.components(separatedBy: " → ")
                return parts.count == 2 && truth[parts[0]] != parts[1]
            }, "\(text)")
        }
        #expect(clean.texts[0].hasSuffix(" →") && clean.texts[0].split(separator: "\n").count == 11)
        let first = try #require(clean.queries.first)
        #expect(clean.answers[0] == (try model.toTokens(" " + first.output).scalars[0]))

        // The model does antonyms from context, not without it.
        let few = try FunctionVector.accuracy(model, clean)
        let zero = try FunctionVector.accuracy(model, task.prompts(for: model, count: 8, shots: 0, seed: 7))
        print("SmolLM2 antonyms: 10-shot \(few), zero-shot \(zero)")
        #expect(few.accuracy >= 0.5 && zero.accuracy == 0)

        // L14H1's task mean raises P(answer) on shuffled prompts more than the other heads tried.
        let means = try FunctionVector.meanHeadOutputs(model, clean)
        let corrupted = try task.prompts(for: model, count: 8, shots: 10, seed: 57, labels: .shuffled)
        let tried = [Head(layer: 14, head: 1), Head(layer: 2, head: 0), Head(layer: 8, head: 4), Head(layer: 25, head: 6)]
        let aie = try FunctionVector.averageIndirectEffect(model, corrupted: corrupted, meanOutputs: means, heads: tried)
        print("SmolLM2 antonym AIE: " + tried.map { "\($0) \(aie[$0.layer, $0.head].scalar)" }.joined(separator: ", "))
        #expect(aie[14, 1].scalar > 0.05)
        #expect(tried.dropFirst().allSatisfy { abs(aie[$0.layer, $0.head].scalar) < aie[14, 1].scalar / 3 })
    }
}
