// Kernel-level types that belong to the public vocabulary of tensors: the activation kernels
// (`Tensor.activation(_:)`) and the thread count. The raw pointer kernels themselves stay in
// `LensKernels` for code that wants them (`import LensKernels`).
@_exported import enum LensKernels.ActivationKernel
@_exported import enum LensKernels.KernelThreads
// A weight kept in a file's block format (`Weight(quantized:layout:shape:)`) and its formats.
@_exported import class LensKernels.QuantizedMatrix
@_exported import enum LensKernels.BlockFormat
