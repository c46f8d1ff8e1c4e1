/// Reverse-mode automatic differentiation over `Tensor` operations.
///
/// Nothing is recorded unless you ask: a tape records only while its ``record(_:)`` closure
/// runs, and only operations that have at least one *tracked* input — a tensor returned by
/// ``watch(_:)`` or computed from one during recording. Inference therefore pays nothing.
///
/// ```swift
/// let tape = GradientTape()
/// let (loss, w) = tape.record {
///     let w = tape.watch(weights)
///     return ((x.matmul(w) - y).square().mean(), w)
/// }
/// let dw = tape.gradient(of: loss, withRespectTo: w)
/// ```
///
/// Every operation's backward sits beside its forward (fused for softmax, log-softmax,
/// cross-entropy, layer norm, RMS norm and the activations) and is checked against finite
/// differences in the tests. A tape is not thread-safe: record on one thread at a time.
/// Higher-order gradients are not supported (backward passes record nothing).
public final class GradientTape {
    /// One recorded operation (or a watched leaf, which has no pullback).
    struct Entry {
        /// Tape ids of the inputs; −1 for an input that is not tracked.
        let inputs: [Int]
        let pullback: Pullback?
    }

    /// Maps the gradient of an operation's output to the gradients of its inputs (`nil` for an
    /// input that needs none). `needs[i]` tells whether input `i` is tracked.
    typealias Pullback = (_ gradient: Tensor, _ needs: [Bool]) -> [Tensor?]

    private(set) var entries: [Entry] = []

    /// Whether operations on tracked tensors are being recorded right now.
    public private(set) var isRecording = false

    public init() {}

    /// Runs `body` with this tape recording. Calls may nest; the previous state is restored
    /// afterwards, also when `body` throws.
    public func record<R>(_ body: () throws -> R) rethrows -> R {
        let saved = isRecording
        isRecording = true
        defer { isRecording = saved }
        return try body()
    }

    /// A copy of `tensor` that this tape tracks, so gradients can be taken with respect to it.
    public func watch(_ tensor: Tensor) -> Tensor {
        var t = tensor
        t.link = GradientLink(tape: self, id: entries.count)
        entries.append(Entry(inputs: [], pullback: nil))
        return t
    }

    /// The tape that records an operation on `inputs`, if any: the recording tape tracking one
    /// of them.
    static func recording(_ inputs: Tensor...) -> GradientTape? {
        for t in inputs {
            if let tape = t.link?.tape, tape.isRecording { return tape }
        }
        return nil
    }

    /// Links `output` to a new entry whose inputs are `inputs`.
    func recorded(_ output: Tensor, inputs: [Tensor], pullback: @escaping Pullback) -> Tensor {
        var out = output
        let ids = inputs.map { t -> Int in
            if let link = t.link, link.tape === self { return link.id }
            return -1
        }
        out.link = GradientLink(tape: self, id: entries.count)
        entries.append(Entry(inputs: ids, pullback: pullback))
        return out
    }

    /// dOutput/dInput for each of `inputs`, where `output` was computed on this tape.
    ///
    /// - Parameters:
    ///   - seed: the gradient flowing into `output` (default: ones, i.e. the gradient of
    ///     `output.sum()`; for a scalar loss this is dLoss/dInput).
    /// - Returns: one gradient per input, shaped like it; zeros for an input `output` does not
    ///   depend on.
    /// - Precondition: `output` and every input are tracked by this tape.
    public func gradients(of output: Tensor, withRespectTo inputs: [Tensor], seed: Tensor? = nil) -> [Tensor] {
        guard let outLink = output.link, outLink.tape === self else {
            preconditionFailure("gradients(of:): the output is not tracked by this tape (was it computed inside record { } from a watched tensor?)")
        }
        let wanted = inputs.map { t -> Int in
            guard let link = t.link, link.tape === self else {
                preconditionFailure("gradients(of:withRespectTo:): an input of shape \(t.shape) is not tracked by this tape")
            }
            return link.id
        }
        if let seed { precondition(seed.shape == output.shape, "seed shape \(seed.shape) differs from output shape \(output.shape)") }
        let saved = isRecording
        isRecording = false
        defer { isRecording = saved }
        gradientHookError = nil

        var grads = [Tensor?](repeating: nil, count: entries.count)
        grads[outLink.id] = (seed ?? Tensor(shape: output.shape, repeating: 1)).detached
        let lowest = wanted.min() ?? 0
        let wantedSet = Set(wanted)
        var id = outLink.id
        while id >= lowest {
            defer { id -= 1 }
            guard let g = grads[id], let pullback = entries[id].pullback else { continue }
            // Drop the tape's reference first, so a pullback may reuse the gradient's buffer.
            if !wantedSet.contains(id) { grads[id] = nil }
            let inputIds = entries[id].inputs
            let inputGrads = pullback(g, inputIds.map { $0 >= 0 })
            for (k, inputId) in inputIds.enumerated() where inputId >= 0 {
                guard let ig = inputGrads[k] else { continue }
                if let existing = grads[inputId] {
                    grads[inputId] = existing + ig.detached
                } else {
                    grads[inputId] = ig.detached
                }
            }
        }
        return zip(inputs, wanted).map { t, id in grads[id] ?? Tensor(shape: t.shape, repeating: 0) }
    }

    /// dOutput/dInput for one input; see ``gradients(of:withRespectTo:seed:)``.
    public func gradient(of output: Tensor, withRespectTo input: Tensor, seed: Tensor? = nil) -> Tensor {
        gradients(of: output, withRespectTo: [input], seed: seed)[0]
    }

    /// Whether `tensor` was watched or computed on this tape (so gradients of it can be taken).
    public func tracks(_ tensor: Tensor) -> Bool { tensor.link?.tape === self }

    /// Number of recorded entries (watched leaves and operations).
    public var entryCount: Int { entries.count }

    /// The first error thrown by a gradient hook (``Tensor/withGradientHook(_:)``) during the
    /// last backward pass; the gradient passed through that hook unchanged.
    public private(set) var gradientHookError: Error?

    fileprivate func recordHookError(_ error: Error) {
        if gradientHookError == nil { gradientHookError = error }
    }
}

extension Tensor {
    /// The identity in the forward pass; in the backward pass, the gradient arriving at this
    /// value goes through `body`, which returns the gradient to pass on (backward hooks,
    /// gradient caches). Untracked values are returned unchanged.
    ///
    /// If `body` throws, the gradient passes through unchanged and the error is kept in the
    /// tape's ``GradientTape/gradientHookError``.
    public func withGradientHook(_ body: @escaping (Tensor) throws -> Tensor) -> Tensor {
        guard let tape = GradientTape.recording(self) else { return self }
        return tape.recorded(self, inputs: [self]) { [weak tape] g, _ in
            do {
                return [try body(g)]
            } catch {
                tape?.recordHookError(error)
                return [g]
            }
        }
    }
}

/// A tensor's membership in a tape. The tape is held weakly: the tape holds pullbacks that hold
/// tensors, so a strong reference here would be a cycle.
struct GradientLink {
    weak var tape: GradientTape?
    let id: Int
}

/// The value of `f` at `x` and its gradient: `f` must return a scalar (one-element) tensor.
public func valueWithGradient(at x: Tensor, of f: (Tensor) throws -> Tensor) rethrows -> (value: Tensor, gradient: Tensor) {
    let (value, grads) = try valueWithGradients(at: [x]) { try f($0[0]) }
    return (value, grads[0])
}

/// The value of `f` at `xs` and its gradient with respect to each of them.
public func valueWithGradients(at xs: [Tensor], of f: ([Tensor]) throws -> Tensor) rethrows -> (value: Tensor, gradients: [Tensor]) {
    let tape = GradientTape()
    let (value, watched) = try tape.record {
        let watched = xs.map { tape.watch($0) }
        return (try f(watched), watched)
    }
    precondition(value.count == 1, "valueWithGradients needs a function with a one-element result, got shape \(value.shape)")
    guard value.link?.tape === tape else {
        // f does not depend on its inputs.
        return (value.detached, xs.map { Tensor(shape: $0.shape, repeating: 0) })
    }
    return (value.detached, tape.gradients(of: value, withRespectTo: watched))
}

/// The gradient of the scalar function `f` at `x`.
public func gradient(at x: Tensor, of f: (Tensor) throws -> Tensor) rethrows -> Tensor {
    try valueWithGradient(at: x, of: f).gradient
}
