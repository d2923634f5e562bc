using System.Text;
using RelReason.Backends.Cuda.Interop;

namespace RelReason.Backends.Cuda;

/// <summary>A GPU the CUDA backend can use, and the libraries it would use with it.</summary>
public sealed record CudaDeviceInfo(
    int Ordinal,
    string Name,
    long TotalMemoryBytes,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    int MultiprocessorCount,
    int DriverVersion,
    string DriverPath,
    string CublasVersion,
    string CublasPath,
    string CudnnVersion,
    string CudnnPath)
{
    /// <summary>One line for logs and `relreason info`.</summary>
    public override string ToString() =>
        $"{Name} (sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor}, {TotalMemoryBytes / (1L << 20)} MiB, " +
        $"{MultiprocessorCount} SMs), driver {DriverVersion / 1000}.{DriverVersion % 1000 / 10}, " +
        $"cuBLAS {CublasVersion} ({CublasPath}), cuDNN {CudnnVersion} ({CudnnPath})";
}

/// <summary>The outcome of <see cref="CudaProbe.Run"/>: a usable device, or the reason there is none.</summary>
public sealed class CudaProbeResult
{
    private CudaProbeResult(CudaDeviceInfo? device, string? reason)
    {
        Device = device;
        Reason = reason;
    }

    /// <summary>True when <see cref="Device"/> is set.</summary>
    public bool IsAvailable => Device is not null;

    /// <summary>The usable device, or null.</summary>
    public CudaDeviceInfo? Device { get; }

    /// <summary>Why the GPU cannot be used (null when it can), e.g. "CUDA_ERROR_NO_DEVICE (cuInit: ...)".</summary>
    public string? Reason { get; }

    internal static CudaProbeResult Usable(CudaDeviceInfo device) => new(device, null);

    internal static CudaProbeResult Unusable(string reason) => new(null, reason);

    /// <inheritdoc />
    public override string ToString() => IsAvailable ? $"cuda: {Device}" : $"no GPU: {Reason}";
}

/// <summary>
/// Decides whether the CUDA backend can run here, without throwing: every failure becomes a reason. Order:
/// RELREASON_DEVICE=cpu, the driver library, cuInit, a device, its compute capability (the PTX targets
/// compute_80), retaining its primary context, then cuBLAS and cuDNN (located before their first call, since a
/// cuDNN with missing sub-libraries aborts the process).
/// </summary>
public static class CudaProbe
{
    /// <summary>Lowest compute capability the embedded PTX (compute_80) can be JIT-compiled for.</summary>
    public const int MinimumComputeCapability = 80;

    private static readonly Lock s_lock = new();
    private static CudaProbeResult? s_cached;

    /// <summary>Probes once per process and caches the answer.</summary>
    public static CudaProbeResult Run()
    {
        lock (s_lock)
        {
            return s_cached ??= RunUncached();
        }
    }

    private static CudaProbeResult RunUncached()
    {
        if (string.Equals(Environment.GetEnvironmentVariable("RELREASON_DEVICE"), "cpu",
            StringComparison.OrdinalIgnoreCase))
        {
            return CudaProbeResult.Unusable("RELREASON_DEVICE=cpu");
        }
        try
        {
            return ProbeDevice();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CudaException)
        {
            return CudaProbeResult.Unusable(e.Message);
        }
    }

    private static unsafe CudaProbeResult ProbeDevice()
    {
        NativeLoadResult driver = CudaLibraries.LoadDriver();
        if (!driver.Loaded)
        {
            return CudaProbeResult.Unusable(driver.Failure!);
        }
        CUresult init = CuDriver.cuInit(0);
        if (init != CUresult.CUDA_SUCCESS)
        {
            return CudaProbeResult.Unusable(
                $"{CuDriver.ErrorName(init)} (cuInit: {CuDriver.ErrorDescription(init)}; driver {driver.Path})");
        }
        CuDriver.Check(CuDriver.cuDriverGetVersion(out int driverVersion));
        CuDriver.Check(CuDriver.cuDeviceGetCount(out int count));
        if (count == 0)
        {
            return CudaProbeResult.Unusable("no CUDA device (cuDeviceGetCount returned 0)");
        }
        CuDriver.Check(CuDriver.cuDeviceGet(out int device, 0));
        byte* nameBuffer = stackalloc byte[256];
        CuDriver.Check(CuDriver.cuDeviceGetName(nameBuffer, 256, device));
        string name = Encoding.UTF8.GetString(nameBuffer, new ReadOnlySpan<byte>(nameBuffer, 256).IndexOf((byte)0));
        CuDriver.Check(CuDriver.cuDeviceTotalMem(out nuint memory, device));
        CuDriver.Check(CuDriver.cuDeviceGetAttribute(out int major,
            CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device));
        CuDriver.Check(CuDriver.cuDeviceGetAttribute(out int minor,
            CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device));
        CuDriver.Check(CuDriver.cuDeviceGetAttribute(out int sms,
            CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device));
        if (major * 10 + minor < MinimumComputeCapability)
        {
            return CudaProbeResult.Unusable(
                $"{name} has compute capability {major}.{minor}; the kernels' PTX needs 8.0 or newer");
        }
        // Retaining and setting the context proves the device can really be used (not e.g. in exclusive use).
        using (PrimaryContextHandle context = PrimaryContextHandle.Retain(device))
        {
            context.MakeCurrent();
        }
        NativeLoadResult blas = CudaLibraries.LoadBlas();
        if (!blas.Loaded)
        {
            return CudaProbeResult.Unusable(blas.Failure!);
        }
        NativeLoadResult dnn = CudaLibraries.LoadDnn();
        if (!dnn.Loaded)
        {
            return CudaProbeResult.Unusable(dnn.Failure!);
        }
        return CudaProbeResult.Usable(new CudaDeviceInfo(device, name, (long)memory, major, minor, sms,
            driverVersion, driver.Path!, CuBlas.Version(), blas.Path!, CuDnn.Version(), dnn.Path!));
    }
}
