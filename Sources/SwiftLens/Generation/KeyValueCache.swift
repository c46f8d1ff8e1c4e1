import Foundation

/// The keys and values of the positions a model has already read, per layer, so that the next
/// forward pass reads only the new positions (generation's incremental decoding).
///
/// What is kept, per layer: keys and values [batch, cached_pos, kv_head, d_head] — grouped-query
/// models keep their key-value heads, not the expanded ones — as attention uses them: after
/// `hook_k` / `hook_v`, after rotary (`hook_rot_k`) and key smearing, so an edit a hook makes to
/// a key or value persists for every later step. (TransformerLens keeps keys before rotary and
/// re-rotates all of them each step; rotating once is cheaper and gives the same values.) Plus
/// which cached positions are real (padding of a left-padded batch) and where each row's next
/// position is.
///
/// Use one cache for one sequence batch: pass it to ``HookedTransformer/forward(_:cache:hooks:)``
/// step after step, or let ``HookedTransformer/generate(_:options:hooks:onToken:)`` manage it.
/// Not for concurrent use.
public final class KeyValueCache {
    /// Rows of the batch.
    public let batch: Int
    /// Positions cached so far (including padding).
    public private(set) var length = 0
    /// The context length of the model; `length` + new positions may not exceed it.
    public let contextLength: Int
    /// Per layer, keys and values [batch, capacity, kv_head, d_head]: the first `length`
    /// positions of each row are the cache; the capacity doubles as it fills, so a step writes
    /// its new rows in place instead of copying the whole cache.
    private var keyBuffers: [Tensor?]
    private var valueBuffers: [Tensor?]
    /// Per layer, the last cached key before smearing (models with `smear_keys`, whose next
    /// key mixes in the previous one).
    private var lastUnsmearedKeys: [Tensor?]
    /// The last key before smearing that the pass in progress stages, per layer.
    private var stagedUnsmeared: [Tensor?]
    /// [batch, length]: 1 for a real position, 0 for padding (nil: every position is real).
    public private(set) var attentionMask: IntTensor?
    /// Each row's next absolute position, when rows start at different places (left padding).
    private var nextRowPositions: [Int]?

    /// An empty cache for `batch` rows of a model with `layers` blocks and context `contextLength`.
    public init(batch: Int, layers: Int, contextLength: Int) {
        self.batch = batch
        self.contextLength = contextLength
        keyBuffers = Array(repeating: nil, count: layers)
        valueBuffers = Array(repeating: nil, count: layers)
        lastUnsmearedKeys = Array(repeating: nil, count: layers)
        stagedUnsmeared = Array(repeating: nil, count: layers)
    }

    /// An empty cache for `model` and `batch` rows.
    public convenience init(for model: HookedTransformer, batch: Int = 1) {
        self.init(batch: batch, layers: model.config.nLayers, contextLength: model.config.nCtx)
    }

    /// Throws unless this cache can hold `model`'s keys and values: its layer count, and (once
    /// filled) its key-value heads and head width.
    func check(for model: HookedTransformer) throws {
        let c = model.config
        guard keyBuffers.count == c.nLayers else {
            throw GenerationError.cacheMismatch("the cache has \(keyBuffers.count) layers, the model \(c.nLayers)")
        }
        if let held = keyBuffers.compactMap({ $0 }).first, Array(held.shape.dropFirst(2)) != [c.keyValueHeads, c.dHead] {
            throw GenerationError.cacheMismatch("the cache holds [kv_head, d_head] = \(Array(held.shape.dropFirst(2))), the model [\(c.keyValueHeads), \(c.dHead)]")
        }
    }

    /// The cached keys of `layer`, [batch, length, kv_head, d_head] (nil before the first pass).
    public func keys(layer: Int) -> Tensor? { keyBuffers[layer].map { cached($0) } }

    /// The cached values of `layer`, [batch, length, kv_head, d_head] (nil before the first pass).
    public func values(layer: Int) -> Tensor? { valueBuffers[layer].map { cached($0) } }

    /// Bytes the key and value buffers hold.
    public var byteCount: Int {
        (keyBuffers + valueBuffers).reduce(0) { $0 + ($1?.count ?? 0) } * MemoryLayout<Float>.size
    }

    /// The first `length` positions of a buffer.
    private func cached(_ buffer: Tensor) -> Tensor {
        buffer.shape[1] == length ? buffer : buffer[.all, ..<length]
    }

    // MARK: Planning a pass

    /// The plan of a pass over `newPositions` positions of every row, `mask` [batch, new] saying
    /// which are real (nil: all): the offset, the mask over cached + new positions and each
    /// row's positions. Throws when the cache would outgrow the context.
    func plan(newPositions: Int, mask: IntTensor?) throws -> ForwardPlan {
        if let mask, mask.shape != [batch, newPositions] {
            throw ModelError.invalidTokensShape(mask.shape)
        }
        guard length + newPositions <= contextLength else {
            throw ModelError.contextExceeded(cached: length, new: newPositions, contextLength: contextLength)
        }
        var plan = ForwardPlan()
        plan.positionOffset = length
        plan.keyValueCache = self
        let needsMask = mask != nil || attentionMask != nil
        guard needsMask else { return plan }
        let newMask = mask ?? IntTensor(shape: [batch, newPositions], values: Array(repeating: 1, count: batch * newPositions))
        // Positions cached without a mask were all real.
        let cachedMask = attentionMask ?? (length > 0 ? IntTensor(shape: [batch, length], repeating: 1) : nil)
        let full = cachedMask.map { IntTensor.concatenate([$0, newMask], axis: 1) } ?? newMask
        plan.attentionMask = full
        // Each row's positions continue from its own count of real tokens.
        var next = nextRowPositions ?? Array(repeating: length, count: batch)
        var positions = [Int](repeating: 0, count: batch * newPositions)
        let m = newMask.scalars
        for b in 0..<batch {
            for p in 0..<newPositions where m[b * newPositions + p] != 0 {
                positions[b * newPositions + p] = next[b]
                next[b] += 1
            }
        }
        plan.rowPositions = IntTensor(shape: [batch, newPositions], values: positions)
        plan.pendingRowPositions = next
        return plan
    }

    /// Makes a finished pass's keys, values, mask and row positions part of the cache.
    func commit(_ plan: ForwardPlan, newPositions: Int) {
        for layer in lastUnsmearedKeys.indices {
            if let key = stagedUnsmeared[layer] { lastUnsmearedKeys[layer] = key }
        }
        discardStaged()
        length += newPositions
        if let mask = plan.attentionMask { attentionMask = mask }
        if let next = plan.pendingRowPositions { nextRowPositions = next }
    }

    /// Forgets what a pass that failed (a hook threw) staged: the cache stays as it was (rows a
    /// failed pass wrote past `length` are never read).
    func discardStaged() {
        stagedUnsmeared = Array(repeating: nil, count: lastUnsmearedKeys.count)
    }

    // MARK: Attention's side

    /// Writes the new keys and values of `layer` ([batch, new, kv_head, d_head]) after the
    /// cached ones and returns the buffers ([batch, capacity, kv_head, d_head]) with the count
    /// of positions they now hold for this pass (cached + new): attention reads that many. They
    /// join the cache when the pass commits.
    func append(layer: Int, keys newKeys: Tensor, values newValues: Tensor) -> (keys: Tensor, values: Tensor, count: Int) {
        let count = length + newKeys.shape[1]
        let k = Self.write(newKeys, into: &keyBuffers[layer], at: length, count: count, limit: contextLength)
        let v = Self.write(newValues, into: &valueBuffers[layer], at: length, count: count, limit: contextLength)
        return (k, v, count)
    }

    /// Writes `rows` [batch, new, …] at positions `start ..< count` of `buffer` [batch,
    /// capacity, …], growing it (doubling, at most `limit` positions) when it is too short.
    private static func write(_ rows: Tensor, into buffer: inout Tensor?, at start: Int, count: Int, limit: Int) -> Tensor {
        let (batch, new) = (rows.shape[0], rows.shape[1])
        let width = rows.count / max(batch * new, 1)
        precondition(buffer.map { $0.shape[0] == batch && Array($0.shape.dropFirst(2)) == Array(rows.shape.dropFirst(2)) } ?? true,
                     "KeyValueCache: rows \(rows.shape) do not fit the cached \(buffer?.shape ?? [])")
        let capacity = buffer?.shape[1] ?? 0
        if capacity < count {
            let grown = min(max(count, 2 * capacity, 16), max(limit, count))
            var bigger = Tensor(shape: [batch, grown] + Array(rows.shape.dropFirst(2)), repeating: 0)
            if let old = buffer, start > 0 {
                old.withUnsafeBufferPointer { o in
                    bigger.withUnsafeMutableBufferPointer { b in
                        for row in 0..<batch {
                            (b.baseAddress! + row * grown * width).update(from: o.baseAddress! + row * capacity * width, count: start * width)
                        }
                    }
                }
            }
            buffer = bigger
        }
        let rowsHeld = buffer!.shape[1]
        let source = rows.detached
        buffer!.withUnsafeMutableBufferPointer { b in
            source.withUnsafeBufferPointer { r in
                for row in 0..<batch {
                    (b.baseAddress! + (row * rowsHeld + start) * width).update(from: r.baseAddress! + row * new * width, count: new * width)
                }
            }
        }
        return buffer!
    }

    /// The last key of `layer` before smearing, [batch, 1, kv_head, d_head] (nil at the start).
    func lastUnsmearedKey(layer: Int) -> Tensor? { lastUnsmearedKeys[layer] }

    /// Stages the last unsmeared key of this pass for `layer`.
    func stageLastUnsmearedKey(_ key: Tensor, layer: Int) { stagedUnsmeared[layer] = key.detached }
}

extension KeyValueCache {
    /// An independent copy of this cache: passes run on the copy leave this one as it is. The
    /// buffers are shared until either side writes (copy-on-write), so a copy is cheap. Use it to
    /// run many different continuations of one cached prefix — e.g. one intervention per head
    /// at the last position of a batch of prompts, reading the prompts' keys and values once.
    public func copy() -> KeyValueCache {
        let twin = KeyValueCache(batch: batch, layers: keyBuffers.count, contextLength: contextLength)
        twin.length = length
        twin.keyBuffers = keyBuffers
        twin.valueBuffers = valueBuffers
        twin.lastUnsmearedKeys = lastUnsmearedKeys
        twin.attentionMask = attentionMask
        twin.nextRowPositions = nextRowPositions
        return twin
    }
}
