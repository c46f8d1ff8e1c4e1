/// The MLP activation functions TransformerLens names in `act_fn` (and Hugging Face in
/// `activation_function` / `hidden_act`), each mapped onto its kernel.
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

    /// The kernel computing it.
    public var kernel: ActivationKernel {
        switch self {
        case .geluNew, .geluFast, .geluPytorchTanh: .tanhGELU
        case .gelu: .erfGELU
        case .silu: .silu
        case .relu: .relu
        }
    }
}
