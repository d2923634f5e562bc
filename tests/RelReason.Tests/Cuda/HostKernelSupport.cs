using System.Runtime.InteropServices;
using RelReason.Backends.Cuda.Kernels;

namespace RelReason.Tests.Cuda;

/// <summary>The host kernel library of build/out/, shared by the kernel tests.</summary>
internal static class HostKernels
{
    private static readonly Lazy<HostKernelLauncher?> s_launcher = new(() =>
    {
        string? path = HostKernelLauncher.Locate(TestContext.CurrentContext.TestDirectory);
        return path is null ? null : new HostKernelLauncher(path);
    });

    /// <summary>The launcher, or a failed test that says how to build the library (CI builds it first).</summary>
    internal static HostKernelLauncher Launcher =>
        s_launcher.Value ?? throw new AssertionException(
            $"{HostKernelLauncher.FileName} not found: looked for build/out/host/{HostKernelLauncher.FileName} in " +
            $"the folders above {TestContext.CurrentContext.TestDirectory} and ${HostKernelLauncher.PathVariable}. " +
            "Run build/build-kernels.sh (or build/build-kernels.sh --host-only without nvcc) before the tests.");
}

/// <summary>
/// Native host memory for a kernel argument, with guard zones on both sides filled with a sentinel NaN pattern:
/// <see cref="AssertGuardsIntact"/> fails if a kernel wrote outside the buffer. Float data starts poisoned with
/// NaN, so an element a kernel should have written but did not shows up in the comparison.
/// </summary>
internal sealed unsafe class HostBuffer<T> : IDisposable
    where T : unmanaged
{
    private const int GuardBytes = 256;
    private const uint Sentinel = 0x7FC0_BEEFu;

    private readonly byte* _block;
    private readonly int _bytes;

    internal HostBuffer(int length)
    {
        Length = length;
        _bytes = length * sizeof(T);
        _block = (byte*)NativeMemory.AlignedAlloc((nuint)(_bytes + 2 * GuardBytes), 64);
        var words = new Span<uint>(_block, (_bytes + 2 * GuardBytes) / sizeof(uint));
        words.Fill(Sentinel);
        if (typeof(T) == typeof(float))
        {
            MemoryMarshal.Cast<T, float>(Span).Fill(float.NaN);
        }
    }

    internal HostBuffer(ReadOnlySpan<T> values)
        : this(values.Length)
    {
        values.CopyTo(Span);
    }

    internal int Length { get; }

    internal Span<T> Span => new(_block + GuardBytes, Length);

    internal DevicePtr Ptr => new((ulong)(_block + GuardBytes));

    internal T[] ToArray() => Span.ToArray();

    internal void AssertGuardsIntact(string name)
    {
        var before = new ReadOnlySpan<uint>(_block, GuardBytes / sizeof(uint));
        var after = new ReadOnlySpan<uint>(_block + GuardBytes + _bytes, GuardBytes / sizeof(uint));
        int badBefore = before.IndexOfAnyExcept(Sentinel);
        int badAfter = after.IndexOfAnyExcept(Sentinel);
        Assert.That(badBefore, Is.EqualTo(-1),
            $"{name}: a kernel wrote {GuardBytes - badBefore * 4} bytes before the buffer");
        Assert.That(badAfter, Is.EqualTo(-1),
            $"{name}: a kernel wrote past the end of the buffer (byte {badAfter * 4})");
    }

    public void Dispose() => NativeMemory.AlignedFree(_block);
}

/// <summary>
/// Tolerances for kernel results against the CPU backend: |actual - expected| &lt;= Abs + Rel * |expected|.
/// One table, each entry with the reason for its size.
/// </summary>
internal static class KernelTolerance
{
    /// <summary>Same float32 operations in the same order on both sides (element-wise maps, gathers, and the
    /// CSR scatters, which sum each row's pairs in ascending pair order exactly as the CPU backend does).</summary>
    internal static readonly (double Abs, double Rel) Exact = (0, 0);

    /// <summary>One multiply-add the CPU side may fuse (TensorPrimitives.MultiplyAdd, the JIT): 1-2 ulp.</summary>
    internal static readonly (double Abs, double Rel) FusedMultiplyAdd = (1e-7, 3e-7);

    /// <summary>Adam: same float32 formula; sqrt and division are correctly rounded on both sides, a contracted
    /// multiply-add on either side moves a result by an ulp or two of the update.</summary>
    internal static readonly (double Abs, double Rel) Adam = (1e-7, 1e-6);

    /// <summary>Column and plane sums: the kernel adds float32 in a fixed chunked order, the CPU backend in double
    /// per worker (bias) or vectorised lanes (pooling). Measured: below 6e-6 relative or 6e-8 absolute.</summary>
    internal static readonly (double Abs, double Rel) Sums = (2e-5, 1e-5);

    /// <summary>Losses: float32 exp/log1p/pow in the kernel against double in the CPU backend, the mean summed from
    /// float32 partials. Measured: loss within 2e-6 relative; gradients (scaled by 1/count) within 5e-7 relative,
    /// or 2e-8 absolute where a gradient is nearly 0 and its float32 value has few digits left.</summary>
    internal static readonly (double Abs, double Rel) Loss = (1e-9, 1e-5);
}

/// <summary>
/// Element-wise comparison, |actual - expected| &lt;= abs + rel * |expected|, reporting the first mismatches and
/// the largest errors.
/// </summary>
internal static class KernelAssert
{
    internal static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, (double Abs, double Rel) tol,
        string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: lengths differ");
        var report = new List<string>();
        double maxAbs = 0, maxRel = 0;
        int maxIndex = -1, failures = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            bool ok;
            if (double.IsNaN(e))
            {
                ok = double.IsNaN(a);
            }
            else
            {
                double err = Math.Abs(a - e);
                ok = !double.IsNaN(a) && (err <= tol.Abs + tol.Rel * Math.Abs(e) || a == e);
                if (!double.IsNaN(err) && err > maxAbs)
                {
                    maxAbs = err;
                    maxIndex = i;
                }
                if (e != 0 && err / Math.Abs(e) > maxRel)
                {
                    maxRel = err / Math.Abs(e);
                }
            }
            if (!ok)
            {
                failures++;
                if (report.Count < 5)
                {
                    report.Add($"[{i}] kernel {a:R} vs cpu {e:R}");
                }
            }
        }
        Assert.That(failures, Is.Zero,
            $"{what}: {failures} of {actual.Length} elements differ beyond abs {tol.Abs} + rel {tol.Rel}; " +
            $"first: {string.Join(", ", report)}; max abs error {maxAbs:E2} at {maxIndex}, max rel error {maxRel:E2}");
    }
}
