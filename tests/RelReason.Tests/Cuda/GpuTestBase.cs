using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda;
using RelReason.Tensors;

namespace RelReason.Tests.Cuda;

/// <summary>
/// GPU-vs-CPU comparisons: every fixture deriving from this runs only where <see cref="CudaProbe"/> finds a usable
/// GPU, and is ignored with the probe's reason elsewhere (never passed silently).
/// </summary>
[Category("Gpu")]
public abstract class GpuTestBase
{
    private readonly List<Tensor> _owned = new();

    private protected CpuBackend Cpu { get; private set; } = null!;

    private protected CudaBackend Gpu { get; private set; } = null!;

    [OneTimeSetUp]
    public void OpenBackends()
    {
        CudaProbeResult probe = CudaProbe.Run();
        if (!probe.IsAvailable)
        {
            Assert.Ignore($"no usable GPU: {probe.Reason}");
        }
        Cpu = new CpuBackend(2);
        Gpu = new CudaBackend(new CudaBackendOptions { Log = line => TestContext.Progress.WriteLine(line) });
        TestContext.Progress.WriteLine(Gpu.Description);
    }

    [TearDown]
    public void DisposeTensors()
    {
        foreach (Tensor t in _owned)
        {
            t.Dispose();
        }
        _owned.Clear();
    }

    [OneTimeTearDown]
    public void CloseBackends()
    {
        // Null when the fixture was ignored before opening them.
        (Gpu as IDisposable)?.Dispose();
        (Cpu as IDisposable)?.Dispose();
    }

    /// <summary>The same values as a tensor on each backend.</summary>
    private protected (Tensor Cpu, Tensor Gpu) Both(float[] values, params int[] dims)
    {
        Tensor c = TestTensors.From(Cpu, values, dims);
        Tensor g = TestTensors.From(Gpu, values, dims);
        _owned.Add(c);
        _owned.Add(g);
        return (c, g);
    }

    /// <summary>A tensor of the shape on each backend, filled with NaN (so unwritten outputs show).</summary>
    private protected (Tensor Cpu, Tensor Gpu) Poisoned(params int[] dims)
    {
        var shape = new Shape(dims);
        return Both(Enumerable.Repeat(float.NaN, (int)shape.Elements).ToArray(), dims);
    }

    private protected (Tensor Cpu, Tensor Gpu) Random(int seed, params int[] dims) =>
        Both(TestTensors.Random(seed, (int)new Shape(dims).Elements), dims);

    private protected void AssertSame((Tensor Cpu, Tensor Gpu) t, GpuTolerance.Tol tol, string what) =>
        GpuTolerance.AssertClose(TestTensors.ToArray(Gpu, t.Gpu), TestTensors.ToArray(Cpu, t.Cpu), tol, what);
}
