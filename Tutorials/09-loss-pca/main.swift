// Tutorial 09 — per-token loss analysis: the phase change as a turn in loss space.
//
//     swift run -c release Tutorial09 [--out DIR] [--fast]
//
// Olsson et al. (2022) stack each checkpoint's loss on every token of a fixed dataset into one
// long vector and take its principal components: the training trajectory turns sharply at the
// phase change, because the loss of the tokens that in-context copying predicts drops together.
// We train Recipe R's 2-layer model for 1,500 steps with a checkpoint every 100 (in fast mode we
// use the three committed checkpoints: steps 500, 1000 and 2500), and look at the trajectory.

import Foundation
import TutorialSupport

Tutorial.run(number: 9, title: "Per-token loss across checkpoints, and its principal components") { t in
    let run: URL
    if t.fast {
        run = Tutorial.trainedRun
        t.say("Fast mode: the committed run's checkpoints (steps 500 and 1000; phase change at 800).")
    } else {
        t.step("Training with a checkpoint every 100 steps")
        var recipe = InductionRecipe.recipeR(layers: 2, seed: 0)
        recipe.training.steps = 1500
        recipe.training.evaluationInterval = 100
        recipe.training.checkpointSteps = Set(stride(from: 0, through: 1500, by: 100))
        run = t.output.appendingPathComponent("run")
        let summary = try recipe.makeTrainer().train(output: run)
        print(String(format: "  %d steps in %.1f s, phase change %@", summary.steps, summary.seconds,
                     summary.phaseChangeStep.map { "at step \($0)" } ?? "none"))
    }

    t.step("Per-token losses and their principal components")
    var data = InductionData.recipeR(seed: 999)
    let batch = data.nextBatchWithMask(t.fast ? 16 : 64)
    let tokens = batch.tokens
    let trajectory = try LossTrajectory.measure(run: run, tokens: tokens, components: 2)
    let pcs = trajectory.principalComponents
    print(String(format: "  %d checkpoints × %d token losses; explained variance: PC1 %.0f%%, PC2 %.0f%%", trajectory.checkpoints.count,
                 trajectory.losses.shape[1], 100 * pcs.explainedVarianceRatio[0].scalar,
                 100 * (pcs.explainedVarianceRatio.shape[0] > 1 ? pcs.explainedVarianceRatio[1].scalar : 0)))
    let coordinates = trajectory.coordinates
    for (i, checkpoint) in trajectory.checkpoints.enumerated() {
        print(String(format: "  step %5d   PC1 %+7.2f%@   mean loss %.3f", checkpoint.step, coordinates[i, 0].scalar,
                     coordinates.shape[1] > 1 ? String(format: "   PC2 %+7.2f", coordinates[i, 1].scalar) : "",
                     trajectory.losses[i].mean().scalar))
    }
    t.check(pcs.explainedVarianceRatio[0].scalar > 0.5, "one direction explains most of how the per-token losses change")

    t.step("Which tokens move?")
    t.say("Split the token losses into those an in-context copy can predict (the target's bigram occurred earlier) and the rest, "
          + "and compare the first and the last checkpoint:")
    let mask = batch.predictable[.all, ..<(tokens.shape[1] - 1)].reshaped(-1)
    let first = trajectory.losses[0], last = trajectory.losses[trajectory.checkpoints.count - 1]
    let m = mask.sum().scalar, o = Float(mask.count) - m
    let predictableDrop = ((first - last) * mask).sum().scalar / m, otherDrop = ((first - last) * (1 - mask)).sum().scalar / o
    print(String(format: "  loss drop: in-context-predictable tokens %.2f nats, other tokens %.2f nats", predictableDrop, otherDrop))
    t.check(predictableDrop > otherDrop + 0.5, "the tokens in-context copying predicts improve most")
    if !t.fast {
        let steps = trajectory.checkpoints.map(\.step)
        var jumps: [(step: Int, size: Float)] = []
        for i in 1..<steps.count {
            let d = (coordinates[i] - coordinates[i - 1]).square().sum().scalar.squareRoot()
            jumps.append((steps[i], d))
        }
        let biggest = jumps.max { $0.size < $1.size }!
        print("  largest move between consecutive checkpoints: into step \(biggest.step)")
        t.check((700...1100).contains(biggest.step), "the trajectory moves most at the phase change (near step 800)")
    } else {
        t.skipped("the trajectory moves most at the phase change (needs a checkpoint every 100 steps)")
    }
    let points = trajectory.checkpoints.enumerated().map { i, c in
        ScatterPlot.Point(x: coordinates[i, 0].scalar, y: coordinates.shape[1] > 1 ? coordinates[i, 1].scalar : 0, label: "\(c.step)")
    }
    try t.figure(ScatterPlot(title: "Training trajectory in per-token-loss space", xLabel: "PC1", yLabel: "PC2", points: points, connect: true),
                 name: "trajectory", caption: "Each point is a checkpoint, labelled with its step.")
    try t.figure(TokenStrip(title: "Loss drop per token, first → last checkpoint (one sequence)",
                            tokens: tokens[0, 1...].scalars.map(String.init),
                            values: Array((first - last).scalars.prefix(tokens.shape[1] - 1)), colorScale: .diverging(center: 0),
                            valueLabel: "loss drop (nats) predicting this token"),
                 name: "loss-drop", caption: "Red: the loss fell. Tokens whose bigram occurred earlier in the sequence fall most.")
}
