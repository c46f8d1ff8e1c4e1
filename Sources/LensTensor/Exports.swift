// Kernel-level types that belong to the public vocabulary of tensors: the activation kernels
// (`Tensor.activation(_:)`) and the thread count. The raw pointer kernels themselves stay in
// `LensKernels` for code that wants them (`import LensKernels`).
@_exported import enum LensKernels.ActivationKernel
@_exported import enum LensKernels.KernelThreads
