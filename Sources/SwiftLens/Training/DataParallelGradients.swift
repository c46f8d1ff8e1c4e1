import Foundation
import LensKernels

/// The mean next-token loss of a batch and its parameter gradients, computed as two half
/// batches at once on two threads, one on the model and one on a replica that shares its
/// parameter storage.
///
/// Why: a small model's training step is hundreds of small kernels (Recipe R: [2048, 64]
/// activations, 16-wide heads). Splitting each kernel across two threads pays a fork/join per
/// kernel and leaves the element-wise work, softmaxes and norms of small tensors on one
/// thread; splitting the batch keeps both cores busy through the whole step with one fork.
///
/// Inside the two halves every kernel runs on its own thread (the worker pool runs nested
/// parallel work serially). The gradients are the token-weighted mean of the halves', so they
/// equal the whole batch's up to float rounding, and repeat bitwise at a fixed thread count.
final class DataParallelGradients {
    private let replica: HookedTransformer

    init(model: HookedTransformer) throws {
        replica = try HookedTransformer(config: model.config, stateDict: model.stateDict)
    }

    /// Whether a step on `batch` with `hooks` takes the two-thread path: two threads available,
    /// at least two sequences, and no hooks (a user's closure might not be safe to run twice at
    /// once, and a hook's context storage belongs to one model).
    static func applies(batch: IntTensor, hooks: [Hook]) -> Bool {
        KernelThreads.count >= 2 && batch.rank == 2 && batch.shape[0] >= 2 && hooks.isEmpty
    }

    /// `model.lossAndGradients(batch, parameters:)`, computed in two halves.
    func lossAndGradients(of model: HookedTransformer, batch: IntTensor,
                          parameters: ((String) -> Bool)?) throws -> (loss: Float, gradients: [String: Tensor]) {
        try replica.updateParameters(model.stateDict)  // shares storage; no copy
        let rows = batch.shape[0], half = rows / 2
        let shards = [batch[..<half], batch[half...]]
        let results = ShardResults()
        let models = UncheckedModels(models: [model, replica], parameters: parameters)
        parallelChunks(2, work: .max) { range in
            for i in range {
                results.set(i, Result { try models.models[i].lossAndGradients(shards[i], parameters: models.parameters) })
            }
        }
        let (a, b) = (try results.get(0), try results.get(1))
        // Each half's loss is a mean over its own targets: weight by sequence count.
        let wa = Float(half) / Float(rows), wb = Float(rows - half) / Float(rows)
        var gradients: [String: Tensor] = [:]
        for (name, ga) in a.gradients {
            gradients[name] = ga * wa + b.gradients[name]! * wb
        }
        return (a.loss * wa + b.loss * wb, gradients)
    }
}

/// The two halves' results, written by the two threads into separate stored properties (not
/// an array: two threads writing one array's elements race on its copy-on-write buffer).
private final class ShardResults: @unchecked Sendable {
    typealias Value = Result<(loss: Float, gradients: [String: Tensor]), any Error>
    private var first: Value?
    private var second: Value?
    func set(_ i: Int, _ value: Value) { if i == 0 { first = value } else { second = value } }
    func get(_ i: Int) throws -> (loss: Float, gradients: [String: Tensor]) { try (i == 0 ? first : second)!.get() }
}

/// The model and its replica, each used by exactly one thread, and the parameter filter (a
/// pure function of a name).
private struct UncheckedModels: @unchecked Sendable {
    let models: [HookedTransformer]
    let parameters: ((String) -> Bool)?
}
