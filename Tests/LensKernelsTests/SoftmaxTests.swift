import Foundation
import LensKernels
import Testing

/// Softmax, log-softmax, log-sum-exp and cross-entropy against double references; backward
/// kernels against finite differences of the double forward.
@Suite struct SoftmaxTests {
    static let lengths = [1, 5, 7, 8, 15, 16, 17, 33, 100]

    func softmaxReference(_ row: [Float]) -> [Double] {
        let m = row.map(Double.init).max()!
        let e = row.map { Foundation.exp(Double($0) - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    @Test(arguments: lengths)
    func softmaxForwardAndBackward(n: Int) {
        let rows = 3
        let x = Reference.random(rows * n, seed: UInt64(n), scale: 6)
        var y = [Float](repeating: 0, count: rows * n)
        softmaxForward(x, &y, rows: rows, n: n)
        let dy = Reference.random(rows * n, seed: UInt64(n) + 9)
        var dx = [Float](repeating: 0, count: rows * n)
        softmaxBackward(y, dy, &dx, rows: rows, n: n)
        for r in 0..<rows {
            let row = Array(x[(r * n)..<((r + 1) * n)])
            let want = softmaxReference(row)
            for j in 0..<n { #expect(abs(Double(y[r * n + j]) - want[j]) < 1e-6) }
            // d/dx of Σ dy·softmax(x), by finite differences in double.
            let g = Array(dy[(r * n)..<((r + 1) * n)]).map(Double.init)
            let numeric = Reference.numericalGradient(row.map(Double.init)) { v in
                let m = v.max()!
                let e = v.map { Foundation.exp($0 - m) }
                let s = e.reduce(0, +)
                return zip(e, g).reduce(0) { $0 + $1.0 / s * $1.1 }
            }
            for j in 0..<n { #expect(abs(Double(dx[r * n + j]) - numeric[j]) < 1e-5) }
        }
    }

    @Test func maskedEntriesAreExactlyZeroAndFullyMaskedRowsAreZero() {
        let inf = Float.infinity
        let x: [Float] = [1, -inf, 2, -inf, /* row 2 */ -inf, -inf, -inf, -inf]
        var y = [Float](repeating: 9, count: 8)
        softmaxForward(x, &y, rows: 2, n: 4)
        #expect(y[1] == 0 && y[3] == 0)
        #expect(abs(y[0] + y[2] - 1) < 1e-6)
        #expect(y[4...] == [0, 0, 0, 0])
    }

    @Test func causalRowsComputeOnlyTheirPrefix() {
        // Two blocks of 5 queries over 7 keys: query i sees keys 0 ... i + 2.
        let (rows, n, queries) = (10, 7, 5)
        var x = Reference.random(rows * n, seed: 44, scale: 3)
        for r in 0..<rows { for j in (r % queries + 3)..<n { x[r * n + j] = -.infinity } }
        var plain = [Float](repeating: 0, count: rows * n), causal = [Float](repeating: 7, count: rows * n)
        softmaxForward(x, &plain, rows: rows, n: n)
        softmaxForward(x, &causal, rows: rows, n: n, causalQueries: queries)
        #expect(plain == causal)
        let dy = Reference.random(rows * n, seed: 45)
        var dPlain = [Float](repeating: 0, count: rows * n), dCausal = [Float](repeating: 7, count: rows * n)
        softmaxBackward(plain, dy, &dPlain, rows: rows, n: n)
        softmaxBackward(plain, dy, &dCausal, rows: rows, n: n, causalQueries: queries)
        for i in 0..<(rows * n) { #expect(abs(dPlain[i] - dCausal[i]) < 1e-6) }
    }

    @Test func largeRowsUseBothThreadsIdentically() {
        let rows = 300, n = 300  // above the parallel threshold
        let x = Reference.random(rows * n, seed: 5, scale: 10)
        var one = [Float](repeating: 0, count: rows * n), two = one
        KernelThreads.with(1) { softmaxForward(x, &one, rows: rows, n: n) }
        KernelThreads.with(2) { softmaxForward(x, &two, rows: rows, n: n) }
        #expect(one == two)
    }

    @Test(arguments: lengths)
    func logSoftmaxAndLogSumExp(n: Int) {
        let rows = 2
        let x = Reference.random(rows * n, seed: UInt64(n) + 20, scale: 30)
        var y = [Float](repeating: 0, count: rows * n), lse = [Float](repeating: 0, count: rows)
        logSoftmaxForward(x, &y, rows: rows, n: n)
        logSumExpForward(x, &lse, rows: rows, n: n)
        let dy = Reference.random(rows * n, seed: UInt64(n) + 21)
        var dx = [Float](repeating: 0, count: rows * n)
        logSoftmaxBackward(y, dy, &dx, rows: rows, n: n)
        for r in 0..<rows {
            let row = Array(x[(r * n)..<((r + 1) * n)]).map(Double.init)
            let m = row.max()!
            let wantLse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            #expect(abs(Double(lse[r]) - wantLse) < 1e-5 * max(1, abs(wantLse)))
            for j in 0..<n { #expect(abs(Double(y[r * n + j]) - (row[j] - wantLse)) < 2e-5) }
            let g = Array(dy[(r * n)..<((r + 1) * n)]).map(Double.init)
            let numeric = Reference.numericalGradient(row) { v in
                let mm = v.max()!
                let l = mm + Foundation.log(v.map { Foundation.exp($0 - mm) }.reduce(0, +))
                return zip(v, g).reduce(0) { $0 + ($1.0 - l) * $1.1 }
            }
            for j in 0..<n { #expect(abs(Double(dx[r * n + j]) - numeric[j]) < 1e-4) }
        }
    }

    @Test func crossEntropyForwardAndBackward() {
        let rows = 6, n = 37
        let logits = Reference.random(rows * n, seed: 33, scale: 4)
        let targets = [0, 36, 5, 17, 17, 2]
        var losses = [Float](repeating: 0, count: rows), lse = losses
        crossEntropyForward(logits, rows: rows, n: n, targets: targets, losses: &losses, lse: &lse)
        let dLoss = Reference.random(rows, seed: 34)
        var dLogits = [Float](repeating: 0, count: rows * n)
        crossEntropyBackward(logits, lse: lse, rows: rows, n: n, targets: targets, dLoss: dLoss, dLogits: &dLogits)
        for r in 0..<rows {
            let row = Array(logits[(r * n)..<((r + 1) * n)]).map(Double.init)
            func loss(_ v: [Double]) -> Double {
                let m = v.max()!
                return m + Foundation.log(v.map { Foundation.exp($0 - m) }.reduce(0, +)) - v[targets[r]]
            }
            #expect(abs(Double(losses[r]) - loss(row)) < 1e-5)
            let numeric = Reference.numericalGradient(row) { loss($0) * Double(dLoss[r]) }
            for j in 0..<n { #expect(abs(Double(dLogits[r * n + j]) - numeric[j]) < 1e-5) }
        }
    }
}
