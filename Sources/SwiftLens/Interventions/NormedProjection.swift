/// f(x) = norm(x)·W + b_W on residual rows x, evaluated on x + Δ for Δ = Σ_h Δz_h·U_h (U_h =
/// W_O[h], [d_head, d_model]) from its value on x:
///
///     f(x + Δ) = (x̃W' + Σ_h Δz_h·Ũ_h W') / σ(x + Δ) + c
///
/// (x̃, Ũ_h, σ, W' and c from the norm: ``LayerNorm/centred(_:)``, ``LayerNorm/scale(of:)``,
/// ``LayerNorm/folded(weight:bias:)``; σ = 1, W' = W and c = b_W without a norm). x̃W' is
/// computed once, Ũ_h W' [d_head, n] once per head, so a change costs rows × d_head × n per
/// changed head.
struct NormedProjection {
    let norm: LayerNorm?
    /// x, [..., d_model].
    let residual: Tensor
    /// x̃W', [..., n].
    let baseProduct: Tensor
    /// W', [d_model, n].
    let weight: Tensor
    /// c, [n].
    let offset: Tensor
    /// U, [head, d_head, d_model].
    let directions: Tensor
    private var headProducts: [Int: Tensor] = [:]

    /// - Parameter output: f(x) if known (x̃W' is then recovered from it in one pass instead of
    ///   a product).
    init(norm: LayerNorm?, weight: Tensor, bias: Tensor, directions: Tensor, residual: Tensor, output: Tensor?) {
        self.norm = norm
        self.residual = residual
        self.directions = directions
        let (folded, offset) = norm?.folded(weight: weight, bias: bias) ?? (weight, bias)
        self.weight = folded
        self.offset = offset
        if let output {
            baseProduct = norm.map { (output - offset).scaledRows(by: $0.scale(of: residual)) } ?? output - offset
        } else {
            baseProduct = (norm?.centred(residual) ?? residual).matmul(folded)
        }
    }

    /// f(x + Σ Δz_h·U_h) and x + Σ Δz_h·U_h, for `changes` Δz_h [..., d_head] by head. The
    /// new scale comes first, so the output is one pass over x̃W' (scaled, offset) plus a GEMM
    /// per changed head accumulating (Δz_h/σ)·Ũ_h W' into it in place.
    mutating func evaluate(_ changes: [(head: Int, delta: Tensor)]) -> (output: Tensor, residual: Tensor) {
        var delta: Tensor?
        for (head, change) in changes {
            delta = delta.map { change.matmul(directions[head], adding: $0) } ?? change.matmul(directions[head])
        }
        let x = delta.map { residual + $0 } ?? residual
        let inverseScale = norm.map { 1 / $0.scale(of: x) }
        var output = inverseScale.map { baseProduct.scaledRows(by: $0, adding: offset) } ?? baseProduct + offset
        for (head, change) in changes {
            if headProducts[head] == nil {
                headProducts[head] = (norm?.centred(directions[head]) ?? directions[head]).matmul(weight)
            }
            output.addProduct(inverseScale.map { change * $0 } ?? change, headProducts[head]!)
        }
        return (output, x)
    }
}
