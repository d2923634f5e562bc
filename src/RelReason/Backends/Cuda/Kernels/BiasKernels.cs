using static RelReason.Backends.Cuda.Kernels.KernelLaunch;
using static RelReason.Backends.Cuda.Kernels.KernelParam;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>Launches kernels/bias.cu: bias add and the deterministic two-stage column sum of its gradient.</summary>
internal sealed class BiasKernels(IKernelLauncher launcher)
{
    // bias_add_kernel(int rows, int cols, const float* bias, float* y)
    internal static readonly KernelId AddKernel = new("bias", "bias_add_kernel", I32, I32, Ptr, Ptr);

    // bias_backward_partial_kernel(int rows, int cols, int chunkRows, const float* dy, float* partial)
    internal static readonly KernelId PartialKernel =
        new("bias", "bias_backward_partial_kernel", I32, I32, I32, Ptr, Ptr);

    // bias_backward_finish_kernel(int chunks, int cols, const float* partial, float* dbias, float beta)
    internal static readonly KernelId FinishKernel =
        new("bias", "bias_backward_finish_kernel", I32, I32, Ptr, Ptr, F32);

    internal static IEnumerable<KernelId> All => [AddKernel, PartialKernel, FinishKernel];

    /// <summary>
    /// Rows per chunk of the column sum: about sqrt(rows), so the two stages do similar serial work (each thread of
    /// the first sums chunkRows rows, each of the second sums rows / chunkRows chunks). Fixed by the shape, so the
    /// summation order, and the result's bits, never change between runs.
    /// </summary>
    internal static int ChunkRows(int rows) => Math.Max(16, (int)Math.Ceiling(Math.Sqrt(rows)));

    /// <summary>Floats of scratch <see cref="Backward"/> needs for dy viewed as [rows, cols].</summary>
    internal static long ScratchFloats(int rows, int cols)
    {
        int chunkRows = ChunkRows(rows);
        return (long)((rows + chunkRows - 1) / chunkRows) * cols;
    }

    /// <summary>y[r, c] += bias[c] over y viewed as [rows, cols].</summary>
    internal void Add(DevicePtr y, int rows, int cols, DevicePtr bias)
    {
        long n = (long)rows * cols;
        if (n == 0)
        {
            return;
        }
        var a = new KernelArgs();
        a.Int(rows);
        a.Int(cols);
        a.Ptr(bias);
        a.Ptr(y);
        launcher.Launch(AddKernel, Grid(n, "add bias"), Threads, ref a);
    }

    /// <summary>dBias[c] = sum over rows of dy[r, c] + beta dBias[c]; scratch: <see cref="ScratchFloats"/>.</summary>
    internal void Backward(DevicePtr dy, int rows, int cols, DevicePtr dBias, float beta, DevicePtr scratch)
    {
        if (cols == 0)
        {
            return;
        }
        if (rows == 0)
        {
            throw new ArgumentException("bias backward: dy has no rows");
        }
        int chunkRows = ChunkRows(rows);
        int chunks = (rows + chunkRows - 1) / chunkRows;
        var a = new KernelArgs();
        a.Int(rows);
        a.Int(cols);
        a.Int(chunkRows);
        a.Ptr(dy);
        a.Ptr(scratch);
        launcher.Launch(PartialKernel, Grid((long)chunks * cols, "bias backward"), Threads, ref a);
        var f = new KernelArgs();
        f.Int(chunks);
        f.Int(cols);
        f.Ptr(scratch);
        f.Ptr(dBias);
        f.Float(beta);
        launcher.Launch(FinishKernel, Grid(cols, "bias backward"), Threads, ref f);
    }
}
