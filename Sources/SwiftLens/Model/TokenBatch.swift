/// Sequences of different lengths in one [batch, pos] tensor: the tokens, padded on one side,
/// and the mask saying which are real. A forward pass on it masks attention to the padding and
/// counts each row's positions from its first real token, so every row computes exactly what it
/// would alone; its losses ignore the padding.
public struct TokenBatch: Sendable {
    /// Where the padding goes.
    public enum Padding: Sendable {
        /// After each sequence (TransformerLens's default).
        case right
        /// Before each sequence, so every row's last token is at the last position (for generation).
        case left
    }

    /// [batch, pos] token ids; padding holds `padToken`.
    public let tokens: IntTensor
    /// [batch, pos]: 1 for a real token, 0 for padding.
    public let attentionMask: IntTensor
    public let padding: Padding

    /// Pads `sequences` (each at least one token) to the longest with `padToken`.
    public init(_ sequences: [[Int]], padding: Padding = .right, padToken: Int = 0) {
        let length = sequences.map(\.count).max() ?? 0
        var ids: [Int] = [], mask: [Int] = []
        for sequence in sequences {
            let pad = length - sequence.count
            let fill = [Int](repeating: padToken, count: pad), none = [Int](repeating: 0, count: pad)
            let ones = [Int](repeating: 1, count: sequence.count)
            switch padding {
            case .right: ids += sequence + fill; mask += ones + none
            case .left: ids += fill + sequence; mask += none + ones
            }
        }
        tokens = IntTensor(shape: [sequences.count, length], values: ids)
        attentionMask = IntTensor(shape: [sequences.count, length], values: mask)
        self.padding = padding
    }

    /// Each row's positions counted from its first real token (padding before it at 0).
    var rowPositions: IntTensor {
        let (batch, length) = (tokens.shape[0], tokens.shape[1])
        let mask = attentionMask.scalars
        var positions = [Int](repeating: 0, count: batch * length)
        for b in 0..<batch {
            let first = (0..<length).first { mask[b * length + $0] != 0 } ?? 0
            for p in first..<length { positions[b * length + p] = p - first }
        }
        return IntTensor(shape: [batch, length], values: positions)
    }
}
