using static RelReason.Backends.Cuda.Kernels.KernelLaunch;
using static RelReason.Backends.Cuda.Kernels.KernelParam;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>Launches kernels/elementwise.cu and kernels/activation.cu: fill, add, accumulate, LeakyReLU.</summary>
internal sealed class ElementwiseKernels(IKernelLauncher launcher)
{
    // fill_kernel(int n, float value, float* y)
    internal static readonly KernelId FillKernel = new("elementwise", "fill_kernel", I32, F32, Ptr);

    // add_kernel(int n, const float* a, const float* b, float* y)
    internal static readonly KernelId AddKernel = new("elementwise", "add_kernel", I32, Ptr, Ptr, Ptr);

    // accumulate_kernel(int n, const float* x, float* y, float beta)
    internal static readonly KernelId AccumulateKernel = new("elementwise", "accumulate_kernel", I32, Ptr, Ptr, F32);

    // leaky_relu_forward_kernel(int n, const float* x, float* y, float slope)
    internal static readonly KernelId LeakyForwardKernel =
        new("activation", "leaky_relu_forward_kernel", I32, Ptr, Ptr, F32);

    // leaky_relu_backward_kernel(int n, const float* x, const float* dy, float* dx, float slope, float beta)
    internal static readonly KernelId LeakyBackwardKernel =
        new("activation", "leaky_relu_backward_kernel", I32, Ptr, Ptr, Ptr, F32, F32);

    internal static IEnumerable<KernelId> All =>
        [FillKernel, AddKernel, AccumulateKernel, LeakyForwardKernel, LeakyBackwardKernel];

    /// <summary>y[0..n) = value.</summary>
    internal void Fill(DevicePtr y, long n, float value)
    {
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(Count(n, "fill"));
        a.Float(value);
        a.Ptr(y);
        launcher.Launch(FillKernel, Grid(n, "fill"), Threads, ref a);
    }

    /// <summary>y = a + b over n elements; y may alias a or b.</summary>
    internal void Add(DevicePtr x1, DevicePtr x2, DevicePtr y, long n)
    {
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(Count(n, "add"));
        a.Ptr(x1);
        a.Ptr(x2);
        a.Ptr(y);
        launcher.Launch(AddKernel, Grid(n, "add"), Threads, ref a);
    }

    /// <summary>y = x + beta * y over n elements (beta 0 copies).</summary>
    internal void Accumulate(DevicePtr x, DevicePtr y, long n, float beta)
    {
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(Count(n, "accumulate"));
        a.Ptr(x);
        a.Ptr(y);
        a.Float(beta);
        launcher.Launch(AccumulateKernel, Grid(n, "accumulate"), Threads, ref a);
    }

    /// <summary>y = x &gt; 0 ? x : slope x.</summary>
    internal void LeakyReluForward(DevicePtr x, DevicePtr y, long n, float slope)
    {
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(Count(n, "leaky relu"));
        a.Ptr(x);
        a.Ptr(y);
        a.Float(slope);
        launcher.Launch(LeakyForwardKernel, Grid(n, "leaky relu"), Threads, ref a);
    }

    /// <summary>dx = dy * (x &gt; 0 ? 1 : slope) + beta dx.</summary>
    internal void LeakyReluBackward(DevicePtr x, DevicePtr dy, DevicePtr dx, long n, float slope, float beta)
    {
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(Count(n, "leaky relu backward"));
        a.Ptr(x);
        a.Ptr(dy);
        a.Ptr(dx);
        a.Float(slope);
        a.Float(beta);
        launcher.Launch(LeakyBackwardKernel, Grid(n, "leaky relu backward"), Threads, ref a);
    }
}
