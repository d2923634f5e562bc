using static RelReason.Backends.Cuda.Kernels.KernelLaunch;
using static RelReason.Backends.Cuda.Kernels.KernelParam;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>Launches kernels/pool.cu: global average pooling and its backward pass.</summary>
internal sealed class PoolKernels(IKernelLauncher launcher)
{
    // global_avg_pool_forward_kernel(int planes, int size, const float* x, float* y)
    internal static readonly KernelId GlobalAvgForwardKernel =
        new("pool", "global_avg_pool_forward_kernel", I32, I32, Ptr, Ptr);

    // global_avg_pool_backward_kernel(int planes, int size, const float* dy, float* dx, float beta)
    internal static readonly KernelId GlobalAvgBackwardKernel =
        new("pool", "global_avg_pool_backward_kernel", I32, I32, Ptr, Ptr, F32);

    internal static IEnumerable<KernelId> All => [GlobalAvgForwardKernel, GlobalAvgBackwardKernel];

    /// <summary>y[q] = mean of x[q, 0..size) for each of the N*C planes.</summary>
    internal void GlobalAvgForward(DevicePtr x, DevicePtr y, int planes, int size)
    {
        if (planes == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(planes);
        a.Int(size);
        a.Ptr(x);
        a.Ptr(y);
        launcher.Launch(GlobalAvgForwardKernel, Grid(planes, "global avg pool"), Threads, ref a);
    }

    /// <summary>dx[q, i] = dy[q] / size + beta dx[q, i].</summary>
    internal void GlobalAvgBackward(DevicePtr dy, DevicePtr dx, int planes, int size, float beta)
    {
        long n = (long)planes * size;
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(planes);
        a.Int(size);
        a.Ptr(dy);
        a.Ptr(dx);
        a.Float(beta);
        launcher.Launch(GlobalAvgBackwardKernel, Grid(n, "global avg pool backward"), Threads, ref a);
    }
}
