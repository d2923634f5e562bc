namespace RelReason.Tests.Engine;

/// <summary>
/// Every tolerance the engine is compared with, in one place, each with the reason for its size. A value a passes
/// against a reference r when |a - r| &lt;= Abs * scale + Rel * |r|, where scale is the largest |r| of the tensor
/// (so a tensor's own magnitude sets what "small" means) unless stated otherwise.
/// </summary>
internal static class Tolerances
{
    internal readonly record struct Tol(double Abs, double Rel, string Why);

    /// <summary>Backbone features: four conv+BN layers in float32; PyTorch's own float32 run lands ~2e-7
    /// away.</summary>
    internal static readonly Tol Features = new(1e-5, 1e-4, "float32 conv/BN chain, reference ~2e-7 relative");

    /// <summary>Head logits: BatchNorm1d over 24 pairs amplifies feature error; PyTorch float32 is ~1.5e-6
    /// away.</summary>
    internal static readonly Tol Logits = new(5e-5, 1e-4, "BN1d over few pairs amplifies feature rounding");

    internal static readonly Tol Loss = new(0, 1e-5, "mean of 24 float32 terms");

    /// <summary>Gradients: PyTorch float32 is at worst 3e-6 (relative to norm) from float64; summation order
    /// differs.</summary>
    internal static readonly Tol Gradients = new(2e-5, 2e-4, "float32 backward, other summation order than PyTorch");

    /// <summary>Running statistics: one momentum update of batch mean/var.</summary>
    internal static readonly Tol RunningStats = new(1e-6, 1e-5, "mean/var of float32 activations, double sums");

    /// <summary>
    /// After one Adam step the update is -lr * g / (|g| + eps): an absolute gradient error dg moves a parameter by up
    /// to lr * dg / (|g| + eps) (at most 2 lr), on top of float32 rounding of p itself.
    /// </summary>
    internal static double AfterAdam(double param, double gradRef, double gradTol, double lr) =>
        Math.Abs(param) * 2e-7 + lr * Math.Min(2, gradTol / (Math.Abs(gradRef) + 1e-8)) + 1e-9;

    /// <summary>Loss fixtures at extreme logits: double-precision formulas rounded to float32.</summary>
    internal static readonly Tol LossElements = new(1e-7, 1e-6, "float32 rounding of a double computation");

    /// <summary>
    /// View resampling against torch's float64 antialiased bilinear: values in [0, 1], each a float32 weighted sum of
    /// at most 2s + 2 by 2s + 2 bytes (s the downscale factor, 3 here) with weights rounded to float32. Observed:
    /// 1.2e-7, one float32 ulp below 1.
    /// </summary>
    internal static readonly Tol Resample = new(5e-7, 0, "float32 weights and sums of a few dozen terms");

    /// <summary>Single ops on small inputs (batch norm, optimisers): float32 arithmetic, few terms.</summary>
    internal static readonly Tol SmallOps = new(1e-6, 1e-5, "a few float32 operations per element");

    /// <summary>
    /// Sampled gradients of the ResNet-18 fixture, |a - r| &lt;= Abs * RMS(g) + Rel * |r| with RMS(g) = norm / sqrt(n)
    /// (only 512 elements are stored, so the largest element is unknown). Loose on purpose: a float32 forward puts
    /// some ReLU inputs that lie within a few 1e-6 of zero in float64 on the other side of the kink, and each such
    /// flip adds or removes one element's whole gradient below it. The CPU backend (2 workers, OpenBLAS Haswell
    /// kernels) flips exactly one: layer3.1's output at (view 5, channel 99, y 2, x 1) is 6.3e-6 in float64 and 0
    /// here (its upstream gradient, 1.7e-4, is a typical one). The gradient into layer3.1 agrees to 4.8e-6; below it
    /// every tensor is ~4e-3 off in norm, samples up to 0.11 RMS (layer3.1.bn2.bias, the flipped channel's sum).
    /// With 2.3M ReLU inputs in ResNet-18 and a ~2e-6 forward error, about one flip per float32 run is expected;
    /// PyTorch's float32 run happened to have none that mattered. Above the flip (layer4, head) errors are ~2e-5 RMS.
    /// Structural errors (a wrong stride, shortcut,
    /// pad or transposition) give O(1) errors and still fail; the full ResNet-8 fixture checks the same ops tightly.
    /// </summary>
    internal static readonly Tol SampledGradients = new(0.25, 2e-2,
        "float32 forward flips a ReLU that is 6.3e-6 from its kink in float64 (see the doc comment)");

    /// <summary>L2 norm of a whole gradient (double) against float64's; the flip above gives up to 7e-4.</summary>
    internal static readonly Tol GradientNorm = new(0, 5e-3, "ReLU flip below layer3.1: up to 6.6e-4 observed");

    /// <summary>
    /// ||after - before|| of one Adam step. Each element moves by lr * g / (|g| + eps), about lr whatever g's error
    /// unless |g| is within the gradient error of zero, so the norm is insensitive to gradient error; up to 4.3e-5
    /// relative was observed (elements with tiny gradients that changed sign).
    /// </summary>
    internal static readonly Tol DeltaNorm = new(0, 5e-4, "Adam's first step is ~lr per element; few tiny gradients");

    internal static void AssertClose(float[] actual, float[] expected, Tol tol, string what) =>
        AssertClose(actual, expected, tol, what, expected.Length == 0 ? 0 : expected.Max(v => Math.Abs((double)v)));

    /// <summary>As above with the tensor's scale given (when <paramref name="expected"/> is only a sample).</summary>
    internal static void AssertClose(float[] actual, float[] expected, Tol tol, string what, double scale)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), $"{what}: length");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs((double)actual[i] - expected[i]);
            double allowed = tol.Abs * Math.Max(scale, 1e-30) + tol.Rel * Math.Abs(expected[i]);
            if (err > allowed && err - allowed > worst)
            {
                worst = err - allowed;
                worstAt = i;
            }
        }
        if (worstAt >= 0)
        {
            Assert.Fail($"{what}: element {worstAt} is {actual[worstAt]}, reference {expected[worstAt]} " +
                $"(tolerance {tol.Abs} x {scale:G3} + {tol.Rel} relative: {tol.Why})");
        }
    }
}
