/// A module spliced into a model at a hook point — a sparse autoencoder at
/// `blocks.8.hook_resid_post`, a probe, a low-rank edit. It runs on the activation after the
/// point's hooks, returns what the model carries on with (same shape), and declares hook points
/// of its own, which join ``HookedTransformer/hookPoints`` right after the host point and can be
/// hooked, cached and patched like any other.
///
/// ```swift
/// struct Scale: SplicedModule {
///     let point = HookPoint("blocks.0.scale.hook_out", .residual)
///     var hookPoints: [HookPoint] { [point] }
///     func callAsFunction(_ x: Tensor, pass: ForwardPass) throws -> Tensor {
///         try pass.fire(point, x * 0.5)
///     }
/// }
/// try model.splice(Scale(), at: .residPost(0))
/// ```
public protocol SplicedModule: Sendable {
    /// The module's own hook points, in firing order.
    var hookPoints: [HookPoint] { get }
    /// The activation at the host point → its replacement (same shape), firing the module's
    /// points through `pass`.
    func callAsFunction(_ activation: Tensor, pass: ForwardPass) throws -> Tensor
}
