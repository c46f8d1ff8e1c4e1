// Kernel-level types that belong to the public vocabulary of tensors: activation names (they
// appear in model configs) and the thread count. The raw pointer kernels themselves stay in
// `LensKernels` for code that wants them (`import LensKernels`).
@_exported import enum LensKernels.Activation
@_exported import enum LensKernels.KernelThreads
