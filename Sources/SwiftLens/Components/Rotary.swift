import Foundation

/// Rotary position embeddings (Su et al. 2021) as TransformerLens applies them: the first
/// `rotaryDim` components of each query and key head are rotated by position-dependent angles;
/// the rest pass through.
///
/// Frequencies: for i in 0 ..< rotaryDim/2, θᵢ = base^(−i / (rotaryDim/2)); position p turns
/// pair i by p·θᵢ. Pairing: LLaMA / GPT-NeoX rotate component i with i + rotaryDim/2
/// ("rotate half", `rotary_adjacent_pairs = false`); GPT-J rotates (2i, 2i+1).
///
/// TransformerLens precomputes `rotary_sin` / `rotary_cos` buffers of `n_ctx` rows. Here the
/// rows are computed when a run first needs them and cached (under a lock, shared by every
/// layer and thread), growing to the longest position used so far: a model whose config
/// declares `n_ctx` = 10⁷ but runs 5 tokens computes a handful of rows, not gigabytes. Each
/// row is computed by the same formula whatever the table's size, so the values are those of
/// TransformerLens's buffers bit for bit.
public struct Rotary: Sendable {
    public let rotaryDim: Int
    public let adjacentPairs: Bool
    /// `rotary_base`.
    public let base: Float
    private let cache: Cache

    public init(rotaryDim: Int, base: Float, adjacentPairs: Bool) {
        self.rotaryDim = rotaryDim
        self.adjacentPairs = adjacentPairs
        self.base = base
        cache = Cache(rotaryDim: rotaryDim, base: base, adjacentPairs: adjacentPairs)
    }

    /// The sines and cosines of positions `positions`, [positions.count, rotaryDim] each: rows
    /// `positions` of TransformerLens's `rotary_sin` and `rotary_cos` buffers.
    public func tables(for positions: Range<Int>) -> (sin: Tensor, cos: Tensor) {
        cache.tables(for: positions)
    }

    /// Rotates [batch, pos, head, d_head] queries or keys at absolute positions start ..< start + pos.
    func callAsFunction(_ x: Tensor, startingAt start: Int) -> Tensor {
        let positions = x.shape[1]
        let (sin, cos) = tables(for: start..<(start + positions))
        return rotate(x, sin: sin, cos: cos)
    }

    /// Rotates [batch, pos, head, d_head] queries or keys, each at its own absolute position
    /// `positions` [batch, pos] (rows of a padded batch start at different places).
    func callAsFunction(_ x: Tensor, positions: IntTensor) -> Tensor {
        let (batch, length) = (x.shape[0], x.shape[1])
        let (sin, cos) = tables(for: 0..<(positions.scalars.max() ?? 0) + 1)
        return rotate(x, sin: sin.indexSelect(positions, axis: 0).reshaped(batch, length, rotaryDim),
                      cos: cos.indexSelect(positions, axis: 0).reshaped(batch, length, rotaryDim))
    }

    /// x [batch, pos, head, d_head] rotated by the angles whose sines and cosines are `sinP`,
    /// `cosP` ([pos, rotaryDim], or [batch, pos, rotaryDim] for per-sequence positions).
    private func rotate(_ x: Tensor, sin sinP: Tensor, cos cosP: Tensor) -> Tensor {
        // [x1, x2] → x·cos + [−x2, x1]·sin on the two halves, in one pass.
        if !adjacentPairs { return x.rotatedHalf(sin: sinP, cos: cosP, rotaryDim: rotaryDim) }
        let dHead = x.shape[3]
        // The tables as [1 or batch, pos, 1, rotaryDim], broadcasting over the heads.
        let tables = (sinP.rank == 2 ? [1] : [sinP.shape[0]]) + [sinP.shape[sinP.rank - 2], 1, rotaryDim]
        let rotated = rotaryDim == dHead ? x : x[.ellipsis, ..<rotaryDim]
        // (a, b) → (−b, a) on each pair (2i, 2i+1).
        let pairs = rotated.reshaped(Array(rotated.shape.dropLast()) + [rotaryDim / 2, 2])
        let even = pairs[.ellipsis, 0], odd = pairs[.ellipsis, 1]
        let turned = Tensor.stack([-odd, even], axis: -1).reshaped(rotated.shape)
        let out = rotated * cosP.reshaped(tables) + turned * sinP.reshaped(tables)
        if rotaryDim == dHead { return out }
        return Tensor.concatenate([out, x[.ellipsis, rotaryDim...]], axis: -1)
    }

    /// The table rows computed so far, grown (at least doubling) when a run needs a later position.
    private final class Cache: @unchecked Sendable {
        let rotaryDim: Int
        /// θ for each of the `rotaryDim` components: [θ0 … θ(h−1), θ0 … θ(h−1)] (rotate half) or
        /// [θ0, θ0, θ1, θ1, …] (adjacent pairs).
        let thetas: [Double]
        private let lock = NSLock()
        private var rows = 0
        private var sin = Tensor.zeros([0, 0])
        private var cos = Tensor.zeros([0, 0])

        init(rotaryDim: Int, base: Float, adjacentPairs: Bool) {
            self.rotaryDim = rotaryDim
            let half = rotaryDim / 2
            thetas = (0..<rotaryDim).map { j in
                let i = adjacentPairs ? j / 2 : j % half
                return Foundation.pow(Double(base), -Double(i) / Double(half))
            }
        }

        func tables(for positions: Range<Int>) -> (sin: Tensor, cos: Tensor) {
            // Negative positions (never used by a forward pass) are computed directly.
            guard positions.lowerBound >= 0 else { return compute(positions) }
            return lock.withLock {
                if positions.upperBound > rows {
                    let grown = max(positions.upperBound, 2 * rows, 16)
                    (sin, cos) = compute(0..<grown)
                    rows = grown
                }
                return (sin[positions], cos[positions])
            }
        }

        /// The rows of `positions`, each entry sin or cos of p·θⱼ in `Double`, rounded to `Float`.
        func compute(_ positions: Range<Int>) -> (sin: Tensor, cos: Tensor) {
            var s = [Float](repeating: 0, count: positions.count * rotaryDim), c = s
            for (row, p) in positions.enumerated() {
                for j in 0..<rotaryDim {
                    let angle = Double(p) * thetas[j]
                    s[row * rotaryDim + j] = Float(Foundation.sin(angle))
                    c[row * rotaryDim + j] = Float(Foundation.cos(angle))
                }
            }
            return (Tensor(shape: [positions.count, rotaryDim], values: s), Tensor(shape: [positions.count, rotaryDim], values: c))
        }
    }
}
