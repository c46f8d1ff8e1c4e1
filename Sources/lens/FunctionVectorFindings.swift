import Foundation
import SwiftLens

/// The function-vector part of `lens demo --model` (Todd et al. 2023), on a few in-context tasks:
/// zero-shot, 10-shot and shuffled-label accuracy; each head's average indirect effect (AIE) on
/// shuffled-label prompts, averaged over the tasks the model does learn from context; the
/// function vector of the top 10 heads added at a few layers to zero-shot and shuffled prompts.
struct FunctionVectorFindings {
    struct Task {
        let name: String
        let zeroShot: Float
        let fewShot: Float
        let shuffled: Float
        /// With the task's function vector at each of `layers`: zero-shot and shuffled accuracy.
        var zeroShotWithVector: [Float] = []
        var shuffledWithVector: [Float] = []
    }

    static let shots = 10
    static let topCount = 10
    var tasks: [Task]
    /// Tasks learnt from context (10-shot ≥ zero-shot + 0.5): the ones the AIE is averaged over.
    var kept: [String]
    /// Mean AIE over the kept tasks, [n_layers, n_heads] (nil when no task was kept).
    var meanAIE: Tensor?
    var heads: [Head]
    var layers: [Int]

    static func measure(_ model: HookedTransformer, tasks candidates: [ICLTask], promptCount: Int, layers: [Int]) throws -> FunctionVectorFindings {
        var tasks: [Task] = []
        var means: [String: Tensor] = [:]
        var aies: [Tensor] = []
        var keptTasks: [(Int, ICLTask)] = []
        for (i, task) in candidates.enumerated() {
            let seed = UInt64(100 + i)
            let few = try FunctionVector.accuracy(model, task.prompts(for: model, count: promptCount, shots: shots, seed: seed))
            let zero = try FunctionVector.accuracy(model, task.prompts(for: model, count: promptCount, shots: 0, seed: seed))
            let shuffled = try FunctionVector.accuracy(model, task.prompts(for: model, count: promptCount, shots: shots, seed: seed, labels: .shuffled))
            tasks.append(Task(name: task.name, zeroShot: zero.accuracy, fewShot: few.accuracy, shuffled: shuffled.accuracy))
            guard few.accuracy >= zero.accuracy + 0.5 else { continue }
            keptTasks.append((i, task))
            let clean = try task.prompts(for: model, count: promptCount, shots: shots, seed: UInt64(200 + i))
            let corrupted = try task.prompts(for: model, count: promptCount, shots: shots, seed: UInt64(250 + i), labels: .shuffled)
            means[task.name] = try FunctionVector.meanHeadOutputs(model, clean)
            aies.append(try FunctionVector.averageIndirectEffect(model, corrupted: corrupted, meanOutputs: means[task.name]!))
        }
        guard let first = aies.first else {
            return FunctionVectorFindings(tasks: tasks, kept: [], meanAIE: nil, heads: [], layers: layers)
        }
        let meanAIE = aies.dropFirst().reduce(first, +) / Float(aies.count)
        let heads = FunctionVector.topHeads(meanAIE, count: topCount)
        for (i, task) in keptTasks {
            let vector = try FunctionVector.vector(model, meanOutputs: means[task.name]!, heads: heads)
            let zeroShot = try task.prompts(for: model, count: promptCount, shots: 0, seed: UInt64(300 + i))
            let shuffled = try task.prompts(for: model, count: promptCount, shots: shots, seed: UInt64(400 + i), labels: .shuffled)
            let index = tasks.firstIndex { $0.name == task.name }!
            for layer in layers {
                let hook = [FunctionVector.addedAtLastPosition(vector, layer: layer)]
                tasks[index].zeroShotWithVector.append(try FunctionVector.accuracy(model, zeroShot, hooks: hook).accuracy)
                tasks[index].shuffledWithVector.append(try FunctionVector.accuracy(model, shuffled, hooks: hook).accuracy)
            }
        }
        return FunctionVectorFindings(tasks: tasks, kept: keptTasks.map(\.1.name), meanAIE: meanAIE, heads: heads, layers: layers)
    }

    func report() {
        print("\n   function vectors (\(Self.shots)-shot prompts «x → y»; accuracy of the answer's first token):")
        print("   task          zero-shot  \(Self.shots)-shot  shuffled   + function vector at layer " + layers.map { "L\($0)" }.joined(separator: "/")
              + ": zero-shot | shuffled")
        for t in tasks {
            let vector = t.zeroShotWithVector.isEmpty ? "(not learnt from context: skipped)"
                : t.zeroShotWithVector.map { String(format: "%.2f", $0) }.joined(separator: "/") + " | "
                    + t.shuffledWithVector.map { String(format: "%.2f", $0) }.joined(separator: "/")
            print("   " + t.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: "%9.2f  %7.2f  %8.2f   ", t.zeroShot, t.fewShot, t.shuffled) + vector)
        }
        if let meanAIE {
            print("   heads with the largest average indirect effect (mean over \(kept.joined(separator: ", "))): "
                  + heads.prefix(6).map { String(format: "%@ %.3f", $0.description, meanAIE[$0.layer, $0.head].scalar) }.joined(separator: ", "))
        }
    }
}
