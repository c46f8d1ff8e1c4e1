import Foundation
import LensKernels
import Testing

/// Reductions, element-wise ops (with broadcasting steps and strides) and strided copies against
/// straightforward loops.
@Suite struct ElementwiseAndLayoutTests {
    @Test(arguments: [1, 5, 7, 8, 15, 16, 17, 31, 32, 33, 100, 1000])
    func reductions(n: Int) {
        let x = Reference.random(n, seed: UInt64(n), scale: 5), y = Reference.random(n, seed: UInt64(n) + 1)
        let wantSum = x.map(Double.init).reduce(0, +)
        let wantDot = zip(x, y).map { Double($0) * Double($1) }.reduce(0, +)
        #expect(abs(Double(sum(x, n)) - wantSum) < 1e-4)
        #expect(abs(Double(dot(x, y, n)) - wantDot) < 1e-4)
        #expect(maximum(x, n) == x.max()!)
        #expect(argmax(x, n) == x.firstIndex(of: x.max()!)!)
        #expect(argmin(x, n) == x.firstIndex(of: x.min()!)!)
        var withNaN = x
        withNaN[n / 2] = .nan
        #expect(maximum(withNaN, n).isNaN)
    }

    @Test func axisReductions() {
        let outer = 3, n = 5, inner = 7
        let x = Reference.random(outer * n * inner, seed: 4)
        for kind in [AxisReduction.sum, .max, .min] {
            for innerSize in [1, inner] {
                var out = [Float](repeating: 0, count: outer * innerSize), idx = [Int](repeating: -1, count: outer * innerSize)
                reduceAxis(kind, x, outer: outer, n: n, inner: innerSize, &out, indices: &idx)
                for o in 0..<outer {
                    for i in 0..<innerSize {
                        let column = (0..<n).map { x[(o * n + $0) * innerSize + i] }
                        switch kind {
                        case .sum: #expect(abs(out[o * innerSize + i] - column.reduce(0, +)) < 1e-5)
                        case .max:
                            #expect(out[o * innerSize + i] == column.max()!)
                            #expect(idx[o * innerSize + i] == column.firstIndex(of: column.max()!)!)
                        case .min:
                            #expect(out[o * innerSize + i] == column.min()!)
                            #expect(idx[o * innerSize + i] == column.firstIndex(of: column.min()!)!)
                        }
                    }
                }
            }
        }
    }

    func scalarReference(_ op: BinaryOp, _ a: Float, _ b: Float) -> Float {
        switch op {
        case .add: a + b
        case .subtract: a - b
        case .multiply: a * b
        case .divide: a / b
        case .maximum: max(a, b)
        case .minimum: min(a, b)
        case .power: Foundation.pow(a, b)
        case .greater: a > b ? 1 : 0
        case .greaterOrEqual: a >= b ? 1 : 0
        case .less: a < b ? 1 : 0
        case .lessOrEqual: a <= b ? 1 : 0
        case .equal: a == b ? 1 : 0
        case .notEqual: a != b ? 1 : 0
        }
    }

    @Test func binaryOpsWithBroadcastSteps() {
        let ops: [BinaryOp] = [.add, .subtract, .multiply, .divide, .maximum, .minimum, .power, .greater, .greaterOrEqual,
                               .less, .lessOrEqual, .equal, .notEqual]
        for n in [1, 7, 8, 9, 33] {
            let a = Reference.random(n, seed: 1).map { abs($0) + 0.1 }, b = Reference.random(n, seed: 2).map { $0 + 2 }
            var b2 = b
            b2[0] = a[0]  // an exact tie for the comparisons
            for op in ops {
                for (aStep, bStep) in [(1, 1), (1, 0), (0, 1)] {
                    var out = [Float](repeating: 0, count: n)
                    binary(op, a, aStep, b2, bStep, &out, n)
                    for i in 0..<n {
                        let want = scalarReference(op, a[i * aStep], b2[i * bStep])
                        #expect(abs(out[i] - want) <= 1e-6 * max(1, abs(want)), "\(op) steps \(aStep),\(bStep) at \(i)")
                    }
                }
            }
        }
    }

    /// A long row runs on two threads: every element, tail included, is still a[i] ∘ b[i].
    @Test func longBinaryRowsSplitAcrossThreads() {
        let n = 100_003
        let a = Reference.random(n, seed: 60), b = Reference.random(n, seed: 61)
        var sum = [Float](repeating: .nan, count: n), scaled = sum
        binary(.add, a, 1, b, 1, &sum, n)
        binary(.multiply, a, 1, b, 0, &scaled, n)
        #expect(sum == zip(a, b).map { $0 + $1 })
        #expect(scaled == a.map { $0 * b[0] })
    }

    @Test func stridedBinaryBroadcast() {
        // [2, 1, 4] + [3, 1] -> [2, 3, 4]
        let a = Reference.random(8, seed: 3), b = Reference.random(3, seed: 4)
        var out = [Float](repeating: 0, count: 24)
        binaryStrided(.subtract, a, aStrides: [4, 0, 1], b, bStrides: [0, 1, 0], shape: [2, 3, 4], &out)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(out[(i * 3 + j) * 4 + k] == a[i * 4 + k] - b[j]) } } }
    }

    @Test func unaryOps() {
        let x = Reference.random(37, seed: 5, scale: 3).map { $0 == 0 ? 0.25 : $0 }
        let cases: [(UnaryOp, (Double) -> Double)] = [
            (.negate, { -$0 }), (.abs, { abs($0) }), (.square, { $0 * $0 }), (.reciprocal, { 1 / $0 }),
            (.exp, { Foundation.exp($0) }), (.tanh, { Foundation.tanh($0) }), (.sigmoid, { 1 / (1 + Foundation.exp(-$0)) }),
            (.sin, { Foundation.sin($0) }), (.cos, { Foundation.cos($0) }), (.floor, { $0.rounded(.down) }),
        ]
        for (op, f) in cases {
            var y = [Float](repeating: 0, count: x.count)
            unary(op, x, &y, x.count)
            for i in x.indices { #expect(abs(Double(y[i]) - f(Double(x[i]))) < 2e-6 * max(1, abs(f(Double(x[i])))), "\(op)") }
        }
        let positive = x.map(abs)
        for (op, f) in [(UnaryOp.sqrt, { (v: Double) in v.squareRoot() }), (.log, { Foundation.log($0) })] {
            var y = [Float](repeating: 0, count: x.count)
            unary(op, positive, &y, x.count)
            for i in x.indices { #expect(abs(Double(y[i]) - f(Double(positive[i]))) < 1e-6 * max(1, abs(f(Double(positive[i]))))) }
        }
    }

    @Test func stridedCopiesPermuteAndScatter() {
        // A [3, 4, 5] array permuted to (2, 0, 1), and a stepped slice, and their inverses.
        let shape = [3, 4, 5]
        let x = (0..<60).map(Float.init)
        var out = [Float](repeating: 0, count: 60)
        copyStrided(x, shape: [5, 3, 4], strides: [1, 20, 5], &out)
        for i in 0..<5 { for j in 0..<3 { for k in 0..<4 { #expect(out[(i * 3 + j) * 4 + k] == x[j * 20 + k * 5 + i]) } } }
        // 2-D transpose (the blocked path) of a non-square matrix.
        let rows = 37, cols = 70
        let m = Reference.random(rows * cols, seed: 6)
        var t = [Float](repeating: 0, count: rows * cols)
        copyStrided(m, shape: [cols, rows], strides: [1, cols], &t)
        for i in 0..<cols { for j in 0..<rows { #expect(t[i * rows + j] == m[j * cols + i]) } }
        // Scatter back with accumulation: broadcast gradient of a [1, 4, 1] array over shape.
        var acc = [Float](repeating: 0, count: 4)
        writeStrided(x, shape: shape, &acc, strides: [0, 1, 0], accumulate: true)
        for k in 0..<4 {
            var want: Float = 0
            for i in 0..<3 { for j in 0..<5 { want += x[i * 20 + k * 5 + j] } }
            #expect(acc[k] == want)
        }
    }

    @Test func gatherAndScatterRows() {
        let table = (0..<12).map(Float.init)  // 4 rows of 3
        let idx = [3, 0, 3]
        var out = [Float](repeating: 0, count: 9)
        gatherRows(table, rowLength: 3, idx, count: 3, &out)
        #expect(out == [9, 10, 11, 0, 1, 2, 9, 10, 11])
        var grad = [Float](repeating: 0, count: 12)
        scatterAddRows([1, 1, 1, 2, 2, 2, 3, 3, 3], rowLength: 3, idx, count: 3, &grad)
        #expect(grad == [2, 2, 2, 0, 0, 0, 0, 0, 0, 4, 4, 4])
    }
}
