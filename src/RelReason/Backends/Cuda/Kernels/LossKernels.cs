using static RelReason.Backends.Cuda.Kernels.KernelLaunch;
using static RelReason.Backends.Cuda.Kernels.KernelParam;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>
/// Launches kernels/loss.cu: fused forward + backward of the binary (BCE, focal) and softmax cross-entropy
/// losses. Each writes per-thread partial sums into scratch, then loss_finish_kernel adds them in a fixed order.
/// </summary>
internal sealed class LossKernels(IKernelLauncher launcher)
{
    /// <summary>Most blocks of the first stage: caps the partials the single finishing thread adds up.</summary>
    internal const int MaxBlocks = 8;

    // binary_loss_kernel(int count, int kind, float gamma, float alpha, const float* logits, const float* targets,
    //                    float invCount, float* dLogits, float* partial)
    internal static readonly KernelId BinaryKernel =
        new("loss", "binary_loss_kernel", I32, I32, F32, F32, Ptr, Ptr, F32, Ptr, Ptr);

    // softmax_xent_kernel(int rows, int classes, const float* logits, const float* labels, float invRows,
    //                     float* dLogits, float* partial)
    internal static readonly KernelId SoftmaxKernel =
        new("loss", "softmax_xent_kernel", I32, I32, Ptr, Ptr, F32, Ptr, Ptr);

    // loss_finish_kernel(int partials, const float* partial, float invCount, float* loss)
    internal static readonly KernelId FinishKernel = new("loss", "loss_finish_kernel", I32, Ptr, F32, Ptr);

    internal static IEnumerable<KernelId> All => [BinaryKernel, SoftmaxKernel, FinishKernel];

    private static int Blocks(int items) => Math.Clamp((items + Block - 1) / Block, 1, MaxBlocks);

    /// <summary>Floats of scratch a loss over <paramref name="items"/> logits (or rows) needs.</summary>
    internal static long ScratchFloats(int items) => 2L * Blocks(items) * Block;

    /// <summary>
    /// loss[0] = mean loss, loss[1] = correct count, dLogits = d mean / d logit, for <paramref name="count"/>
    /// logits against 0/1 targets.
    /// </summary>
    internal void Binary(DevicePtr logits, DevicePtr targets, int count, BinaryLossKind kind, float gamma,
        float alpha, DevicePtr loss, DevicePtr dLogits, DevicePtr scratch)
    {
        if (count <= 0)
        {
            throw new ArgumentException("binary loss: no logits");
        }
        int blocks = Blocks(count);
        var a = new KernelArgs();
        a.Int(count);
        a.Int((int)kind);
        a.Float(gamma);
        a.Float(alpha);
        a.Ptr(logits);
        a.Ptr(targets);
        a.Float(1f / count);
        a.Ptr(dLogits);
        a.Ptr(scratch);
        launcher.Launch(BinaryKernel, new Dim3((uint)blocks), Threads, ref a);
        Finish(blocks * Block, scratch, count, loss);
    }

    /// <summary>Softmax cross-entropy of logits [rows, classes] against labels [rows] (class ids as floats).</summary>
    internal void SoftmaxCrossEntropy(DevicePtr logits, DevicePtr labels, int rows, int classes, DevicePtr loss,
        DevicePtr dLogits, DevicePtr scratch)
    {
        if (rows <= 0 || classes <= 0)
        {
            throw new ArgumentException($"softmax cross-entropy: empty logits [{rows}, {classes}]");
        }
        int blocks = Blocks(rows);
        var a = new KernelArgs();
        a.Int(rows);
        a.Int(classes);
        a.Ptr(logits);
        a.Ptr(labels);
        a.Float(1f / rows);
        a.Ptr(dLogits);
        a.Ptr(scratch);
        launcher.Launch(SoftmaxKernel, new Dim3((uint)blocks), Threads, ref a);
        Finish(blocks * Block, scratch, rows, loss);
    }

    private void Finish(int partials, DevicePtr scratch, int count, DevicePtr loss)
    {
        var a = new KernelArgs();
        a.Int(partials);
        a.Ptr(scratch);
        a.Float(1f / count);
        a.Ptr(loss);
        launcher.Launch(FinishKernel, new Dim3(1), new Dim3(1), ref a);
    }
}
