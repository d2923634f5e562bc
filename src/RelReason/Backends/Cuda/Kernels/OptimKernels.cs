using static RelReason.Backends.Cuda.Kernels.KernelLaunch;
using static RelReason.Backends.Cuda.Kernels.KernelParam;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>Launches kernels/optim.cu: Adam and SGD updates of one parameter tensor.</summary>
internal sealed class OptimKernels(IKernelLauncher launcher)
{
    // adam_step_kernel(int n, float* param, const float* grad, float* m, float* v, float beta1, float beta2,
    //                  float eps, float weightDecay, float stepSize, float invBc2Sqrt)
    internal static readonly KernelId AdamKernel =
        new("optim", "adam_step_kernel", I32, Ptr, Ptr, Ptr, Ptr, F32, F32, F32, F32, F32, F32);

    // sgd_step_kernel(int n, float* param, const float* grad, float* buf, float lr, float momentum,
    //                 float weightDecay, int nesterov, int firstStep)
    internal static readonly KernelId SgdKernel =
        new("optim", "sgd_step_kernel", I32, Ptr, Ptr, Ptr, F32, F32, F32, I32, I32);

    internal static IEnumerable<KernelId> All => [AdamKernel, SgdKernel];

    /// <summary>One Adam step t (from 1) over n parameters; bias corrections in double, as PyTorch does.</summary>
    internal void Adam(DevicePtr param, DevicePtr grad, DevicePtr m, DevicePtr v, long n, float lr, float beta1,
        float beta2, float eps, float weightDecay, int step)
    {
        if (step < 1)
        {
            throw new ArgumentException($"adam: step must start at 1, got {step}");
        }
        if (n == 0)
        {
            return;
        }
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        var a = new KernelArgs();
        a.Int(Count(n, "adam"));
        a.Ptr(param);
        a.Ptr(grad);
        a.Ptr(m);
        a.Ptr(v);
        a.Float(beta1);
        a.Float(beta2);
        a.Float(eps);
        a.Float(weightDecay);
        a.Float((float)(lr / bc1));
        a.Float((float)(1 / bc2Sqrt));
        launcher.Launch(AdamKernel, Grid(n, "adam"), Threads, ref a);
    }

    /// <summary>One SGD step with momentum (dampening 0) over n parameters.</summary>
    internal void Sgd(DevicePtr param, DevicePtr grad, DevicePtr buffer, long n, float lr, float momentum,
        float weightDecay, bool nesterov, bool firstStep)
    {
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(Count(n, "sgd"));
        a.Ptr(param);
        a.Ptr(grad);
        a.Ptr(buffer);
        a.Float(lr);
        a.Float(momentum);
        a.Float(weightDecay);
        a.Int(nesterov ? 1 : 0);
        a.Int(firstStep ? 1 : 0);
        launcher.Launch(SgdKernel, Grid(n, "sgd"), Threads, ref a);
    }
}
