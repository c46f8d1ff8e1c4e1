import Foundation
import LensKernels
import Testing

/// Layer norm, RMS norm and the activations against double references; every backward kernel
/// against central differences of the double forward.
@Suite struct NormalizationAndActivationTests {
    static let lengths = [1, 5, 7, 8, 15, 16, 17, 33, 64]

    func layerNormReference(_ x: [Double], _ w: [Double]?, _ b: [Double]?, eps: Double) -> [Double] {
        let n = Double(x.count)
        let mu = x.reduce(0, +) / n
        let v = x.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / n
        return x.indices.map { i in (x[i] - mu) / (v + eps).squareRoot() * (w?[i] ?? 1) + (b?[i] ?? 0) }
    }

    @Test(arguments: lengths)
    func layerNorm(n: Int) {
        let rows = 3
        let x = Reference.random(rows * n, seed: UInt64(n), scale: 3)
        for affine in [false, true] {
            let w = affine ? Reference.random(n, seed: 99).map { 1 + $0 } : nil
            let b = affine ? Reference.random(n, seed: 98) : nil
            var out = [Float](repeating: 0, count: rows * n)
            var mean = [Float](repeating: 0, count: rows), rstd = mean
            layerNormForward(x, rows: rows, n: n, weight: w, bias: b, eps: 1e-5, &out, mean: &mean, rstd: &rstd)
            let dy = Reference.random(rows * n, seed: UInt64(n) + 50)
            var dx = [Float](repeating: 0, count: rows * n)
            var dw = [Float](repeating: 0, count: n), db = dw
            if let w, b != nil {
                layerNormBackward(dy, x, mean: mean, rstd: rstd, weight: w, rows: rows, n: n, dx: &dx, dWeight: &dw, dBias: &db)
            } else {
                layerNormBackward(dy, x, mean: mean, rstd: rstd, weight: nil, rows: rows, n: n, dx: &dx, dWeight: nil, dBias: nil)
            }
            let wd = w?.map(Double.init), bd = b?.map(Double.init)
            var numericW = [Double](repeating: 0, count: n), numericB = numericW
            for r in 0..<rows {
                let row = Array(x[(r * n)..<((r + 1) * n)]).map(Double.init)
                let g = Array(dy[(r * n)..<((r + 1) * n)]).map(Double.init)
                let want = layerNormReference(row, wd, bd, eps: 1e-5)
                for j in 0..<n { #expect(abs(Double(out[r * n + j]) - want[j]) < 1e-5) }
                let numeric = Reference.numericalGradient(row) { v in
                    zip(layerNormReference(v, wd, bd, eps: 1e-5), g).reduce(0) { $0 + $1.0 * $1.1 }
                }
                for j in 0..<n { #expect(abs(Double(dx[r * n + j]) - numeric[j]) < 2e-4, "n=\(n) affine=\(affine)") }
                if let wd, let bd {
                    let nw = Reference.numericalGradient(wd) { v in
                        zip(layerNormReference(row, v, bd, eps: 1e-5), g).reduce(0) { $0 + $1.0 * $1.1 }
                    }
                    let nb = Reference.numericalGradient(bd) { v in
                        zip(layerNormReference(row, wd, v, eps: 1e-5), g).reduce(0) { $0 + $1.0 * $1.1 }
                    }
                    for j in 0..<n { numericW[j] += nw[j]; numericB[j] += nb[j] }
                }
            }
            if affine {
                for j in 0..<n {
                    #expect(abs(Double(dw[j]) - numericW[j]) < 2e-4)
                    #expect(abs(Double(db[j]) - numericB[j]) < 2e-4)
                }
            }
        }
    }

    @Test(arguments: lengths)
    func rmsNorm(n: Int) {
        let rows = 2
        let x = Reference.random(rows * n, seed: UInt64(n) + 7, scale: 2)
        let w = Reference.random(n, seed: 3).map { 1 + $0 }
        func reference(_ v: [Double], _ wv: [Double]) -> [Double] {
            let ms = v.map { $0 * $0 }.reduce(0, +) / Double(v.count)
            return v.indices.map { v[$0] / (ms + 1e-5).squareRoot() * wv[$0] }
        }
        var out = [Float](repeating: 0, count: rows * n), rstd = [Float](repeating: 0, count: rows)
        rmsNormForward(x, rows: rows, n: n, weight: w, eps: 1e-5, &out, rstd: &rstd)
        let dy = Reference.random(rows * n, seed: UInt64(n) + 8)
        var dx = [Float](repeating: 0, count: rows * n), dw = [Float](repeating: 0, count: n)
        rmsNormBackward(dy, x, rstd: rstd, weight: w, rows: rows, n: n, dx: &dx, dWeight: &dw)
        let wd = w.map(Double.init)
        var numericW = [Double](repeating: 0, count: n)
        for r in 0..<rows {
            let row = Array(x[(r * n)..<((r + 1) * n)]).map(Double.init)
            let g = Array(dy[(r * n)..<((r + 1) * n)]).map(Double.init)
            let want = reference(row, wd)
            for j in 0..<n { #expect(abs(Double(out[r * n + j]) - want[j]) < 1e-5) }
            let numeric = Reference.numericalGradient(row) { v in zip(reference(v, wd), g).reduce(0) { $0 + $1.0 * $1.1 } }
            for j in 0..<n { #expect(abs(Double(dx[r * n + j]) - numeric[j]) < 2e-4) }
            let nw = Reference.numericalGradient(wd) { v in zip(reference(row, v), g).reduce(0) { $0 + $1.0 * $1.1 } }
            for j in 0..<n { numericW[j] += nw[j] }
        }
        for j in 0..<n { #expect(abs(Double(dw[j]) - numericW[j]) < 2e-4) }
    }

    func activationReference(_ f: ActivationKernel, _ x: Double) -> Double {
        switch f {
        case .tanhGELU:
            return 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .erfGELU: return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .silu: return x / (1 + Foundation.exp(-x))
        case .relu: return max(0, x)
        }
    }

    @Test(arguments: ActivationKernel.allCases)
    func activationForwardAndBackward(f: ActivationKernel) {
        for n in Self.lengths {
            // Avoid relu's kink at exactly 0 for the finite differences.
            let x = Reference.random(n, seed: UInt64(n) + 70, scale: 6).map { $0 == 0 ? 0.5 : $0 }
            var y = [Float](repeating: 0, count: n)
            activationForward(f, x, &y, n)
            let dy = Reference.random(n, seed: UInt64(n) + 71)
            var dx = [Float](repeating: 0, count: n)
            activationBackward(f, x, dy, &dx, n)
            for i in 0..<n {
                let xd = Double(x[i])
                #expect(abs(Double(y[i]) - activationReference(f, xd)) < 2e-6 * max(1, abs(xd)), "\(f) at \(x[i])")
                let h = 1e-6
                let numeric = (activationReference(f, xd + h) - activationReference(f, xd - h)) / (2 * h) * Double(dy[i])
                #expect(abs(Double(dx[i]) - numeric) < 2e-5, "\(f)' at \(x[i])")
            }
        }
    }

    /// The fused gated activation is the activation followed by a multiply, bit for bit — on
    /// short rows with SIMD tails and on one long enough to run on two threads.
    @Test(arguments: ActivationKernel.allCases)
    func gatedActivationIsActivationTimesLinear(f: ActivationKernel) {
        for n in [1, 7, 37, 70_001] {
            let pre = Reference.random(n, seed: UInt64(n) + 80, scale: 6)
            let linear = Reference.random(n, seed: UInt64(n) + 81, scale: 3)
            var activated = [Float](repeating: 0, count: n), expected = activated, fused = activated
            activationForward(f, pre, &activated, n)
            binary(.multiply, activated, 1, linear, 1, &expected, n)
            gatedActivationForward(f, pre, linear, &fused, n)
            #expect(fused == expected, "\(f), n = \(n)")
        }
    }

    /// The one-pass rotary embedding against its definition in double precision: rotate half on
    /// the first rotaryDim components (SIMD halves of 8 and scalar halves of 3), the rest passed
    /// through, with tables shared by the batch or per sequence, and rows enough for two threads.
    @Test func rotateHalfMatchesItsDefinition() {
        for (batch, positions, heads, dHead, rotaryDim, perBatch) in [(2, 5, 3, 16, 16, false), (2, 5, 3, 10, 6, true),
                                                                       (4, 101, 9, 64, 64, false)] {
            let x = Reference.random(batch * positions * heads * dHead, seed: 90)
            let tableRows = perBatch ? batch * positions : positions
            let sin = Reference.random(tableRows * rotaryDim, seed: 91), cos = Reference.random(tableRows * rotaryDim, seed: 92)
            var out = [Float](repeating: .nan, count: x.count)
            rotateHalfForward(x, &out, batch: batch, positions: positions, heads: heads, dHead: dHead, rotaryDim: rotaryDim,
                              sin: sin, cos: cos, perBatchTables: perBatch)
            let h = rotaryDim / 2
            var worst = 0.0
            for b in 0..<batch {
                for p in 0..<positions {
                    let slot = (perBatch ? b * positions + p : p) * rotaryDim
                    for head in 0..<heads {
                        let row = ((b * positions + p) * heads + head) * dHead
                        for i in 0..<dHead {
                            let want: Double
                            if i >= rotaryDim {
                                want = Double(x[row + i])
                            } else {
                                let turned = i < h ? -Double(x[row + i + h]) : Double(x[row + i - h])
                                want = Double(x[row + i]) * Double(cos[slot + i]) + turned * Double(sin[slot + i])
                            }
                            worst = max(worst, abs(Double(out[row + i]) - want))
                        }
                    }
                }
            }
            #expect(worst < 1e-6, "\(batch)×\(positions)×\(heads)×\(dHead), rotaryDim \(rotaryDim): off by \(worst)")
        }
    }

    @Test func expAccuracyAndSpecialValues() {
        let n = 100_001
        let x = (0..<n).map { Float(-87 + 175 * Double($0) / Double(n - 1)) }
        var y = [Float](repeating: 0, count: n)
        unary(.exp, x, &y, n)
        var worst = 0.0
        for i in 0..<n {
            let want = Foundation.exp(Double(x[i]))
            worst = max(worst, abs(Double(y[i]) - want) / want)
        }
        #expect(worst < 3e-7, "max relative error \(worst)")
        let special: [Float] = [-.infinity, -100, .infinity, 100, .nan, 0]
        var out = [Float](repeating: 1, count: special.count)
        unary(.exp, special, &out, special.count)
        #expect(out[0] == 0 && out[1] == 0)
        #expect(out[2] == .infinity && out[3] == .infinity)
        #expect(out[4].isNaN)
        #expect(out[5] == 1)
    }
}
