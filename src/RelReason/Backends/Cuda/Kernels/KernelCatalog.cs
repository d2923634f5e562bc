namespace RelReason.Backends.Cuda.Kernels;

/// <summary>Every kernel the launch classes know, for the checks against the PTX and the host library.</summary>
internal static class KernelCatalog
{
    internal static IReadOnlyList<KernelId> All { get; } =
    [
        .. ElementwiseKernels.All, .. BiasKernels.All, .. PairKernels.All, .. LossKernels.All, .. OptimKernels.All,
        .. PoolKernels.All, .. AugmentKernels.All,
    ];
}
