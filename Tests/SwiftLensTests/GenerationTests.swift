import Foundation
import SwiftLens
import Testing

/// Generation: the key-value cache equals a full recompute on every architecture, sampling
/// repeats per seed, batches equal their rows alone, hooks fire on every step, and a recorded
/// generation equals `runWithCache` on the final sequence.
struct GenerationTests {
    /// Every architecture SwiftLens runs: the TransformerLens and Hugging Face fixtures (GPT-2
    /// with learned positions, LLaMA with rotary, grouped-query attention and RMS norms, an
    /// attention-only model, a shortformer), plus random models for what no fixture has: key
    /// smearing, adjacent-pair rotary with grouped-query attention, parallel attention and MLP.
    static let architectures = ["classic/attn2l", "classic/gpt2tiny", "classic/llamatiny", "classic/shortformer",
                                "hf/gpt2tiny", "hf/llamatiny/hf", "random/smear", "random/gqa-adjacent-rotary", "random/parallel"]

    static func model(_ name: String) throws -> HookedTransformer {
        switch name {
        case "random/smear":
            return try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 24, dHead: 4, nHeads: 4,
                                                                         dVocab: 20, attnOnly: true, smearKeys: true), seed: 5)
        case "random/gqa-adjacent-rotary":
            return try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 24, dHead: 4, nHeads: 4, dMLP: 32,
                                                                         dVocab: 20, actFn: .silu, normalizationType: .rms,
                                                                         positionalEmbeddingType: .rotary, rotaryAdjacentPairs: true,
                                                                         gatedMLP: true, nKeyValueHeads: 2), seed: 6)
        case "random/parallel":
            return try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 24, dHead: 4, nHeads: 4, dMLP: 32,
                                                                         dVocab: 20, actFn: .geluNew, positionalEmbeddingType: .rotary,
                                                                         rotaryDim: 2, parallelAttnMLP: true), seed: 7)
        default:
            return try HookedTransformer.load(directory: Fixtures.url(name))
        }
    }

    static func randomTokens(_ count: Int, vocabulary: Int, seed: UInt64) -> [Int] {
        var random = RandomGenerator(seed: seed)
        return (0..<count).map { _ in Int(random.next() % UInt64(vocabulary)) }
    }

    static func maxDifference(_ a: Tensor, _ b: Tensor) -> Float { (a - b).abs().max().scalar }

    /// Feeding a sequence through the cache — a prompt, then one token at a time — gives, at
    /// every step, the logits of a full run of the whole sequence within 1e-4.
    @Test(arguments: architectures)
    func cachedLogitsEqualAFullRecompute(architecture: String) throws {
        let model = try Self.model(architecture)
        let length = min(12, model.config.nCtx)
        let tokens = IntTensor(shape: [2, length], values: Self.randomTokens(2 * length, vocabulary: model.config.dVocab, seed: 11))
        let full = try model(tokens)
        let cache = KeyValueCache(for: model, batch: 2)
        var worst: Float = 0
        var start = 0
        for chunk in [5, 1, 1, 2, 1, length - 10] {
            let logits = try model.forward(tokens[.all, start..<(start + chunk)], cache: cache)
            #expect(logits.shape == [2, chunk, model.config.dVocabOut])
            worst = max(worst, Self.maxDifference(logits, full[.all, start..<(start + chunk)]))
            start += chunk
        }
        #expect(cache.length == length)
        let kv = model.config.keyValueHeads
        #expect(cache.keys(layer: 0)?.shape == [2, length, kv, model.config.dHead])
        #expect(worst <= 1e-4, "\(architecture): cached logits differ from the full run by \(worst)")
        // Greedy generation with and without the cache chooses the same tokens.
        let prompt = [Array(tokens.scalars.prefix(4))]
        var options = GenerationOptions(maxNewTokens: 6, stopAtEOS: false)
        let cached = try model.generate(tokens: prompt, options: options)
        options.usesKeyValueCache = false
        #expect(try model.generate(tokens: prompt, options: options).newTokens == cached.newTokens)
    }

    /// The cache refuses to outgrow the context with a clear error, and a pass whose hook throws
    /// leaves it as it was.
    @Test func cacheErrorsAreClearAndLeaveItIntact() throws {
        let model = try Self.model("classic/llamatiny")
        let n = model.config.nCtx
        let cache = KeyValueCache(for: model)
        _ = try model.forward(IntTensor(shape: [1, n - 1], repeating: 1), cache: cache)
        struct Broken: Error {}
        #expect(throws: Broken.self) {
            try model.forward(IntTensor([2]), cache: cache, hooks: [Hook(.residPost(0)) { _, _ in throw Broken() }])
        }
        #expect(cache.length == n - 1)
        _ = try model.forward(IntTensor([2]), cache: cache)
        #expect(throws: ModelError.contextExceeded(cached: n, new: 1, contextLength: n)) {
            try model.forward(IntTensor([3]), cache: cache)
        }
        #expect(throws: ModelError.contextExceeded(cached: 3, new: n - 2, contextLength: n)) {
            try model.generate(tokens: [[1, 2, 3]], options: GenerationOptions(maxNewTokens: n - 1))
        }
        #expect(throws: GenerationError.cacheBatchMismatch(cache: 1, tokens: 2)) {
            try model.forward(IntTensor(shape: [2, 1], repeating: 1), cache: KeyValueCache(for: model))
        }
        #expect(throws: GenerationError.emptyPrompt(row: 1)) { try model.generate(tokens: [[1], []]) }
        #expect(throws: GenerationError.self) {
            try model.generate(tokens: [[1]], options: GenerationOptions(sampler: Sampler(temperature: 0)))
        }
    }

    /// A batch of prompts of different lengths (left-padded, masked, positions per row)
    /// generates, row for row, what each prompt generates alone — greedy and sampled — on
    /// learned positions, rotary and grouped-query models.
    @Test(arguments: ["classic/gpt2tiny", "hf/llamatiny/hf", "random/gqa-adjacent-rotary", "random/smear"])
    func aBatchGeneratesWhatEachPromptGeneratesAlone(architecture: String) throws {
        let model = try Self.model(architecture)
        let vocabulary = model.config.dVocab
        let prompts = [Self.randomTokens(3, vocabulary: vocabulary, seed: 1), Self.randomTokens(7, vocabulary: vocabulary, seed: 2),
                       Self.randomTokens(1, vocabulary: vocabulary, seed: 3)]
        for sampler in [Sampler.greedy, Sampler(temperature: 0.8, topK: 10, seed: 42)] {
            let options = GenerationOptions(maxNewTokens: 6, sampler: sampler, stopAtEOS: false)
            let batch = try model.generate(tokens: prompts, options: options)
            for (row, prompt) in prompts.enumerated() {
                var alone = options
                // Row r draws from stream (seed, r): alone, the same stream is row 0 of seed'.
                if var s = sampler.seed.map({ _ in sampler }) {
                    s.seed = sampler.seed! &+ UInt64(row) &* 0x9E37_79B9_7F4A_7C15
                    alone.sampler = s
                }
                let single = try model.generate(tokens: [prompt], options: alone)
                #expect(batch.newTokens[row] == single.newTokens[0], "\(architecture) row \(row) \(sampler)")
            }
        }
    }

    /// Sampling repeats exactly for a seed, differs across seeds, and top-k = 1 is greedy.
    @Test func samplingRepeatsPerSeed() throws {
        let model = try Self.model("classic/gpt2tiny")
        let prompt = [Self.randomTokens(4, vocabulary: model.config.dVocab, seed: 9)]
        func run(_ sampler: Sampler) throws -> [Int] {
            try model.generate(tokens: prompt, options: GenerationOptions(maxNewTokens: 12, sampler: sampler, stopAtEOS: false)).newTokens[0]
        }
        let a = try run(Sampler(temperature: 1.5, seed: 1))
        #expect(try run(Sampler(temperature: 1.5, seed: 1)) == a)
        let others = try (2...5).map { try run(Sampler(temperature: 1.5, seed: UInt64($0))) }
        #expect(others.contains { $0 != a }, "five seeds gave the same 12 tokens")
        #expect(try run(Sampler(topK: 1, seed: 3)) == run(.greedy))
        #expect(try run(Sampler(topP: 1e-6, seed: 3)) == run(.greedy))
        #expect(try run(Sampler(minP: 1, seed: 3)) == run(.greedy))
    }

    /// The warpers keep what Hugging Face's keep: top-k the k largest, top-p the smallest head
    /// reaching p, min-p those ≥ min_p × the top probability — checked by sampling many times
    /// from a known distribution.
    @Test func warpersKeepTheRightTokens() throws {
        // Probabilities ∝ 8, 4, 2, 1, 1 → 0.5, 0.25, 0.125, 0.0625, 0.0625.
        let logits: [Float] = [log(2), log(8), log(1), log(4), log(1)]
        func drawn(_ sampler: Sampler) -> Set<Int> {
            var random = RandomGenerator(seed: 1)
            return logits.withUnsafeBufferPointer { p in Set((0..<400).map { _ in sampler.choose(from: p, using: &random) }) }
        }
        #expect(drawn(Sampler(seed: 0)) == [0, 1, 2, 3, 4])
        #expect(drawn(Sampler(topK: 2, seed: 0)) == [1, 3])
        #expect(drawn(Sampler(topP: 0.7, seed: 0)) == [1, 3])
        #expect(drawn(Sampler(topP: 0.75, seed: 0)) == [1, 3])
        #expect(drawn(Sampler(topP: 0.8, seed: 0)) == [0, 1, 3])
        #expect(drawn(Sampler(minP: 0.2, seed: 0)) == [0, 1, 3])
        #expect(drawn(.greedy) == [1])
    }

    /// Hooks fire on every step's new positions with the step and offset in their context, see
    /// the new rows of hook_k, keep their storage through the generation; steering and head
    /// ablation act on every new token exactly as they act on a full recompute.
    @Test func hooksFireOnEveryStep() throws {
        let model = try Self.model("hf/llamatiny/hf")
        let prompt = [Self.randomTokens(5, vocabulary: model.config.dVocab, seed: 4)]
        var seen: [(step: Int?, offset: Int, shape: [Int])] = []
        var patternShapes: [[Int]] = []
        let observe = Hook.observe(.k(1)) { k, context in
            seen.append((context.step, context.positionOffset, k.shape))
            context.storage["calls"] = (context.storage["calls"] as? Int ?? 0) + 1
        }
        let pattern = Hook.observe(.pattern(0)) { p, _ in patternShapes.append(p.shape) }
        let options = GenerationOptions(maxNewTokens: 4, stopAtEOS: false)
        _ = try model.generate(tokens: prompt, options: options, hooks: [observe, pattern])
        let kv = model.config.keyValueHeads, dh = model.config.dHead, h = model.config.nHeads
        #expect(seen.map(\.step) == [0, 1, 2, 3])
        #expect(seen.map(\.offset) == [0, 5, 6, 7])
        #expect(seen.map(\.shape) == [[1, 5, kv, dh], [1, 1, kv, dh], [1, 1, kv, dh], [1, 1, kv, dh]])
        #expect(patternShapes == [[1, h, 5, 5], [1, h, 1, 6], [1, h, 1, 7], [1, h, 1, 8]])

        // Steering every new token and ablating a head throughout: the cached generation equals
        // the recompute with the same hooks, and differs from the plain one.
        let direction = Tensor.randomNormal([model.config.dModel], seed: 3) * 4
        let interventions: [[Hook]] = [[.addVector(.residPre(1), direction)], [.zeroAblateHead(Head(layer: 0, head: 1))],
                                       [.addVector(.residPre(1), direction, positions: .stride(6, 100))],
                                       [.knockOutScores(layer: 1, pairs: (1..<12).map { ($0, $0 - 1) })]]
        let plain = try model.generate(tokens: prompt, options: GenerationOptions(maxNewTokens: 8, stopAtEOS: false))
        var changed = 0
        for hooks in interventions {
            var options = GenerationOptions(maxNewTokens: 8, stopAtEOS: false)
            let cached = try model.generate(tokens: prompt, options: options, hooks: hooks)
            options.usesKeyValueCache = false
            let recomputed = try model.generate(tokens: prompt, options: options, hooks: hooks)
            #expect(cached.newTokens == recomputed.newTokens)
            if cached.newTokens != plain.newTokens { changed += 1 }
        }
        #expect(changed >= 2, "steering and ablation changed nothing")
    }

    /// `patch` from a cache during generation writes the cached sequence's rows at each step's
    /// positions: patching another prompt's whole final sequence into `resid_post` of the last
    /// layer makes a different prompt (of the same length) generate exactly its continuation,
    /// and leaves positions the cache lacks alone.
    @Test func patchingFromACacheWorksAcrossSteps() throws {
        let model = try Self.model("hf/llamatiny/hf")
        let vocabulary = model.config.dVocab
        let (a, b) = (Self.randomTokens(5, vocabulary: vocabulary, seed: 21), Self.randomTokens(5, vocabulary: vocabulary, seed: 22))
        let options = GenerationOptions(maxNewTokens: 6, stopAtEOS: false)
        let (source, cache) = try model.generateWithCache(tokens: [a], names: [.residPost(model.config.nLayers - 1)], options: options)
        let plain = try model.generate(tokens: [b], options: options)
        let patched = try model.generate(tokens: [b], options: options, hooks: [.patch(.residPost(model.config.nLayers - 1), from: cache)])
        #expect(plain.newTokens != source.newTokens, "the two prompts continue alike; pick others")
        #expect(patched.newTokens == source.newTokens)
        // Beyond the cache's 11 positions the patch does nothing: generating further goes on unpatched.
        var longer = options
        longer.maxNewTokens = 9
        let beyond = try model.generate(tokens: [b], options: longer, hooks: [.patch(.residPost(model.config.nLayers - 1), from: cache)])
        #expect(Array(beyond.newTokens[0].prefix(7)) == Array(source.newTokens[0]) + [beyond.newTokens[0][6]])
    }

    /// `generateWithCache` gives the activations of the whole final sequence, equal to
    /// `runWithCache` on it (every hook point, within 1e-4 of each tensor's scale).
    @Test(arguments: ["classic/gpt2tiny", "hf/llamatiny/hf", "random/smear"])
    func recordedGenerationEqualsRunWithCache(architecture: String) throws {
        let model = try Self.model(architecture)
        let prompt = [Self.randomTokens(4, vocabulary: model.config.dVocab, seed: 8)]
        let (generation, recorded) = try model.generateWithCache(tokens: prompt, options: GenerationOptions(maxNewTokens: 5, stopAtEOS: false))
        let sequence = generation.tokens[0]
        #expect(sequence.count == 9)
        let (_, whole) = try model.runWithCache(IntTensor(shape: [1, sequence.count], values: sequence))
        #expect(recorded.names == whole.names)
        for name in whole.names {
            let (a, b) = (try recorded.tensor(name), try whole.tensor(name))
            #expect(a.shape == b.shape, "\(name)")
            guard a.shape == b.shape else { continue }
            let finite = b .> Tensor(scalar: -1e30)
            let difference = Self.maxDifference(a.maskedFill(finite .== 0, with: 0), b.maskedFill(finite .== 0, with: 0))
            let scale = max(b.maskedFill(finite .== 0, with: 0).abs().max().scalar, 1)
            #expect(difference <= 1e-4 * scale, "\(architecture) \(name): \(difference)")
        }
    }

    /// What a review found, each now an error or the right answer: gradients through a cached
    /// pass, a cache from another model, a mask after unmasked passes, positions not yet
    /// reached, recording without the cache or without new tokens, EOS ids and context limits.
    @Test func cacheAndHookEdgeCases() throws {
        let model = try Self.model("hf/llamatiny/hf")
        let tokens = IntTensor([[1, 2, 3, 4, 5]])
        // Gradients: a cached pass differentiates like a plain one (this pass's keys and values live).
        let plain = try model.valueWithGradients { try model(tokens).sum() }
        let cached = try model.valueWithGradients { try model.forward(tokens, cache: KeyValueCache(for: model)).sum() }
        let names = model.parameterNames.filter { $0.hasSuffix("W_K") || $0.hasSuffix("W_V") || $0 == "embed.W_E" }
        #expect(names.count == 5)
        for name in names {
            let (a, b) = (try #require(plain.gradients[name]), try #require(cached.gradients[name]))
            #expect(Self.maxDifference(a, b) <= 1e-3 * max(a.abs().max().scalar, 1), "\(name)")
        }
        // A cache made for a model of another shape is refused, not written past.
        let other = try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 24, dHead: 4, nHeads: 4,
                                                                          dVocab: 20, attnOnly: true, nKeyValueHeads: 1), seed: 1)
        let foreign = KeyValueCache(for: other)
        _ = try other.forward(IntTensor([[1, 2]]), cache: foreign)
        let same = try HookedTransformer(config: HookedTransformerConfig(nLayers: 2, dModel: 16, nCtx: 24, dHead: 4, nHeads: 4,
                                                                         dVocab: 20, attnOnly: true, nKeyValueHeads: 4), seed: 1)
        #expect(throws: GenerationError.self) { try same.forward(IntTensor([[3]]), cache: foreign) }
        #expect(throws: GenerationError.self) { try model.forward(IntTensor([[3]]), cache: KeyValueCache(batch: 1, layers: 5, contextLength: 8)) }
        // A cache longer than the model's context is bounded by the model's.
        let long = KeyValueCache(batch: 1, layers: model.config.nLayers, contextLength: model.config.nCtx + 10)
        _ = try model.forward(IntTensor(shape: [1, model.config.nCtx], repeating: 2), cache: long)
        #expect(throws: ModelError.self) { try model.forward(IntTensor([[1]]), cache: long) }
        // A mask on a later pass, after unmasked ones: the cached positions count as real.
        let unmasked = KeyValueCache(for: model), masked = KeyValueCache(for: model)
        _ = try model.forward(IntTensor([[1, 2, 3]]), cache: unmasked)
        _ = try model.forward(IntTensor([[1, 2, 3]]), cache: masked)
        let a = try model.forward(IntTensor([[4, 5]]), cache: unmasked)
        let b = try model.forward(IntTensor([[4, 5]]), cache: masked, mask: IntTensor([[1, 1]]))
        #expect(Self.maxDifference(a, b) <= 1e-5)
        // Positions not reached yet: skipped at step 0, applied when they come; a list keeps
        // the positions of this pass that it names.
        let direction = Tensor.randomNormal([model.config.dModel], seed: 4) * 4
        var options = GenerationOptions(maxNewTokens: 5, stopAtEOS: false)
        for positions in [TensorIndex.at(6), .indices([4, 9]), .indices([1, 6, 30])] {
            let hooks: [Hook] = [.addVector(.residPre(1), direction, positions: positions)]
            let viaCache = try model.generate(tokens: [[1, 2, 3, 4]], options: options, hooks: hooks)
            var recompute = options
            recompute.usesKeyValueCache = false
            #expect(try viaCache.newTokens == model.generate(tokens: [[1, 2, 3, 4]], options: recompute, hooks: hooks).newTokens, "\(positions)")
        }
        let stepCache = KeyValueCache(for: model)
        _ = try model.forward(IntTensor([[1, 2, 3]]), cache: stepCache)
        let snapshot = KeyValueCache(for: model)
        _ = try model.forward(IntTensor([[1, 2, 3]]), cache: snapshot)
        let untouched = try model.forward(IntTensor([[4]]), cache: snapshot)
        let steered = try model.forward(IntTensor([[4]]), cache: stepCache,
                                        hooks: [Hook(.residPre(1)) { x, context in
                                            guard let local = context.positionsInThisPass(.indices([3, 9]), count: x.shape[1]) else { return x }
                                            return x.replacing([.all, local], with: x.selecting([.all, local]) + direction)
                                        }])
        #expect(Self.maxDifference(untouched, steered) > 0.1)
        // Recording ignores usesKeyValueCache = false, and covers the prompt with no new tokens.
        options.usesKeyValueCache = false
        let (run, recorded) = try model.generateWithCache(tokens: [[1, 2, 3]], names: [.residPost(0)], options: options)
        #expect(recorded[.residPost(0)]?.shape == [1, run.tokens[0].count, model.config.dModel])
        options.maxNewTokens = 0
        let (_, prompt) = try model.generateWithCache(tokens: [[1, 2, 3]], names: [.residPost(0)], options: options)
        #expect(prompt[.residPost(0)]?.shape == [1, 3, model.config.dModel])
        // EOS ids must be in the vocabulary.
        #expect(throws: GenerationError.invalidEOS(token: 100_000, vocabulary: model.config.dVocabOut)) {
            try model.generate(tokens: [[1, 2, 3], [4]], options: GenerationOptions(maxNewTokens: 2, eosTokenIDs: [100_000]))
        }
    }
}
