/// The MLP activation functions (`act_fn`), spelled as TransformerLens spells them; ``kernel``
/// says how each element-wise one is computed.
public enum Activation: String, Sendable, CaseIterable, Codable {
    /// GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    case geluNew = "gelu_new"
    /// The same formula (TransformerLens's `gelu_fast` uses a rounded constant).
    case geluFast = "gelu_fast"
    /// PyTorch's `gelu(approximate="tanh")`, the same formula again.
    case geluPytorchTanh = "gelu_pytorch_tanh"
    /// Exact GELU: 0.5·x·(1 + erf(x/√2)).
    case gelu = "gelu"
    /// x·σ(x).
    case silu = "silu"
    /// max(0, x).
    case relu = "relu"
    /// SoLU (Elhage et al. 2022): x ⊙ softmax(x) over the d_mlp axis. Not element-wise.
    case solu = "solu"
    /// SoLU followed by a LayerNorm over d_mlp (TransformerLens's `mlp.ln`): `hook_pre` →
    /// `hook_mid` = solu(pre) → `mlp.ln.hook_scale`, `mlp.ln.hook_normalized` → `hook_post` =
    /// LN(mid). The norm has weight and bias (`blocks.L.mlp.ln.w`, `.b`, [d_mlp]) when the
    /// model's `normalization_type` is `LN`, and none (`LNPre`) otherwise, as in TransformerLens;
    /// `fold_ln` folds them into `W_out` and `b_out`.
    case soluLN = "solu_ln"

    /// The element-wise kernel computing it; nil for the SoLU activations, which normalise
    /// over the whole d_mlp axis.
    public var kernel: ActivationKernel? {
        switch self {
        case .geluNew, .geluFast, .geluPytorchTanh: .tanhGELU
        case .gelu: .erfGELU
        case .silu: .silu
        case .relu: .relu
        case .solu, .soluLN: nil
        }
    }

    /// Whether the MLP applies a LayerNorm over d_mlp after the activation (`mlp.ln`, with its
    /// `hook_mid` before it): TransformerLens's `is_layer_norm_activation()`.
    public var isLayerNormActivation: Bool { self == .soluLN }

    /// The activations Hugging Face configs name (`activation_function`, `hidden_act`): the
    /// element-wise ones. SoLU is TransformerLens's own; its checkpoints are TransformerLens's.
    public static var elementwise: [Activation] { allCases.filter { $0.kernel != nil } }

    /// Applies the activation to pre-activations [..., d_mlp] (SoLU over the last axis).
    func apply(_ pre: Tensor) -> Tensor {
        if let kernel { return pre.activation(kernel) }
        return pre.solu()
    }

    /// act(pre) ⊙ linear, a gated MLP's neurons: one pass where the activation has a kernel.
    func applyGated(_ pre: Tensor, times linear: Tensor) -> Tensor {
        if let kernel, pre.shape == linear.shape { return pre.gatedActivation(kernel, times: linear) }
        return apply(pre) * linear
    }
}
