import Foundation
import LensSIMD

// LayerNorm and RMSNorm over the last axis of a `[rows, n]` array, forward and backward side by
// side. The forward keeps per-row statistics (`mean`, `rstd` = 1/√(var + eps)) that the backward
// reuses. TransformerLens's `hook_scale` is 1/rstd.

/// LayerNorm: out = (x − mean) · rstd · weight + bias per row (weight/bias optional, as in
/// TransformerLens's `LNPre`). `mean` and `rstd` receive one value per row.
public func layerNormForward(_ x: UnsafePointer<Float>, rows: Int, n: Int, weight: UnsafePointer<Float>?,
                             bias: UnsafePointer<Float>?, eps: Float, _ out: UnsafeMutablePointer<Float>,
                             mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
    let px = SendablePointer(x), po = SendablePointer(out), pm = SendablePointer(mean), pr = SendablePointer(rstd)
    let pw = weight.map(SendablePointer.init), pb = bias.map(SendablePointer.init)
    forRows(rows, n) { range in
        for r in range {
            let xr = px.raw + r * n, o = po.raw + r * n
            let mu = sum(xr, n) / Float(n)
            let muv = Float8(repeating: mu)
            var acc = Float8()
            var i = 0
            while i + 8 <= n { let d = load8(xr + i) - muv; acc = acc.addingProduct(d, d); i += 8 }
            var ss = horizontalSum(acc)
            while i < n { let d = xr[i] - mu; ss += d * d; i += 1 }
            let rs = 1 / (ss / Float(n) + eps).squareRoot()
            pm.raw[r] = mu
            pr.raw[r] = rs
            let rsv = Float8(repeating: rs)
            switch (pw, pb) {
            case let (w?, b?):
                var j = 0
                while j + 8 <= n {
                    store8(load8(b.raw + j).addingProduct((load8(xr + j) - muv) * rsv, load8(w.raw + j)), o + j); j += 8
                }
                while j < n { o[j] = (xr[j] - mu) * rs * w.raw[j] + b.raw[j]; j += 1 }
            case let (w?, nil):
                mapRows(xr, w.raw, o, n) { v, wv in (v - muv) * rsv * wv }
            default:
                mapRow(xr, o, n) { v in (v - muv) * rsv }
            }
        }
    }
}

/// LayerNorm backward. `dx` gets dL/dx; `dWeight`/`dBias` (if given) are *accumulated* into.
public func layerNormBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                              rstd: UnsafePointer<Float>, weight: UnsafePointer<Float>?, rows: Int, n: Int,
                              dx: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
                              dBias: UnsafeMutablePointer<Float>?) {
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n)
    defer { scratch.deallocate() }
    let xhat = scratch, g = scratch + n
    let invN = 1 / Float(n)
    for r in 0..<rows {
        let xr = x + r * n, dyr = dy + r * n, dxr = dx + r * n
        let mu = Float8(repeating: mean[r]), rs = Float8(repeating: rstd[r])
        mapRow(xr, xhat, n) { v in (v - mu) * rs }
        if let w = weight { mapRows(dyr, w, g, n) { a, b in a * b } } else { g.update(from: dyr, count: n) }
        let meanG = Float8(repeating: sum(g, n) * invN)
        let meanGX = Float8(repeating: dot(g, xhat, n) * invN)
        mapRows(g, xhat, dxr, n) { gv, xv in rs * (gv - meanG - xv * meanGX) }
        if let dw = dWeight { mapRows(dyr, xhat, xhat, n) { a, b in a * b }; add(dw, xhat, dw, n) }
        if let db = dBias { add(db, dyr, db, n) }
    }
}

/// RMSNorm: out = x · rstd · weight per row, rstd = 1/√(mean(x²) + eps) (weight optional, as in
/// `RMSNormPre`).
public func rmsNormForward(_ x: UnsafePointer<Float>, rows: Int, n: Int, weight: UnsafePointer<Float>?, eps: Float,
                           _ out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
    let px = SendablePointer(x), po = SendablePointer(out), pr = SendablePointer(rstd)
    let pw = weight.map(SendablePointer.init)
    forRows(rows, n) { range in
        for r in range {
            let xr = px.raw + r * n, o = po.raw + r * n
            let rs = 1 / (dot(xr, xr, n) / Float(n) + eps).squareRoot()
            pr.raw[r] = rs
            let rsv = Float8(repeating: rs)
            if let w = pw {
                mapRows(xr, w.raw, o, n) { v, wv in v * rsv * wv }
            } else {
                mapRow(xr, o, n) { v in v * rsv }
            }
        }
    }
}

/// RMSNorm backward. `dx` gets dL/dx; `dWeight` (if given) is *accumulated* into.
public func rmsNormBackward(_ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                            weight: UnsafePointer<Float>?, rows: Int, n: Int, dx: UnsafeMutablePointer<Float>,
                            dWeight: UnsafeMutablePointer<Float>?) {
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n)
    defer { scratch.deallocate() }
    let xhat = scratch, g = scratch + n
    let invN = 1 / Float(n)
    for r in 0..<rows {
        let xr = x + r * n, dyr = dy + r * n, dxr = dx + r * n
        let rs = Float8(repeating: rstd[r])
        mapRow(xr, xhat, n) { v in v * rs }
        if let w = weight { mapRows(dyr, w, g, n) { a, b in a * b } } else { g.update(from: dyr, count: n) }
        let meanGX = Float8(repeating: dot(g, xhat, n) * invN)
        mapRows(g, xhat, dxr, n) { gv, xv in rs * (gv - xv * meanGX) }
        if let dw = dWeight { mapRows(dyr, xhat, xhat, n) { a, b in a * b }; add(dw, xhat, dw, n) }
    }
}
