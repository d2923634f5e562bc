using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda;

namespace RelReason.Tests.Cuda;

/// <summary>The CUDA backend where the probe finds no GPU, and the device pool's size classes.</summary>
public class CudaBackendWithoutGpuTests
{
    private static CudaProbeResult ProbeWithoutGpu()
    {
        CudaProbeResult probe = CudaProbe.Run();
        if (probe.IsAvailable)
        {
            Assert.Ignore($"a GPU is usable here ({probe.Device}); the no-GPU paths cannot be taken");
        }
        return probe;
    }

    [Test]
    public void CudaBackend_RefusesToOpen_WithTheProbesReason()
    {
        CudaProbeResult probe = ProbeWithoutGpu();

        var e = Assert.Throws<InvalidOperationException>(() => new CudaBackend())!;

        Assert.That(e.Message, Does.Contain(probe.Reason!));
    }

    [Test]
    public void Factory_Auto_FallsBackToTheCpuAndSaysWhy()
    {
        CudaProbeResult probe = ProbeWithoutGpu();
        var log = new List<string>();

        using IBackend backend = BackendFactory.Create("auto", 1, log.Add);

        Assert.That(backend, Is.InstanceOf<CpuBackend>());
        Assert.That(log, Has.Some.Contains("device: cpu").And.Some.Contains(probe.Reason!));
    }

    [Test]
    public void Factory_Cuda_FailsWithTheReasonAndWhatIsNeeded()
    {
        CudaProbeResult probe = ProbeWithoutGpu();

        var e = Assert.Throws<NotSupportedException>(() => BackendFactory.Create("cuda", 1))!;

        Assert.That(e.Message, Does.Contain(probe.Reason!).And.Contain("RELREASON_CUDA_LIBS"));
    }

    [TestCase(1, 512)]
    [TestCase(512, 512)]
    [TestCase(513, 1024)]
    [TestCase(1 << 20, 1 << 20)]
    [TestCase((1 << 20) + 1, (1 << 20) + (1 << 18))]
    [TestCase(3 << 20, 3 << 20)]
    [TestCase((5 << 20) + 7, 6 << 20)]
    public void PoolSizeClasses_RoundUpByAtMostAQuarter(long request, long expected)
    {
        long size = DeviceMemoryPool.SizeClass(request);

        Assert.That(size, Is.EqualTo(expected));
        Assert.That(size, Is.GreaterThanOrEqualTo(request));
        Assert.That(size, Is.LessThanOrEqualTo(Math.Max(512, request * 1.25 + 512)));
    }
}
