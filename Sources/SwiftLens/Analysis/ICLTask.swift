/// A word-to-word in-context task — antonyms, country → capital, lowercase → uppercase … — as
/// Todd et al. (2023, "Function Vectors in Large Language Models") use them: a list of
/// (input, output) pairs from which few-shot prompts are drawn,
///
///     x₁ → y₁⏎x₂ → y₂⏎ … x_n → y_n⏎x_q →
///
/// whose correct continuation is " y_q". Scoring reads the first token of " y_q" only (the
/// paper's first-token accuracy), so outputs may span several tokens.
///
/// Ready-made tasks written in the source are in `ICLTask+Examples.swift` (``antonyms``,
/// ``countryCapitals``, ``uppercase``, ``pastTense``, ``plural``, ``frenchNumbers``).
public struct ICLTask: Sendable {
    /// One demonstration or query: `input → output`.
    public struct Pair: Sendable, Equatable {
        public let input: String
        public let output: String
        public init(_ input: String, _ output: String) {
            self.input = input
            self.output = output
        }
    }

    /// Why a task or its prompts cannot be built.
    public enum TaskError: Error, CustomStringConvertible, Equatable {
        case tooFewPairs(task: String, needed: Int, found: Int)
        case invalidPair(task: String, pair: Int, why: String)
        case invalidCount(String)

        public var description: String {
            switch self {
            case let .tooFewPairs(task, needed, found):
                "task \(task) has \(found) pairs; prompts with these shots need at least \(needed) distinct pairs (shots + 1)"
            case let .invalidPair(task, pair, why): "task \(task), pair \(pair): \(why)"
            case let .invalidCount(why): why
            }
        }
    }

    /// Which labels the demonstrations of a prompt show.
    public enum Labels: Sendable {
        /// Each demonstration's own output: the task is shown.
        case correct
        /// The demonstrations' outputs permuted among them (no demonstration keeps its own), so
        /// the prompt has the task's format and words but not its mapping — the corrupted
        /// prompts whose heads the average indirect effect patches.
        case shuffled
    }

    public let name: String
    public let pairs: [Pair]
    /// What goes between input and output: " →" (then a space and the output).
    public static let separator = " →"

    /// - Throws: ``TaskError`` for fewer than 2 pairs, or an empty input or output, or one
    ///   holding a newline (the prompt's delimiter).
    public init(name: String, pairs: [Pair]) throws {
        guard pairs.count >= 2 else { throw TaskError.tooFewPairs(task: name, needed: 2, found: pairs.count) }
        for (i, pair) in pairs.enumerated() {
            for (what, text) in [("input", pair.input), ("output", pair.output)] {
                if text.isEmpty { throw TaskError.invalidPair(task: name, pair: i, why: "empty \(what)") }
                if text.contains("\n") {
                    throw TaskError.invalidPair(task: name, pair: i, why: "the \(what) \(text.debugDescription) holds a newline, the prompt's delimiter")
                }
            }
        }
        self.name = name
        self.pairs = pairs
    }

    /// The prompt for `demonstrations` then `query`: `"x₁ → y₁\n … x_q →"` (just `"x_q →"`
    /// without demonstrations, the zero-shot prompt).
    public static func prompt(demonstrations: [Pair], query: String) -> String {
        demonstrations.map { "\($0.input)\(separator) \($0.output)\n" }.joined() + query + separator
    }

    /// `count` prompts of `shots` demonstrations each, drawn with `seed`: each prompt takes
    /// shots + 1 distinct pairs, the last one being its query; its answer is the first token of
    /// " output". With `labels: .shuffled` the demonstrations' outputs are permuted among them
    /// (a derangement; the query and answer stay). The same seed draws the same pairs whatever
    /// the labels, so clean and shuffled prompt sets correspond row by row.
    /// - Throws: ``TaskError`` when shots + 1 exceeds the pairs, `count` < 1, shots < 0, or
    ///   shuffled labels with fewer than 2 shots; the tokenizer's errors.
    /// - Note: when one output makes up more than half of a prompt's demonstrations no
    ///   derangement exists; those demonstrations are then left as drawn.
    public func prompts(for model: HookedTransformer, count: Int, shots: Int, seed: UInt64, labels: Labels = .correct) throws -> ICLPromptSet {
        guard count >= 1 else { throw TaskError.invalidCount("a prompt set needs count ≥ 1, found \(count)") }
        guard shots >= 0 else { throw TaskError.invalidCount("shots must be ≥ 0, found \(shots)") }
        guard shots + 1 <= pairs.count else { throw TaskError.tooFewPairs(task: name, needed: shots + 1, found: pairs.count) }
        if labels == .shuffled && shots < 2 {
            throw TaskError.invalidCount("shuffled labels need at least 2 demonstrations to permute, found \(shots)")
        }
        // Two streams, so that shuffling does not change which pairs later prompts draw.
        var generator = RandomGenerator(seed: seed), shuffler = RandomGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15)
        var texts: [String] = [], queries: [Pair] = []
        for _ in 0..<count {
            let drawn = generator.sampleWithoutReplacement(shots + 1, from: pairs.count).map { pairs[$0] }
            var demonstrations = Array(drawn.prefix(shots))
            if labels == .shuffled {
                let outputs = demonstrations.map(\.output)
                let order = Self.derangement(of: outputs, using: &shuffler)
                demonstrations = demonstrations.indices.map { Pair(demonstrations[$0].input, outputs[order[$0]]) }
            }
            texts.append(Self.prompt(demonstrations: demonstrations, query: drawn[shots].input))
            queries.append(drawn[shots])
        }
        return try ICLPromptSet(model: model, texts: texts, queries: queries)
    }

    /// A random permutation of the indices of `outputs` that leaves no output in place — not
    /// even an equal one from another index (two antonyms can share "light") — by rejection;
    /// the identity when no such permutation exists (all outputs equal).
    static func derangement(of outputs: [String], using generator: inout RandomGenerator) -> [Int] {
        let n = outputs.count
        guard Set(outputs).count > 1 else { return Array(0..<n) }
        for _ in 0..<10_000 {
            let order = generator.sampleWithoutReplacement(n, from: n)
            if order.indices.allSatisfy({ outputs[order[$0]] != outputs[$0] }) { return order }
        }
        return Array(0..<n)
    }
}
