namespace RelReason.Tests.Cuda;

/// <summary>
/// How far the CUDA backend may be from the CPU backend, in one table with the reason for each entry. A GPU value
/// g passes against the CPU value c when |g - c| &lt;= Abs * scale + Rel * |c|, scale being the largest |c| of the
/// tensor. These are first estimates from the arithmetic each side does, not yet measured on a GPU.
/// </summary>
internal static class GpuTolerance
{
    internal readonly record struct Tol(double Abs, double Rel, string Why);

    /// <summary>Element-wise kernels: nvcc contracts a * b + c into a fused multiply-add (1 rounding fewer).</summary>
    internal static readonly Tol Elementwise = new(1e-7, 1e-6, "fused multiply-add on the GPU, 1-2 ulp");

    /// <summary>Copies, fills, gathers and max: no arithmetic, or the same single operation.</summary>
    internal static readonly Tol Exact = new(0, 0, "no rounding differs");

    /// <summary>SGEMM: cuBLAS tiles and accumulates k in another order; k here is at most a few hundred.</summary>
    internal static readonly Tol Gemm = new(2e-6, 1e-5, "float32 dot products of <= 300 terms in another order");

    /// <summary>cuDNN convolutions: implicit GEMM, FFT or Winograd algorithms round differently from im2col.</summary>
    internal static readonly Tol Conv = new(2e-5, 1e-4, "cuDNN algorithm choice (Winograd/FFT transforms)");

    /// <summary>Batch norm: cuDNN computes statistics in float32 (the CPU backend in double).</summary>
    internal static readonly Tol BatchNorm = new(2e-5, 1e-4, "float32 batch statistics against double sums");

    /// <summary>Pooling and column sums: float32 sums of a few to a thousand terms in another order.</summary>
    internal static readonly Tol Sums = new(1e-6, 1e-5, "float32 sums in another order");

    /// <summary>Losses and their gradients: float32 exp/log on the GPU against double on the CPU.</summary>
    internal static readonly Tol Loss = new(1e-6, 2e-5, "float32 transcendental functions against double");

    /// <summary>Adam / SGD: the same float32 formula with contracted multiply-adds.</summary>
    internal static readonly Tol Optimizer = new(1e-7, 2e-6, "fused multiply-add in the update");

    /// <summary>
    /// A full Conv-4 + head step: conv and batch norm differences pass through four blocks and the head's batch
    /// norm over the pairs, which amplifies them (the engine's own CPU-vs-PyTorch tolerance for logits is 1e-4).
    /// </summary>
    internal static readonly Tol Step = new(1e-4, 1e-3, "conv/BN rounding amplified through the network");

    /// <summary>
    /// The loss after 20 Adam steps: each step's differences shift the next step's inputs, and Adam normalises
    /// small gradients to unit steps, so agreement is looser than one step (still far below the loss's own change).
    /// </summary>
    internal static readonly Tol Trajectory = new(0, 1e-2, "20 steps of Adam compound float32 differences");

    internal static void AssertClose(float[] actual, float[] expected, Tol tol, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        double scale = expected.Length == 0 ? 0 : expected.Max(v => Math.Abs((double)v));
        var first = new List<string>();
        double maxAbs = 0;
        int failures = 0, maxAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs((double)actual[i] - expected[i]);
            bool ok = actual[i] == expected[i] || err <= tol.Abs * scale + tol.Rel * Math.Abs(expected[i]);
            if (!double.IsNaN(err) && err > maxAbs)
            {
                maxAbs = err;
                maxAt = i;
            }
            if (!ok)
            {
                failures++;
                if (first.Count < 5)
                {
                    first.Add($"[{i}] gpu {actual[i]:R} cpu {expected[i]:R}");
                }
            }
        }
        Assert.That(failures, Is.Zero,
            $"{what}: {failures} of {expected.Length} beyond {tol.Abs} x {scale:G3} + {tol.Rel} rel ({tol.Why}); " +
            $"first: {string.Join(", ", first)}; max abs error {maxAbs:E2} at {maxAt}");
    }
}
