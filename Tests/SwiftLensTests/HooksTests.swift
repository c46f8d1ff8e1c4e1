import Foundation
import SwiftLens
import Testing

/// The hooks API: scoping, ordering, prepend, permanence, context storage, predicates, and the
/// errors TransformerLens stays silent about.
@Suite struct HooksTests {
    let model: HookedTransformer
    let tokens: IntTensor

    init() throws {
        model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
    }

    struct Boom: Error {}

    @Test func hookNamesAndShorthand() {
        #expect(HookName.pattern(1).rawValue == "blocks.1.attn.hook_pattern")
        #expect(getActName("k", 6) == "blocks.6.attn.hook_k")
        #expect(getActName("k6") == "blocks.6.attn.hook_k")
        #expect(getActName("resid_pre", 3) == "blocks.3.hook_resid_pre")
        #expect(getActName("normalized", 27, "ln2") == "blocks.27.ln2.hook_normalized")
        #expect(getActName("scale4ln1") == "blocks.4.ln1.hook_scale")
        #expect(getActName("embed") == "hook_embed")
        #expect(getActName("scale") == "ln_final.hook_scale")
        #expect(getActName("attn", 2) == "blocks.2.attn.hook_pattern")
        #expect(getActName("mlp_post", 0) == "blocks.0.mlp.hook_post")
        #expect(getActName("blocks.0.attn.hook_q") == "blocks.0.attn.hook_q")
        #expect(HookName.result(3).layer == 3 && HookName.embed.layer == nil)
        #expect(HookName.mlpPreLinear(2).activation == "pre_linear")
    }

    @Test func hookPointsListedInFiringOrder() {
        #expect(model.hookPoints.first == .embed && model.hookPoints.last == .finalNormalized)
        #expect(model.hookPoints.contains(.mlpIn(1)) && model.hookPoints.contains(.result(0)))
        #expect(model.hookPoints(where: { $0.activation == "pattern" }) == [.pattern(0), .pattern(1)])
    }

    @Test func hooksRunInOrderEachSeeingThePreviousOutput() throws {
        var seen: [Float] = []
        let first = Hook(.residPost(1)) { x, _ in seen.append(x.mean().scalar); return x + 1 }
        let second = Hook(.residPost(1)) { x, _ in seen.append(x.mean().scalar); return x * 2 }
        let clean = try model.cache(tokens, names: [.residPost(1)])[.residPost(1)]!
        _ = try model(tokens, hooks: [first, second])
        #expect(abs(seen[1] - (seen[0] + 1)) < 1e-4)
        // The cache sees the result of hooks that ran before it.
        let (_, cache) = try model.runWithCache(tokens, names: [.residPost(1)], hooks: [first, second])
        #expect(cache[.residPost(1)]!.isApproximatelyEqual(to: (clean + 1) * 2, absoluteTolerance: 1e-5))
        // prepend puts a hook first.
        var order: [String] = []
        let handle = try model.addHook(Hook(.embed) { _, _ in order.append("added"); return nil })
        try model.addHook(Hook(.embed) { _, _ in order.append("prepended"); return nil }, prepend: true)
        _ = try model(tokens, hooks: [Hook(.embed) { _, _ in order.append("call"); return nil }])
        #expect(order == ["prepended", "added", "call"])
        #expect(model.removeHook(handle))
        model.resetHooks()
        #expect(model.attachedHooks.isEmpty)
    }

    @Test func scopesRemoveTheirHooksAlsoWhenThrowing() throws {
        let clean = try model(tokens)
        let doubled = Hook(.residPost(1)) { x, _ in x * 2 }
        let inside = try model.withHooks([doubled]) { try model(tokens) }
        #expect(inside != clean)
        #expect(model.attachedHooks.isEmpty)
        #expect(try model(tokens) == clean)
        // A closure that throws: the error propagates and nothing stays attached.
        #expect(throws: Boom.self) {
            try model.withHooks([doubled, Hook(.z(0)) { _, _ in throw Boom() }]) { try model(tokens) }
        }
        #expect(model.attachedHooks.isEmpty)
        #expect(throws: Boom.self) { try model.withHooks([doubled]) { throw Boom() } }
        #expect(model.attachedHooks.isEmpty)
        // Nested scopes each remove their own.
        try model.withHooks([doubled]) {
            try model.withHooks([doubled]) { #expect(model.attachedHooks.count == 2) }
            #expect(model.attachedHooks.count == 1)
        }
        #expect(try model(tokens) == clean)
    }

    @Test func permanentHooksSurviveReset() throws {
        let clean = try model(tokens)
        try model.addHook(Hook(.residPost(0)) { x, _ in x * 0.5 }, permanent: true)
        try model.addHook(Hook(.residPost(1)) { x, _ in x * 0.5 })
        model.resetHooks()
        #expect(model.attachedHooks.count == 1)
        #expect(try model(tokens) != clean)
        model.resetHooks(includingPermanent: true)
        #expect(model.attachedHooks.isEmpty)
        #expect(try model(tokens) == clean)
    }

    @Test func contextStoragePersistsPerHookPoint() throws {
        let counter = Hook(.pattern(0)) { pattern, context in
            context.storage["calls"] = ((context.storage["calls"] as? Int) ?? 0) + 1
            context.storage["first head"] = pattern[.all, 0]
            #expect(context.layer == 0 && context.name == .pattern(0))
            return nil
        }
        // Attached hooks share the model's persistent context (TransformerLens's hook.ctx).
        let handle = try model.addHook(counter)
        defer { model.removeHook(handle) }
        _ = try model(tokens)
        _ = try model(tokens)
        #expect(model.hookContext(.pattern(0))?["calls"] as? Int == 2)
        #expect((model.hookContext(.pattern(0))?["first head"] as? Tensor)?.shape == [2, 62, 62])
        model.clearContexts()
        #expect(model.hookContext(.pattern(0))?["calls"] == nil)
    }

    @Test func perCallHooksGetFreshContextsSharedWithinTheCall() throws {
        // Two hooks of one call on one point share its storage; the next call starts empty and
        // the model's persistent context is untouched.
        let writer = Hook(.z(0)) { _, context in
            #expect(context.storage["seen"] == nil)
            context.storage["seen"] = true
            return nil
        }
        let reader = Hook(.z(0)) { _, context in
            #expect(context.storage["seen"] as? Bool == true)
            #expect(context.layout == .perHead(heads: model.config.nHeads) && context.positionOffset == 0)
            return nil
        }
        _ = try model(tokens, hooks: [writer, reader])
        _ = try model(tokens, hooks: [writer, reader])
        #expect(model.hookContext(.z(0))?["seen"] == nil)
    }

    /// Eight calls on eight threads at once, each with per-call hooks that use their context
    /// storage and one ablating a different head, and an attached observer counting in the
    /// persistent context, give exactly the results of the same calls run one after another.
    /// (Before per-call storage this crashed 10 of 10 runs.) Run under the thread sanitizer:
    /// `swift test --sanitize=thread --filter concurrentCallsEqualSequentialOnes`.
    @Test func concurrentCallsEqualSequentialOnes() throws {
        let counter = Hook.observe(.residPost(0)) { _, context in
            context.storage["calls"] = ((context.storage["calls"] as? Int) ?? 0) + 1
        }
        let handle = try model.addHook(counter)
        defer { model.removeHook(handle) }
        @Sendable func hooks(_ i: Int) -> [Hook] {
            [Hook(where: { $0.activation == "pattern" }) { pattern, context in
                 context.storage["max"] = pattern.max().scalar
                 return nil
             },
             Hook(.z(i % model.config.nLayers)) { z, context in
                 context.storage["head"] = i % model.config.nHeads
                 var z = z
                 z[.all, .all, context.storage["head"] as! Int] = Tensor(scalar: 0)
                 return z
             }]
        }
        let sequential = try (0..<8).map { try model(tokens, hooks: hooks($0)) }
        let results = ConcurrentResults(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            results.set(i, Result { try model(tokens, hooks: hooks(i)) })
        }
        for i in 0..<8 { #expect(try results.get(i).get() == sequential[i]) }
        #expect(model.hookContext(.residPost(0))?["calls"] as? Int == 16)
    }

    @Test func predicatesReachEveryMatchingPoint() throws {
        var names: [HookName] = []
        _ = try model(tokens, hooks: [Hook.observe(where: { $0.activation == "z" }) { _, c in names.append(c.name) }])
        #expect(names == [.z(0), .z(1)])
    }

    @Test func unknownPointsAndWrongShapesAreErrors() throws {
        // A name the model lacks (attention-only models have no MLP hooks; rotary models no pos_embed).
        let attnOnly = try HookedTransformer.load(directory: Fixtures.url("classic/attn2l"))
        #expect(throws: HookError.self) { try attnOnly(tokens, hooks: [Hook(.mlpOut(0)) { x, _ in x }]) }
        #expect(throws: HookError.self) { try model(tokens, hooks: [Hook("blocks.0.attn.hook_patern") { x, _ in x }]) }
        #expect(throws: HookError.noMatchingHookPoint) { try model(tokens, hooks: [Hook(where: { $0.activation == "nope" }) { x, _ in x }]) }
        #expect(throws: HookError.self) { try model.addHook(Hook(.z(7)) { x, _ in x }) }
        #expect(throws: HookError.self) { try model.withHooks([Hook(.z(7)) { x, _ in x }]) {} }
        #expect(model.attachedHooks.isEmpty)
        do {
            _ = try model(tokens, hooks: [Hook(.z(1)) { x, _ in x[.all, .all, 0] }])
            Issue.record("expected a shape error")
        } catch let error as HookError {
            #expect(error == .shapeMismatch(hook: .z(1), expected: [2, 62, 4, 16], found: [2, 62, 16]))
            #expect(error.description.contains("blocks.1.attn.hook_z") && error.description.contains("[2, 62, 4, 16]"))
        }
        #expect(HookError.unknownHookPoint("blocks.0.attn.hook_patern", suggestions: [.pattern(0)]).description.contains("did you mean"))
    }

    @Test func readyMadeHooksCompose() throws {
        // Zero-ablating a neuron, a position and a head, plus a user closure, in one list.
        let hooks: [Hook] = [
            .zeroAblate(.mlpPost(0), .all, .all, 5),
            .zeroAblate(.residPre(1), .all, 3),
            .zeroAblateHead(Head(layer: 1, head: 0), result: true),
            Hook.observe(.mlpPost(0)) { post, _ in #expect(post[.all, .all, 5].abs().max().scalar == 0) },
            Hook.observe(.result(1)) { result, _ in #expect(result[.all, .all, 0].abs().max().scalar == 0) },
        ]
        let (_, cache) = try model.runWithCache(tokens, names: [.residPre(1), .attnOut(1), .residMid(1)], hooks: hooks)
        #expect(cache[.residPre(1)]![.all, 3].abs().max().scalar == 0)
        // Steering adds a vector; patching from a cache restores the clean activation.
        let direction = Tensor.randomNormal([64], seed: 1)
        let (_, steered) = try model.runWithCache(tokens, names: [.residPost(0)], hooks: [.addVector(.residPost(0), direction, coefficient: 2)])
        let clean = try model.cache(tokens, names: [.residPost(0)])
        #expect((steered[.residPost(0)]! - clean[.residPost(0)]!).isApproximatelyEqual(to: (2 * direction).expanded(to: [2, 62, 64]),
                                                                                    absoluteTolerance: 1e-4))
        let patched = try model(tokens, hooks: [.zeroAblate(.residPost(0), .all, .all), .patch(.residPost(0), from: clean)])
        #expect(patched == (try model(tokens)))
        let recorder = CacheRecorder(layerCount: 2)
        _ = try model(tokens, hooks: [.cache(into: recorder, names: [.z(0), .z(1)])])
        #expect(recorder.cache.names == [.z(0), .z(1)])
    }
}

/// Calls that carry their own hooks do not touch the model's state and may run concurrently.
@Suite struct ConcurrentRunTests {
    struct Shared: @unchecked Sendable { let model: HookedTransformer; let tokens: IntTensor }

    @Test func concurrentCallsGiveSerialResults() throws {
        let model = try HookedTransformer.load(directory: Fixtures.url("classic/gpt2tiny"))
        let tokens = try Fixtures.open("classic/gpt2tiny/activations.safetensors").intTensor("tokens")
        let expected = try (0..<4).map { head in try model(tokens, hooks: [.zeroAblateHead(Head(layer: 1, head: head))]) }
        let shared = Shared(model: model, tokens: tokens)
        let results = ResultBox(count: 4)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let head = i % 4
            let logits = try? shared.model(shared.tokens, hooks: [.zeroAblateHead(Head(layer: 1, head: head))])
            results.set(head, logits)
        }
        for head in 0..<4 { #expect(results.get(head) == expected[head]) }
    }

    final class ResultBox: @unchecked Sendable {
        private var values: [Tensor?]
        private let lock = NSLock()
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ t: Tensor?) { lock.lock(); values[i] = t; lock.unlock() }
        func get(_ i: Int) -> Tensor? { lock.lock(); defer { lock.unlock() }; return values[i] }
    }
}

/// Results written by concurrent workers, one slot each.
final class ConcurrentResults: @unchecked Sendable {
    private var slots: [Result<Tensor, Error>?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Result<Tensor, Error>) { lock.withLock { slots[i] = value } }
    func get(_ i: Int) -> Result<Tensor, Error> { lock.withLock { slots[i]! } }
}
