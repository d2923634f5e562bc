using RelReason.Backends;
using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda;
using RelReason.Tensors;

namespace RelReason.Tests.Cuda;

/// <summary>The pool's high-water mark and the timers `relreason bench` uses; the device parts need a GPU.</summary>
public class PoolCountsAndTimerTests
{
    [Test]
    public void PoolCounts_TrackTheHighWaterMarkOfBytesInUse_NotTheCache()
    {
        var counts = new PoolByteCounts();

        counts.Rented(100, fromCache: false);
        counts.Rented(200, fromCache: false);
        counts.Returned(200, cached: true);
        Assert.That((counts.Live, counts.Cached, counts.PeakLive), Is.EqualTo((100L, 200L, 300L)));

        counts.ResetPeak();
        Assert.That(counts.PeakLive, Is.EqualTo(100));
        counts.Rented(200, fromCache: true);
        counts.Returned(200, cached: true);
        counts.Rented(50, fromCache: false);
        Assert.That((counts.Live, counts.Cached, counts.PeakLive), Is.EqualTo((150L, 200L, 300L)));

        counts.CacheFreed();
        counts.Returned(50, cached: false);
        Assert.That((counts.Live, counts.Cached, counts.PeakLive), Is.EqualTo((100L, 0L, 300L)));
    }

    [Test]
    public void Timer_OnTheCpu_IsAStopwatch_AlsoThroughAProfilingWrapper()
    {
        using var cpu = new CpuBackend(1);
        using BackendTimer plain = BackendTimer.For(cpu);
        using BackendTimer wrapped = BackendTimer.For(new ProfilingBackend(cpu));
        using Tensor t = cpu.Empty(new Shape(1 << 16));

        plain.Start();
        cpu.Fill(t, 1f);
        double ms = plain.Stop();

        Assert.That(plain.Method, Is.EqualTo("stopwatch"));
        Assert.That(wrapped.Method, Is.EqualTo("stopwatch"));
        Assert.That(ms, Is.GreaterThan(0));
    }
}

/// <summary>CUDA events and the device pool's peak on a real GPU (GPU only).</summary>
public class CudaTimingMemoryTests : GpuTestBase
{
    [Test]
    public void PeakMemory_CountsBlocksInUse_AndResetsToTheCurrentUse()
    {
        using Tensor kept = Gpu.Empty(new Shape(4 << 20));
        Gpu.ResetPeakMemory();
        long before = Gpu.PeakMemoryBytes;
        Tensor temporary = Gpu.Empty(new Shape(8 << 20));
        temporary.Dispose();

        Assert.That(before, Is.GreaterThanOrEqualTo(16L << 20), "the kept 16 MiB tensor is in use");
        Assert.That(Gpu.PeakMemoryBytes, Is.GreaterThanOrEqualTo(before + (32L << 20)));
        Gpu.ResetPeakMemory();
        Assert.That(Gpu.PeakMemoryBytes, Is.EqualTo(before));
        Assert.That(Gpu.DeviceMemoryUsedBytes, Is.GreaterThan(Gpu.MemoryInUse.Live));
    }

    [Test]
    public void EventTimer_TimesWorkOnTheStream()
    {
        using Tensor a = Gpu.Empty(new Shape(512, 512));
        using Tensor c = Gpu.Empty(new Shape(512, 512));
        Gpu.Fill(a, 0.5f);
        using BackendTimer timer = BackendTimer.For(Gpu);

        timer.Start();
        Gpu.Gemm(a, false, a, false, c, 1f, 0f);
        double ms = timer.Stop();

        Assert.That(timer.Method, Is.EqualTo("cuda events"));
        Assert.That(ms, Is.GreaterThan(0));
        Assert.That(Gpu.ModuleLoadMilliseconds, Is.GreaterThan(0));
        Assert.That(() => timer.Stop(), Throws.InvalidOperationException, "a stop needs a start");
    }
}
