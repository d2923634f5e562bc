using System.Globalization;

namespace RelReason.Diagnostics;

/// <summary>
/// How far a candidate backend's value a may be from the reference value r: it passes when a == r or
/// |a - r| &lt;= Abs * scale + Rel * |r|, scale being the largest |r| of the tensor compared.
/// </summary>
/// <param name="Abs">Absolute part, relative to the tensor's largest magnitude.</param>
/// <param name="Rel">Relative part, per element.</param>
/// <param name="Why">The arithmetic difference that justifies the size.</param>
public readonly record struct Tolerance(double Abs, double Rel, string Why)
{
    /// <inheritdoc />
    public override string ToString()
    {
        var parts = new List<string>();
        if (Abs > 0)
        {
            parts.Add($"{Abs.ToString("0E+00", CultureInfo.InvariantCulture)} x max|ref|");
        }
        if (Rel > 0)
        {
            parts.Add($"{Rel.ToString("0E+00", CultureInfo.InvariantCulture)} rel");
        }
        return parts.Count == 0 ? "exact" : string.Join(" + ", parts);
    }
}

/// <summary>
/// How far the CUDA backend may be from the CPU backend, in one table with the reason for each entry. These are
/// estimates from the arithmetic each side does; `relreason selftest` prints the errors measured against them.
/// </summary>
public static class GpuTolerances
{
    /// <summary>Element-wise kernels: nvcc contracts a * b + c into a fused multiply-add (1 rounding fewer).</summary>
    public static readonly Tolerance Elementwise = new(1e-7, 1e-6, "fused multiply-add on the GPU, 1-2 ulp");

    /// <summary>Copies, fills, gathers, max, and the augmentation kernels (built with -fmad=false).</summary>
    public static readonly Tolerance Exact = new(0, 0, "no rounding differs");

    /// <summary>SGEMM: cuBLAS tiles and accumulates k in another order; k here is at most a few hundred.</summary>
    public static readonly Tolerance Gemm = new(2e-6, 1e-5, "float32 dot products of <= 300 terms in another order");

    /// <summary>cuDNN convolutions: implicit GEMM, FFT or Winograd algorithms round differently from im2col.</summary>
    public static readonly Tolerance Conv = new(2e-5, 1e-4, "cuDNN algorithm choice (Winograd/FFT transforms)");

    /// <summary>Batch norm: cuDNN computes statistics in float32 (the CPU backend in double).</summary>
    public static readonly Tolerance BatchNorm = new(2e-5, 1e-4, "float32 batch statistics against double sums");

    /// <summary>Pooling and column sums: float32 sums of a few to a thousand terms in another order.</summary>
    public static readonly Tolerance Sums = new(1e-6, 1e-5, "float32 sums in another order");

    /// <summary>Losses and their gradients: float32 exp/log on the GPU against double on the CPU.</summary>
    public static readonly Tolerance Loss = new(1e-6, 2e-5, "float32 transcendental functions against double");

    /// <summary>Adam / SGD: the same float32 formula with contracted multiply-adds.</summary>
    public static readonly Tolerance Optimizer = new(1e-7, 2e-6, "fused multiply-add in the update");

    /// <summary>
    /// A full Conv-4 + head step: conv and batch norm differences pass through four blocks and the head's batch
    /// norm over the pairs, which amplifies them (the engine's own CPU-vs-PyTorch tolerance for logits is 1e-4).
    /// </summary>
    public static readonly Tolerance Step = new(1e-4, 1e-3, "conv/BN rounding amplified through the network");

    /// <summary>
    /// The loss after 20 Adam steps: each step's differences shift the next step's inputs, and Adam normalises
    /// small gradients to unit steps, so agreement is looser than one step (still far below the loss's own change).
    /// </summary>
    public static readonly Tolerance Trajectory = new(0, 1e-2, "20 steps of Adam compound float32 differences");
}

/// <summary>
/// One comparison of a self-test: a tensor of the candidate backend against the reference, or a condition.
/// </summary>
/// <param name="Name">What was compared, e.g. "conv forward 4x3x17x15 ...".</param>
/// <param name="Elements">Values compared (0 for a condition or an error).</param>
/// <param name="Failures">Values beyond the tolerance (or 1 for a condition that does not hold, or an error).</param>
/// <param name="MaxAbsError">Largest |candidate - reference|; NaN when a value was NaN or nothing was compared.</param>
/// <param name="MaxRelError">Largest |candidate - reference| / |reference| over non-zero references.</param>
/// <param name="Tolerance">The tolerance applied.</param>
/// <param name="Detail">The first mismatches, the condition's values, or the error; null when there is none.</param>
public sealed record CheckResult(string Name, int Elements, int Failures, double MaxAbsError, double MaxRelError,
    Tolerance Tolerance, string? Detail)
{
    /// <summary>True when every value is within the tolerance.</summary>
    public bool Passed => Failures == 0;

    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/> element by element.</summary>
    public static CheckResult Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected,
        Tolerance tol)
    {
        if (actual.Length != expected.Length)
        {
            return Error(name, tol, $"{actual.Length} values against {expected.Length} expected");
        }
        double scale = 0;
        foreach (float v in expected)
        {
            scale = Math.Max(scale, Math.Abs((double)v));
        }
        var first = new List<string>();
        double maxAbs = 0, maxRel = 0;
        bool sawNaN = false;
        int failures = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double a = actual[i], e = expected[i];
            double err = Math.Abs(a - e);
            // Any comparison with NaN is false, so a NaN on either side fails.
            bool ok = a == e || err <= tol.Abs * scale + tol.Rel * Math.Abs(e);
            sawNaN |= double.IsNaN(err);
            if (!double.IsNaN(err))
            {
                maxAbs = Math.Max(maxAbs, err);
                if (e != 0)
                {
                    maxRel = Math.Max(maxRel, err / Math.Abs(e));
                }
            }
            if (!ok)
            {
                failures++;
                if (first.Count < 3)
                {
                    first.Add($"[{i}] {a:R} vs {e:R}");
                }
            }
        }
        string? detail = failures == 0
            ? null
            : $"{failures} of {expected.Length} beyond; first {string.Join(", ", first)}";
        return new CheckResult(name, expected.Length, failures, sawNaN ? double.NaN : maxAbs,
            sawNaN ? double.NaN : maxRel, tol, detail);
    }

    /// <summary>A condition that must hold (e.g. "the loss falls"), with the values that decided it.</summary>
    public static CheckResult Condition(string name, bool holds, string detail) =>
        new(name, 0, holds ? 0 : 1, double.NaN, double.NaN, GpuTolerances.Exact, detail);

    /// <summary>A comparison that could not be made: the op threw, or shapes disagreed.</summary>
    public static CheckResult Error(string name, Tolerance tol, string error) =>
        new(name, 0, 1, double.NaN, double.NaN, tol, error);

    /// <summary>
    /// One line: name, max abs and rel error ("-" for a condition or an error, NaN when a value was NaN),
    /// tolerance, PASS/FAIL, then the detail in parentheses when there is one.
    /// </summary>
    public string Line()
    {
        string line = $"{Name,-56} max abs {Format(MaxAbsError)}  max rel {Format(MaxRelError)}  " +
            $"tol {Tolerance,-26} {(Passed ? "PASS" : "FAIL")}";
        return Detail is null ? line : $"{line}  ({Detail})";
    }

    private string Format(double v) =>
        Elements == 0 ? "       -" : double.IsNaN(v) ? "     NaN"
            : v.ToString("0.00E+00", CultureInfo.InvariantCulture).PadLeft(8);
}
