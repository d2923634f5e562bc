using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda;

namespace RelReason.Tests.Cuda;

/// <summary>
/// GPU-vs-CPU comparisons: every fixture deriving from this runs only where <see cref="CudaProbe"/> finds a usable
/// GPU, and is ignored with the probe's reason elsewhere (never passed silently).
/// </summary>
[Category("Gpu")]
public abstract class GpuTestBase
{
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

    [OneTimeTearDown]
    public void CloseBackends()
    {
        // Null when the fixture was ignored before opening them.
        (Gpu as IDisposable)?.Dispose();
        (Cpu as IDisposable)?.Dispose();
    }
}
