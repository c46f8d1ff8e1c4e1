import Foundation

/// Rotary position embeddings (Su et al. 2021) as TransformerLens applies them: the first
/// `rotaryDim` components of each query and key head are rotated by position-dependent angles;
/// the rest pass through.
///
/// Frequencies: for i in 0 ..< rotaryDim/2, θᵢ = base^(−i / (rotaryDim/2)); position p turns
/// pair i by p·θᵢ. Pairing: LLaMA / GPT-NeoX rotate component i with i + rotaryDim/2
/// ("rotate half", `rotary_adjacent_pairs = false`); GPT-J rotates (2i, 2i+1).
public struct Rotary {
    public let rotaryDim: Int
    public let adjacentPairs: Bool
    /// [n_ctx, rotaryDim] tables (TransformerLens buffers `rotary_sin` / `rotary_cos`).
    public let sin: Tensor
    public let cos: Tensor

    public init(rotaryDim: Int, contextLength: Int, base: Float, adjacentPairs: Bool) {
        self.rotaryDim = rotaryDim
        self.adjacentPairs = adjacentPairs
        let half = rotaryDim / 2
        var s = [Float](repeating: 0, count: contextLength * rotaryDim), c = s
        for p in 0..<contextLength {
            for j in 0..<rotaryDim {
                // Non-adjacent: [θ0 … θ(h−1), θ0 … θ(h−1)]; adjacent: [θ0, θ0, θ1, θ1, …].
                let i = adjacentPairs ? j / 2 : j % half
                let theta = Foundation.pow(Double(base), -Double(i) / Double(half))
                let angle = Double(p) * theta
                s[p * rotaryDim + j] = Float(Foundation.sin(angle))
                c[p * rotaryDim + j] = Float(Foundation.cos(angle))
            }
        }
        sin = Tensor(shape: [contextLength, rotaryDim], values: s)
        cos = Tensor(shape: [contextLength, rotaryDim], values: c)
    }

    /// Rotates [batch, pos, head, d_head] queries or keys at absolute positions start ..< start + pos.
    func callAsFunction(_ x: Tensor, startingAt start: Int) -> Tensor {
        let positions = x.shape[1], dHead = x.shape[3]
        let rotated = rotaryDim == dHead ? x : x[.ellipsis, ..<rotaryDim]
        let cosP = cos[start..<(start + positions)].reshaped(1, positions, 1, rotaryDim)
        let sinP = sin[start..<(start + positions)].reshaped(1, positions, 1, rotaryDim)
        let turned: Tensor
        if adjacentPairs {
            // (a, b) → (−b, a) on each pair (2i, 2i+1).
            let pairs = rotated.reshaped(Array(rotated.shape.dropLast()) + [rotaryDim / 2, 2])
            let even = pairs[.ellipsis, 0], odd = pairs[.ellipsis, 1]
            turned = Tensor.stack([-odd, even], axis: -1).reshaped(rotated.shape)
        } else {
            // [x1, x2] → [−x2, x1] on the two halves.
            let halves = rotated.split([rotaryDim / 2, rotaryDim / 2], axis: -1)
            turned = Tensor.concatenate([-halves[1], halves[0]], axis: -1)
        }
        let out = rotated * cosP + turned * sinP
        if rotaryDim == dHead { return out }
        return Tensor.concatenate([out, x[.ellipsis, rotaryDim...]], axis: -1)
    }
}
