import Foundation
import LensCommandLine
import SwiftLens

/// `lens cache MODEL --tokens TOKENS --out FILE.safetensors [--names …] [--positions …]
/// [--max-memory SIZE] [--process]`: runs a model on token ids and writes every activation (or
/// those `--names` selects) under its TransformerLens hook name, with `logits`,
/// `loss_per_token`, `loss` and the `tokens` themselves.
///
/// MODEL is a directory in the TransformerLens layout (`config.json`, bare or with the config
/// under `cfg`, and `weights.safetensors`) or the Hugging Face layout (GPT-2 or LLaMA
/// `config.json` and `model.safetensors`). TOKENS is read by ``TokenInput``.
///
/// The request is sized before anything is run or allocated: the memory it needs (cache, logits,
/// the forward pass's working memory, the loss, the ids) must fit `--max-memory` (default: the
/// memory available now), and the output must fit the free space of its directory; otherwise it
/// is refused with the size needed and how to shrink it. The output is written to a hidden
/// temporary file beside FILE and renamed at the end, so a failed run leaves no partial file.
enum CacheCommand {
    static let options = OptionTable(command: "lens cache", arguments: [
        .required("MODEL", help: "a GGUF file, or a TransformerLens or Hugging Face model directory"),
    ], options: [
        .string("--tokens", "TOKENS",
                help: "token ids: a JSON array of arrays (or one array: one sequence), inline or in a .json file, or a .safetensors file with an integer `tokens`"),
        .string("--prompt", "TEXT", help: "text, tokenized by the model's own tokenizer (instead of --tokens)"),
        .flag("--prepend-bos", help: "with --prompt: prepend BOS even if the tokenizer would not"),
        .string("--out", "FILE.safetensors", required: true, help: "where to write the activations"),
        .list("--names", "PATTERN,…", help: "cache only these hook points (`*` matches any text, e.g. blocks.*.hook_resid_post,*pattern)"),
        .custom("--positions", "SLICE", expects: "a position (-1), a slice (0:8, -4:, ::2) or positions (0,3,5)",
                help: "keep only these positions of each activation", parse: parsePositions),
        .custom("--max-memory", "SIZE", expects: "a size such as 512M, 4G or 1073741824",
                defaultText: "the memory available now", help: "refuse requests that need more memory than this",
                parse: { MemoryBudget.parseSize($0) }),
        .flag("--process", help: "apply TransformerLens's default weight processing first"),
    ], summary: """
        runs MODEL (a GGUF file, a TransformerLens or Hugging Face directory) on TOKENS (a JSON array of
        arrays, inline or in a .json file, or a .safetensors file with a `tokens` entry) or on a
        --prompt, and
        writes every activation (or those --names selects) under its hook name, plus logits,
        loss_per_token and loss. The request is sized first and refused if it needs more memory
        than --max-memory (default: what is available) or more disk than is free.
        --process applies TransformerLens's default weight processing first.
        """)

    static func run(_ args: ParsedArguments) throws {
        let out = URL(fileURLWithPath: args.string("--out"))
        try checkOutput(out)
        let model = try ModelArgument.load(args.argument("MODEL"), process: args.flag("--process"))
        let prompt = args.string(ifGiven: "--prompt"), tokenArgument = args.string(ifGiven: "--tokens")
        guard (prompt == nil) != (tokenArgument == nil) else {
            throw UsageError(description: "give the input as exactly one of --tokens and --prompt")
        }
        let input: TokenInput
        if let prompt {
            let ids = try model.toTokens(prompt, prependBOS: args.flag("--prepend-bos") ? true : nil)
            input = TokenInput(tokens: ids, source: "--prompt")
        } else {
            input = try TokenInput(tokenArgument!)
        }
        let (batch, length) = (input.shape[0], input.shape[1])
        guard length <= model.config.nCtx else {
            throw UsageError(description: "\(input.source): sequences of \(length) tokens are longer than the model's context n_ctx = \(model.config.nCtx)")
        }
        let names = try nameFilter(args.value(ifGiven: "--names", as: [String].self), model: model)
        let positions: TensorIndex? = args.value(ifGiven: "--positions")

        // Size the request before reading a single id (safetensors) or running anything.
        let estimate: CacheEstimate
        do {
            estimate = try model.cacheEstimate(batch: batch, positions: length, names: names, keeping: positions)
        } catch let error as CacheAnalysisError {
            throw UsageError(description: "--positions does not fit sequences of \(length) tokens: \(error)")
        }
        let need = memoryNeed(estimate)
        let limit: Int? = args.value(ifGiven: "--max-memory")
        if let budget = limit ?? MemoryBudget.available, need > budget {
            throw UsageError(description: overBudget(estimate, need: need, budget: budget, given: limit != nil))
        }
        let outputBytes = outputSize(estimate)
        let directory = out.deletingLastPathComponent()
        if let free = (try? FileManager.default.attributesOfFileSystem(forPath: directory.path))?[.systemFreeSize] as? NSNumber,
           free.int64Value < Int64(outputBytes) {
            throw UsageError(description: "the output needs about \(CacheEstimate.describe(bytes: outputBytes)) but \(directory.path) has "
                             + "\(CacheEstimate.describe(bytes: Int(free.int64Value))) free; cache fewer points (--names), positions (--positions) or sequences")
        }

        let tokens = try input.tokens(vocabulary: model.config.dVocab)
        let (logits, cache) = try model.runWithCache(tokens, names: names, positions: positions, memoryBudget: limit)
        var values: [(name: String, value: SafetensorsValue)] = [("tokens", .int(tokens)), ("logits", .float(logits))]
        if length >= 2 {
            let perToken = try HookedTransformer.perTokenLoss(logits: logits, tokens: tokens)
            values += [("loss_per_token", .float(perToken)), ("loss", .float(perToken.mean()))]
        }
        values += cache.map { (name: $0.name.rawValue, value: SafetensorsValue.float($0.value)) }
        try SafetensorsFile.write(values, metadata: ["format": "swiftlens-cache", "model": model.config.modelName], to: out)
        print("wrote \(cache.count) activations, logits \(logits.shape) and the loss for tokens \(tokens.shape) to \(out.path)")
    }

    /// Token ids for the other commands (`ablate`, `patch`, `scores`), read and checked by
    /// ``TokenInput`` (the model checks them against its vocabulary).
    static func readTokens(_ argument: String) throws -> IntTensor {
        try TokenInput(argument).tokens(vocabulary: Int.max)
    }

    /// Refuses an output path that cannot be written before the model is even loaded.
    static func checkOutput(_ out: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw UsageError(description: "--out \(out.path) is a directory; expected a file name such as acts.safetensors")
        }
        let directory = out.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError(description: "--out: the directory \(directory.path) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: directory.path) else {
            throw UsageError(description: "--out: the directory \(directory.path) is not writable")
        }
    }

    /// The peak memory of the whole command: the library's estimate (cache, logits, working
    /// memory), plus the ids (held as `Int`, and once more while written), the loss's log-softmax
    /// over the logits and the write's 4 MB chunks.
    static func memoryNeed(_ e: CacheEstimate) -> Int {
        let tokenBytes = e.batch.multipliedReportingOverflow(by: e.positions * 8)
        let ids = tokenBytes.overflow ? Int.max : tokenBytes.partialValue
        let loss = e.positions >= 2 ? e.logitsBytes : 0
        return [e.totalBytes, ids, ids, loss, 4 << 20].reduce(0) { a, b in
            let (s, o) = a.addingReportingOverflow(b)
            return o ? Int.max : s
        }
    }

    /// The output file's size: every cached activation, the logits, the ids (I64) and the loss.
    static func outputSize(_ e: CacheEstimate) -> Int {
        let ids = e.batch.multipliedReportingOverflow(by: e.positions * 8)
        let loss = e.batch.multipliedReportingOverflow(by: max(e.positions - 1, 0) * 4)
        let header = e.points.count * 128 + 1024
        return [e.cacheBytes, e.logitsBytes, ids.overflow ? Int.max : ids.partialValue, loss.overflow ? Int.max : loss.partialValue, header]
            .reduce(0) { a, b in
                let (s, o) = a.addingReportingOverflow(b)
                return o ? Int.max : s
            }
    }

    /// The refusal: what is needed, what is allowed, the largest points and how to shrink.
    static func overBudget(_ e: CacheEstimate, need: Int, budget: Int, given: Bool) -> String {
        let largest = e.largest().map { "\($0.name) \($0.shape) \(CacheEstimate.describe(bytes: $0.bytes))" }
        let perSequence = max(1, need / max(e.batch, 1))
        let fits = budget / perSequence
        return "this request needs about \(CacheEstimate.describe(bytes: need)) of memory — \(e) — "
            + "more than the \(CacheEstimate.describe(bytes: budget)) \(given ? "--max-memory allows" : "of memory available now (set a limit with --max-memory)"). "
            + (largest.isEmpty ? "" : "Largest: \(largest.joined(separator: ", ")). ")
            + "To shrink it: cache fewer points with --names (e.g. --names 'blocks.*.hook_resid_post'), "
            + "keep fewer positions with --positions (e.g. --positions -1), "
            + (fits > 0 ? "or pass at most \(fits) sequence\(fits == 1 ? "" : "s") per run (\(e.batch) given)." : "or use shorter sequences.")
    }

    /// The hook points `patterns` select (`*` matches any text; every pattern must match a
    /// point), or all of them.
    static func nameFilter(_ patterns: [String]?, model: HookedTransformer) throws -> NameFilter {
        guard let patterns else { return .all }
        var selected: [HookName] = []
        for pattern in patterns {
            let matched = model.hookPoints.filter { matches($0.rawValue, pattern) }
            guard !matched.isEmpty else {
                let pieces: [String] = pattern.components(separatedBy: "*")
                let longest = pieces.max { $0.count < $1.count } ?? pattern
                let near = longest.isEmpty ? [] : model.hookPoints.filter { $0.rawValue.contains(longest) }
                throw UsageError(description: "--names: \"\(pattern)\" matches no hook point of this model"
                                 + (near.isEmpty ? " (e.g. \(model.hookPoints.prefix(3).map(\.rawValue).joined(separator: ", ")))"
                                                 : " (similar: \(near.prefix(3).map(\.rawValue).joined(separator: ", ")))"))
            }
            selected += matched
        }
        let set = Set(selected)
        return .only(model.hookPoints.filter { set.contains($0) })
    }

    /// Whether `text` matches `pattern`, where `*` matches any run of characters.
    static func matches(_ text: String, _ pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return text == pattern }
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(parts.last!)
    }

    /// `-1` (one position), `A:B` / `A:B:S` with optional parts (a slice), or `0,3,5`.
    @Sendable static func parsePositions(_ text: String) -> TensorIndex? {
        if text.contains(":") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count <= 3 else { return nil }
            var bounds: [Int?] = []
            for part in parts {
                if part.isEmpty { bounds.append(nil); continue }
                guard let value = Int(part) else { return nil }
                bounds.append(value)
            }
            let step = parts.count == 3 ? (bounds[2] ?? 1) : 1
            guard step > 0 else { return nil }
            return .stride(bounds[0], bounds[1], step)
        }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !items.isEmpty, items.allSatisfy({ $0 != nil }) else { return nil }
        return items.count == 1 ? .at(items[0]!) : .indices(items.map { $0! })
    }
}
