import Foundation
import LensKernels

/// General (non-symmetric) eigenvalues for `DoubleMatrix`: EISPACK's balance → Hessenberg → hqr
/// pipeline, used for the spectra of OV circuits (complex eigenvalues come in conjugate pairs).
extension DoubleMatrix {
    /// The eigenvalues of a general real square matrix, as (real, imaginary) pairs: balancing,
    /// Householder reduction to upper Hessenberg form, then Francis double-shift QR (EISPACK
    /// `hqr`). Complex eigenvalues come in conjugate pairs. Sorted by real part descending, then
    /// imaginary part descending (the order LAPACK returns is not meaningful).
    public func eigenvalues() throws -> [(real: Double, imaginary: Double)] {
        guard rows == columns else { throw AnalysisError.notSquare(what: "eigenvalues", found: [rows, columns]) }
        guard values.allSatisfy(\.isFinite) else { throw AnalysisError.invalidArgument("eigenvalues of a matrix with non-finite elements") }
        var h = self
        h.balance()
        h.reduceToHessenberg()
        let pairs = try h.hessenbergEigenvalues()
        return pairs.sorted { $0.real > $1.real || ($0.real == $1.real && $0.imaginary > $1.imaginary) }
    }

    /// Scales rows and columns by powers of two so that each row and its column have similar
    /// norms (EISPACK `balanc`); a similarity transform that leaves eigenvalues exactly unchanged.
    mutating func balance() {
        let n = rows, radix = 2.0
        var done = false
        while !done {
            done = true
            for i in 0..<n {
                var c = 0.0, r = 0.0
                for j in 0..<n where j != i {
                    c += abs(values[j * n + i])
                    r += abs(values[i * n + j])
                }
                guard c != 0 && r != 0 else { continue }
                var g = r / radix, f = 1.0
                let s = c + r
                while c < g { f *= radix; c *= radix * radix }
                g = r * radix
                while c > g { f /= radix; c /= radix * radix }
                if (c + r) / f < 0.95 * s {
                    done = false
                    for j in 0..<n { values[i * n + j] /= f }
                    for j in 0..<n { values[j * n + i] *= f }
                }
            }
        }
    }

    /// Householder similarity transforms that zero everything below the first subdiagonal.
    mutating func reduceToHessenberg() {
        let n = rows
        guard n > 2 else { return }
        values.withUnsafeMutableBufferPointer { buffer in
            let a = buffer.baseAddress!
            var v = [Double](repeating: 0, count: n)
            for k in 0..<(n - 2) {
                let length = n - k - 1, x = a + (k + 1) * n + k  // column k below the diagonal, stride n
                let norm = ddot(length, x, n, x, n).squareRoot()
                if norm == 0 { continue }
                let beta = x[0] >= 0 ? -norm : norm
                for i in 0..<length { v[i] = x[i * n] }
                v[0] -= beta
                v.withUnsafeBufferPointer { v in
                    let v = v.baseAddress!
                    let vv = ddot(length, v, 1, v, 1)
                    if vv == 0 { return }
                    for j in k..<n {  // H · A: column j, rows k+1 ..< n
                        let column = a + (k + 1) * n + j
                        daxpy(length, -2 * ddot(length, v, 1, column, n) / vv, v, 1, column, n)
                    }
                    for i in 0..<n {  // A · H: row i, columns k+1 ..< n
                        let row = a + i * n + k + 1
                        daxpy(length, -2 * ddot(length, v, 1, row, 1) / vv, v, 1, row, 1)
                    }
                    x[0] = beta
                    for i in 1..<length { x[i * n] = 0 }
                }
            }
        }
    }

    /// The eigenvalues of an upper Hessenberg matrix by the Francis double-shift QR iteration,
    /// deflating one real or two (a 2 × 2 block) eigenvalues at a time; an exceptional shift
    /// every 10 iterations without convergence, failure after 60 on one eigenvalue. Transcribed
    /// from EISPACK `hqr` with 1-based indices so that it can be read against the original.
    func hessenbergEigenvalues() throws -> [(real: Double, imaginary: Double)] {
        let n = rows
        var wr = [Double](repeating: 0, count: n + 1), wi = [Double](repeating: 0, count: n + 1)
        var a = values
        func ix(_ i: Int, _ j: Int) -> Int { (i - 1) * n + (j - 1) }
        let eps = Double.ulpOfOne
        var anorm = 0.0
        for i in 1...max(n, 1) where n > 0 { for j in max(i - 1, 1)...n { anorm += abs(a[ix(i, j)]) } }
        var nn = n, t = 0.0
        var p = 0.0, q = 0.0, r = 0.0, s = 0.0, w = 0.0, x = 0.0, y = 0.0, z = 0.0
        while nn >= 1 {
            var its = 0, l = 1
            repeat {
                l = nn
                while l >= 2 {  // look for a single small subdiagonal element
                    s = abs(a[ix(l - 1, l - 1)]) + abs(a[ix(l, l)])
                    if s == 0 { s = anorm }
                    if abs(a[ix(l, l - 1)]) <= eps * s { a[ix(l, l - 1)] = 0; break }
                    l -= 1
                }
                x = a[ix(nn, nn)]
                if l == nn {  // one root found
                    wr[nn] = x + t; wi[nn] = 0; nn -= 1
                } else {
                    y = a[ix(nn - 1, nn - 1)]
                    w = a[ix(nn, nn - 1)] * a[ix(nn - 1, nn)]
                    if l == nn - 1 {  // two roots found
                        p = 0.5 * (y - x)
                        q = p * p + w
                        z = abs(q).squareRoot()
                        x += t
                        if q >= 0 {
                            z = p + (p >= 0 ? abs(z) : -abs(z))
                            wr[nn - 1] = x + z; wr[nn] = x + z
                            if z != 0 { wr[nn] = x - w / z }
                            wi[nn - 1] = 0; wi[nn] = 0
                        } else {
                            wr[nn - 1] = x + p; wr[nn] = x + p
                            wi[nn - 1] = -z; wi[nn] = z
                        }
                        nn -= 2
                    } else {
                        guard its < 60 else { throw AnalysisError.noConvergence(algorithm: "Hessenberg QR (hqr)", iterations: its) }
                        if its > 0 && its % 10 == 0 {  // exceptional shift
                            t += x
                            for i in 1...nn { a[ix(i, i)] -= x }
                            s = abs(a[ix(nn, nn - 1)]) + abs(a[ix(nn - 1, nn - 2)])
                            x = 0.75 * s; y = x
                            w = -0.4375 * s * s
                        }
                        its += 1
                        var m = nn - 2
                        while m >= l {  // look for two consecutive small subdiagonal elements
                            z = a[ix(m, m)]
                            r = x - z
                            s = y - z
                            p = (r * s - w) / a[ix(m + 1, m)] + a[ix(m, m + 1)]
                            q = a[ix(m + 1, m + 1)] - z - r - s
                            r = a[ix(m + 2, m + 1)]
                            s = abs(p) + abs(q) + abs(r)
                            p /= s; q /= s; r /= s
                            if m == l { break }
                            let u = abs(a[ix(m, m - 1)]) * (abs(q) + abs(r))
                            let v = abs(p) * (abs(a[ix(m - 1, m - 1)]) + abs(z) + abs(a[ix(m + 1, m + 1)]))
                            if u <= eps * v { break }
                            m -= 1
                        }
                        for i in (m + 2)...nn {
                            a[ix(i, i - 2)] = 0
                            if i != m + 2 { a[ix(i, i - 3)] = 0 }
                        }
                        var k = m
                        while k <= nn - 1 {  // double QR step on rows l..nn, columns m..nn
                            if k != m {
                                p = a[ix(k, k - 1)]
                                q = a[ix(k + 1, k - 1)]
                                r = k != nn - 1 ? a[ix(k + 2, k - 1)] : 0
                                x = abs(p) + abs(q) + abs(r)
                                if x != 0 { p /= x; q /= x; r /= x }
                            }
                            let root = (p * p + q * q + r * r).squareRoot()
                            s = p >= 0 ? root : -root
                            if s != 0 {
                                if k == m {
                                    if l != m { a[ix(k, k - 1)] = -a[ix(k, k - 1)] }
                                } else {
                                    a[ix(k, k - 1)] = -s * x
                                }
                                p += s
                                x = p / s; y = q / s; z = r / s
                                q /= p; r /= p
                                // Rows k…k+2 from column k, then columns k…k+2 for rows l…min(nn, k+3).
                                let three = k != nn - 1, (rowCount, columnCount) = (nn - k + 1, min(nn, k + 3) - l + 1)
                                a.withUnsafeMutableBufferPointer { buffer in
                                    let base = buffer.baseAddress!
                                    func at(_ i: Int, _ j: Int) -> UnsafeMutablePointer<Double> { base + ix(i, j) }
                                    dreflect(rowCount, at(k, k), at(k + 1, k), three ? at(k + 2, k) : nil, stride: 1, u: (1, q, r), w: (x, y, z))
                                    dreflect(columnCount, at(l, k), at(l, k + 1), three ? at(l, k + 2) : nil, stride: n, u: (x, y, z), w: (1, q, r))
                                }
                            }
                            k += 1
                        }
                    }
                }
            } while l < nn - 1
        }
        return (1..<(n + 1)).map { (real: wr[$0], imaginary: wi[$0]) }
    }
}
