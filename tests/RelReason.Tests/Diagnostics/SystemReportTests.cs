using System.Text.Json;
using RelReason.Backends.Cuda;
using RelReason.Diagnostics;

namespace RelReason.Tests.Diagnostics;

/// <summary>`relreason info`'s report on this machine, and its GPU lines for a device described by hand.</summary>
public class SystemReportTests
{
    private static bool KernelDriverListsAGpu() =>
        Directory.Exists("/proc/driver/nvidia/gpus") &&
        Directory.EnumerateFileSystemEntries("/proc/driver/nvidia/gpus").Any();

    [Test]
    public void Collect_FillsTheCpuPart()
    {
        SystemReport report = SystemReport.Collect();

        Assert.That(report.NativeAot, Is.False, "the tests run under the JIT");
        Assert.That(report.Cpu.LogicalCores, Is.GreaterThan(0));
        Assert.That(report.Cpu.SimdBits, Is.GreaterThanOrEqualTo(128));
        Assert.That(report.Cpu.Model, Is.Not.Empty);
        Assert.That(report.Cpu.Blas, Does.StartWith("OpenBLAS "));
        Assert.That(report.Cpu.BlasCore, Is.Not.Null.And.Not.Empty);
        Assert.That(report.Cpu.BlasPath, Does.Contain("openblas"));
        Assert.That(File.Exists(report.Cpu.BlasPath), Is.True, $"{report.Cpu.BlasPath} is not a file");
        var lines = report.Lines().ToList();
        Assert.That(lines, Has.Some.StartsWith("cpu ").And.Some.Contains($"{report.Cpu.LogicalCores} logical cores"));
        Assert.That(lines, Has.Some.Contains(report.Cpu.BlasPath!));
    }

    [Test]
    public void Collect_WithoutAGpu_ReportsTheProbesReasonInOneLine()
    {
        if (KernelDriverListsAGpu())
        {
            Assert.Ignore("a GPU is present here; the no-device report cannot be checked");
        }
        SystemReport report = SystemReport.Collect();

        Assert.That(report.Gpu.Usable, Is.False);
        Assert.That(report.Gpu.Reason, Is.EqualTo(CudaProbe.Run().Reason));
        if (File.Exists("/usr/lib/x86_64-linux-gnu/libcuda.so.1") &&
            Environment.GetEnvironmentVariable("RELREASON_DEVICE") != "cpu")
        {
            // The dev/CI box: the driver's user-space library without a GPU.
            Assert.That(report.Gpu.Reason, Does.StartWith("CUDA_ERROR_NO_DEVICE"));
        }
        var gpuLines = report.Lines().Where(l => l.StartsWith("gpu", StringComparison.Ordinal)).ToList();
        Assert.That(gpuLines, Is.EqualTo(new[] { $"gpu      not used: {report.Gpu.Reason}" }));
    }

    [Test]
    public void ConvLine_SaysWhetherTheDirectKernelRunsAndAtWhichWidth()
    {
        SystemReport report = SystemReport.Collect();

        var conv = report.Lines().Single(l => l.StartsWith("conv ", StringComparison.Ordinal));
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            string width = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "512-bit" : "256-bit";
            Assert.That(conv, Does.StartWith("conv     3x3 stride 1: direct kernel, " + width));
        }
        else
        {
            Assert.That(conv, Does.Contain("im2col + OpenBLAS for every shape"));
        }
    }

    [Test]
    public void Json_IsOneObjectWithSnakeCaseNames()
    {
        SystemReport report = SystemReport.Collect();

        string json = JsonSerializer.Serialize(report, DiagnosticsJson.Default.SystemReport);

        Assert.That(json, Does.Not.Contain("\n"));
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement cpu = doc.RootElement.GetProperty("cpu");
        Assert.That(cpu.GetProperty("logical_cores").GetInt32(), Is.EqualTo(report.Cpu.LogicalCores));
        Assert.That(cpu.GetProperty("blas_path").GetString(), Is.EqualTo(report.Cpu.BlasPath));
        Assert.That(cpu.GetProperty("convolution").GetString(), Is.EqualTo(report.Cpu.Convolution));
        JsonElement gpu = doc.RootElement.GetProperty("gpu");
        Assert.That(gpu.GetProperty("usable").GetBoolean(), Is.EqualTo(report.Gpu.Usable));
        Assert.That(gpu.GetProperty("reason").ValueKind,
            Is.EqualTo(report.Gpu.Usable ? JsonValueKind.Null : JsonValueKind.String));
    }

    [Test]
    public void GpuLines_NameTheDeviceAndEachLibrarysFile()
    {
        var device = new CudaDeviceInfo(0, "NVIDIA H200", 150_000L << 20, 9, 0, 132, 12080,
            "/usr/lib/libcuda.so.570.1", "12.8.4", "/venv/nvidia/cublas/lib/libcublas.so.12", "9.7.1",
            "/venv/nvidia/cudnn/lib/libcudnn.so.9");
        SystemReport collected = SystemReport.Collect();
        SystemReport report = collected with { Gpu = SystemReport.FromProbe(CudaProbeResult.Usable(device)) };

        var lines = report.Lines().ToList();

        Assert.That(report.Gpu.Usable, Is.True);
        Assert.That(lines, Has.Some.EqualTo("gpu      NVIDIA H200: 150000 MiB, compute capability 9.0, 132 SMs"));
        Assert.That(lines, Has.Some.EqualTo("driver   12.8 (/usr/lib/libcuda.so.570.1)"));
        Assert.That(lines, Has.Some.EqualTo("cublas   12.8.4 (/venv/nvidia/cublas/lib/libcublas.so.12)"));
        Assert.That(lines, Has.Some.EqualTo("cudnn    9.7.1 (/venv/nvidia/cudnn/lib/libcudnn.so.9)"));
        Assert.That(lines, Has.None.Contains("not used"));
    }
}
