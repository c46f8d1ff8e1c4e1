import Foundation
import SwiftLens
import Testing

/// The double-precision decompositions against known answers and identities (reconstruction,
/// orthogonality, trace and determinant), and PCA on data with a known structure.
@Suite struct LinearAlgebraTests {
    static func random(_ rows: Int, _ columns: Int, seed: UInt64) -> DoubleMatrix {
        var g = RandomGenerator(seed: seed)
        var m = DoubleMatrix(rows: rows, columns: columns)
        for i in 0..<rows { for j in 0..<columns { m[i, j] = g.nextNormal() } }
        return m
    }

    /// I − 2vvᵀ/vᵀv: an exactly orthogonal matrix to rotate known spectra with.
    static func reflector(_ n: Int, seed: UInt64) -> DoubleMatrix {
        let v = random(n, 1, seed: seed).values
        let vv = v.reduce(0) { $0 + $1 * $1 }
        var q = DoubleMatrix.identity(n)
        for i in 0..<n { for j in 0..<n { q[i, j] -= 2 * v[i] * v[j] / vv } }
        return q
    }

    static func maxDifference(_ a: DoubleMatrix, _ b: DoubleMatrix) -> Double {
        zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
    }

    /// Determinant by LU with partial pivoting.
    static func determinant(_ m: DoubleMatrix) -> Double {
        var a = m
        let n = m.rows
        var det = 1.0
        for k in 0..<n {
            let pivot = (k..<n).max { abs(a[$0, k]) < abs(a[$1, k]) }!
            if pivot != k { for j in 0..<n { let t = a[k, j]; a[k, j] = a[pivot, j]; a[pivot, j] = t }; det = -det }
            det *= a[k, k]
            if a[k, k] == 0 { return 0 }
            for i in (k + 1)..<max(n, k + 1) {
                let f = a[i, k] / a[k, k]
                for j in k..<n { a[i, j] -= f * a[k, j] }
            }
        }
        return det
    }

    /// Every expected eigenvalue is matched to a distinct computed one within `tolerance`.
    static func matchesAsMultiset(_ got: [(real: Double, imaginary: Double)], _ want: [(Double, Double)], tolerance: Double) -> Bool {
        guard got.count == want.count else { return false }
        var unused = Array(got.indices)
        for (re, im) in want {
            guard let best = unused.min(by: { hypot(got[$0].real - re, got[$0].imaginary - im) < hypot(got[$1].real - re, got[$1].imaginary - im) }),
                  hypot(got[best].real - re, got[best].imaginary - im) <= tolerance else { return false }
            unused.removeAll { $0 == best }
        }
        return true
    }

    @Test func rotationsHaveUnitComplexEigenvalues() throws {
        let theta = 0.7
        let plane = try DoubleMatrix([[cos(theta), -sin(theta)], [sin(theta), cos(theta)]])
        let e2 = try plane.eigenvalues()
        #expect(Self.matchesAsMultiset(e2, [(cos(theta), sin(theta)), (cos(theta), -sin(theta))], tolerance: 1e-14), "\(e2)")
        #expect(e2[0].imaginary > 0)  // sorted: real descending, then imaginary descending

        // A 3-D rotation by 2.1 rad about a random axis: {1, e^{±2.1i}}.
        let q = Self.reflector(3, seed: 5)
        let rz = try DoubleMatrix([[cos(2.1), -sin(2.1), 0], [sin(2.1), cos(2.1), 0], [0, 0, 1]])
        let e3 = try q.matmul(rz).matmul(q.transposed).eigenvalues()
        #expect(Self.matchesAsMultiset(e3, [(1, 0), (cos(2.1), sin(2.1)), (cos(2.1), -sin(2.1))], tolerance: 1e-13), "\(e3)")
    }

    @Test func eigenvaluesOfAKnownSpectrumUnderOrthogonalSimilarity() throws {
        var d = DoubleMatrix(rows: 8, columns: 8)
        for (i, v) in [3.0, -2, 0.5, 0].enumerated() { d[i, i] = v }
        (d[4, 4], d[4, 5], d[5, 4], d[5, 5]) = (1, 2, -2, 1)          // 1 ± 2i
        (d[6, 6], d[6, 7], d[7, 6], d[7, 7]) = (-1, 0.5, -0.5, -1)    // −1 ± 0.5i
        d[0, 5] = 4; d[2, 7] = -1.5                                   // upper-block coupling keeps the spectrum
        let q = Self.reflector(8, seed: 1).matmul(Self.reflector(8, seed: 2))
        let m = q.matmul(d).matmul(q.transposed)
        let got = try m.eigenvalues()
        let want: [(Double, Double)] = [(3, 0), (-2, 0), (0.5, 0), (0, 0), (1, 2), (1, -2), (-1, 0.5), (-1, -0.5)]
        #expect(Self.matchesAsMultiset(got, want, tolerance: 1e-12), "\(got)")
        #expect(!Self.matchesAsMultiset(got, want.map { ($0.0 + 1e-6, $0.1) }, tolerance: 1e-9))  // the check can fail
    }

    @Test func eigenvaluesOfRandomMatricesGiveTraceAndDeterminant() throws {
        for (n, seed) in [(5, 11), (20, 12), (33, 13)] {
            let m = Self.random(n, n, seed: UInt64(seed))
            let e = try m.eigenvalues()
            var product = (re: 1.0, im: 0.0), sum = (re: 0.0, im: 0.0)
            for x in e {
                product = (product.re * x.real - product.im * x.imaginary, product.re * x.imaginary + product.im * x.real)
                sum = (sum.re + x.real, sum.im + x.imaginary)
            }
            let trace = (0..<n).reduce(0.0) { $0 + m[$1, $1] }, det = Self.determinant(m)
            #expect(abs(sum.re - trace) <= 1e-10 * max(1, abs(trace)), "n \(n): Σλ \(sum.re) vs trace \(trace)")
            #expect(abs(sum.im) <= 1e-10 && abs(product.im) <= 1e-10 * abs(det), "n \(n): imaginary parts do not cancel")
            #expect(abs(product.re - det) <= 1e-10 * abs(det), "n \(n): Πλ \(product.re) vs det \(det)")
            let conjugates = e.filter { $0.imaginary != 0 }
            #expect(conjugates.allSatisfy { z in conjugates.contains { $0.real == z.real && $0.imaginary == -z.imaginary } })
        }
    }

    @Test func eigenvaluesOfSmallDefectiveAndZeroMatrices() throws {
        let jordan = try DoubleMatrix([[2, 1], [0, 2]]).eigenvalues()
        #expect(Self.matchesAsMultiset(jordan, [(2, 0), (2, 0)], tolerance: 1e-7))
        #expect(try DoubleMatrix(rows: 3, columns: 3).eigenvalues().allSatisfy { $0 == (0, 0) })
        #expect(try DoubleMatrix([[-4.5]]).eigenvalues().map(\.real) == [-4.5])
        #expect(try DoubleMatrix(rows: 0, columns: 0).eigenvalues().isEmpty)
        // A cyclic shift stalls the unshifted QR iteration; its eigenvalues are the 6th roots of unity.
        var shift = DoubleMatrix(rows: 6, columns: 6)
        for i in 0..<6 { shift[(i + 1) % 6, i] = 1 }
        let roots = (0..<6).map { (cos(Double($0) * .pi / 3), sin(Double($0) * .pi / 3)) }
        #expect(Self.matchesAsMultiset(try shift.eigenvalues(), roots, tolerance: 1e-12))
        let triangular = try DoubleMatrix([[1, 5, 7, 2], [0, -3, 1, 1], [0, 0, 8, 4], [0, 0, 0, 0.25]]).eigenvalues()
        #expect(Self.matchesAsMultiset(triangular, [(1, 0), (-3, 0), (8, 0), (0.25, 0)], tolerance: 1e-12))
        #expect(throws: AnalysisError.notSquare(what: "eigenvalues", found: [2, 3])) { try DoubleMatrix(rows: 2, columns: 3).eigenvalues() }
        #expect(throws: AnalysisError.self) { try DoubleMatrix(rows: 2, columns: 2, values: [1, 2, 3]) }
    }

    @Test func svdReconstructsTallWideAndRankDeficientMatrices() throws {
        let rankThree = Self.random(8, 3, seed: 3).matmul(Self.random(3, 6, seed: 4))
        let cases: [(String, DoubleMatrix, Int)] = [("tall", Self.random(9, 5, seed: 1), 5), ("wide", Self.random(5, 9, seed: 2), 5),
                                                    ("rank 3", rankThree, 3), ("zero", DoubleMatrix(rows: 4, columns: 3), 0)]
        for (name, m, rank) in cases {
            let svd = try m.singularValueDecomposition()
            let k = min(m.rows, m.columns)
            #expect(svd.u.rows == m.rows && svd.u.columns == k && svd.v.rows == m.columns && svd.v.columns == k, "\(name) shapes")
            var us = svd.u
            for i in 0..<us.rows { for j in 0..<k { us[i, j] *= svd.singularValues[j] } }
            let scale = max(svd.singularValues.first ?? 0, 1)
            #expect(Self.maxDifference(us.matmul(svd.v.transposed), m) <= 1e-13 * scale, "\(name): U·S·Vᵀ ≠ M")
            #expect(Self.maxDifference(svd.u.transposed.matmul(svd.u), .identity(k)) <= 1e-13, "\(name): UᵀU ≠ I")
            #expect(Self.maxDifference(svd.v.transposed.matmul(svd.v), .identity(k)) <= 1e-13, "\(name): VᵀV ≠ I")
            #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 } && svd.singularValues.allSatisfy { $0 >= 0 })
            #expect(svd.singularValues.filter { $0 > 1e-10 * scale }.count == rank, "\(name): \(svd.singularValues)")
        }
        let known = try DoubleMatrix([[0, -3, 0], [2, 0, 0], [0, 0, 0.5]]).singularValueDecomposition()
        #expect(zip(known.singularValues, [3.0, 2, 0.5]).allSatisfy { abs($0 - $1) < 1e-15 }, "\(known.singularValues)")
    }

    @Test func qrDecompositionOfTallWideAndRankDeficientMatrices() throws {
        for m in [Self.random(9, 4, seed: 21), Self.random(3, 7, seed: 22), Self.random(6, 2, seed: 23).matmul(Self.random(2, 5, seed: 24))] {
            let r = m.qrR()
            #expect(r.rows == min(m.rows, m.columns) && r.columns == m.columns)
            #expect((0..<r.rows).allSatisfy { i in (0..<min(i, r.columns)).allSatisfy { r[i, $0] == 0 } }, "R is not upper triangular")
            let gram = m.transposed.matmul(m)
            #expect(Self.maxDifference(r.transposed.matmul(r), gram) <= 1e-13 * gram.frobeniusNorm, "RᵀR ≠ MᵀM for \(m.rows) × \(m.columns)")
            let (q, r2) = m.qrDecomposition()
            #expect(q.rows == m.rows && q.columns == r.rows && r2 == r)
            #expect(Self.maxDifference(q.matmul(r2), m) <= 1e-13 * m.frobeniusNorm, "Q·R ≠ M")
            #expect(Self.maxDifference(q.transposed.matmul(q), .identity(q.columns)) <= 1e-14, "QᵀQ ≠ I")
        }
    }

    @Test func symmetricEigendecomposition() throws {
        let small = try DoubleMatrix([[2, 1], [1, 2]]).symmetricEigendecomposition()
        #expect(abs(small.eigenvalues[0] - 3) < 1e-15 && abs(small.eigenvalues[1] - 1) < 1e-15)
        #expect(abs(abs(small.eigenvectors[0, 0]) - 0.5.squareRoot()) < 1e-15)

        let r = Self.random(10, 10, seed: 9)
        let s = r.matmul(r.transposed).values.enumerated().map { $0.element - ($0.offset % 11 == 0 ? 5 : 0) }  // indefinite
        let m = try DoubleMatrix(rows: 10, columns: 10, values: s)
        let e = try m.symmetricEigendecomposition()
        var vd = e.eigenvectors
        for i in 0..<10 { for j in 0..<10 { vd[i, j] *= e.eigenvalues[j] } }
        #expect(Self.maxDifference(m.matmul(e.eigenvectors), vd) <= 1e-12 * e.eigenvalues[0], "A·V ≠ V·Λ")
        #expect(Self.maxDifference(e.eigenvectors.transposed.matmul(e.eigenvectors), .identity(10)) <= 1e-13)
        #expect(zip(e.eigenvalues, e.eigenvalues.dropFirst()).allSatisfy { $0 >= $1 } && e.eigenvalues.last! < 0)
        #expect(abs(e.eigenvalues.reduce(0, +) - (0..<10).reduce(0.0) { $0 + m[$1, $1] }) < 1e-11)
    }

    @Test func pcaOfPointsOnALineAndOfAnAxisAlignedCross() throws {
        // Five points on a line through c along the unit direction d (more samples than features),
        // and four on another line in 10-D (more features than samples: the Gram-matrix path).
        for (features, ts) in [(3, [-2.0, -1, 0, 1, 2.5]), (10, [0.5, -1, 3, 2])] {
            let d = (0..<features).map { Double($0 % 3) - 0.7 }, norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let c = (0..<features).map { Double($0) * 0.3 + 1 }
            let data = Tensor(shape: [ts.count, features], values: ts.flatMap { t in (0..<features).map { Float(c[$0] + t * d[$0] / norm) } })
            let pca = try PrincipalComponents(data, components: 1)
            let axis = pca.components.scalars, sign: Double = d.map(abs).max() == d.max() ? 1 : -1
            #expect(zip(axis, d).allSatisfy { abs(Double($0) - sign * $1 / norm) < 1e-5 }, "\(features)-D axis \(axis)")
            #expect(abs(pca.explainedVarianceRatio.scalar - 1) < 1e-5)
            let meanT = ts.reduce(0, +) / Double(ts.count)
            #expect(zip(pca.projected.scalars, ts).allSatisfy { abs(Double($0) - sign * ($1 - meanT)) < 1e-4 }, "\(pca.projected.scalars)")
            #expect(try pca.project(data).maxAbsoluteDifference(pca.projected) < 1e-4)
            // All components: the zero-variance ones are completed to an orthonormal set.
            let all = try PrincipalComponents(data)
            #expect(all.components.shape == [min(ts.count - 1, features), features])
            #expect(all.components.matmul(all.components, transposeOther: true).maxAbsoluteDifference(Tensor.eye(all.components.shape[0])) < 1e-5)
            #expect(abs(all.explainedVarianceRatio[0].scalar - 1) < 1e-5 && all.explainedVarianceRatio[1...].abs().max().scalar < 1e-5)
        }
        // (±3, 0) and (0, ±1): variances 18/3 and 2/3 along the axes.
        let cross = try PrincipalComponents(Tensor([[3, 0], [-3, 0], [0, 1], [0, -1]]), components: 2)
        #expect(cross.components.maxAbsoluteDifference(Tensor([[1, 0], [0, 1]])) < 1e-6)
        #expect(cross.explainedVariance.maxAbsoluteDifference(Tensor([6, 2.0 / 3])) < 1e-6)
        #expect(cross.explainedVarianceRatio.maxAbsoluteDifference(Tensor([0.9, 0.1])) < 1e-6)
        #expect(throws: AnalysisError.self) { try PrincipalComponents(Tensor([[1, 2, 3]])) }
        #expect(throws: AnalysisError.self) { try PrincipalComponents(Tensor([[3, 0], [-3, 0], [0, 1]]), components: 3) }
    }
}
