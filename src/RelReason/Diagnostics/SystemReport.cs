using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using RelReason.Backends.Cpu;
using RelReason.Backends.Cpu.Interop;
using RelReason.Backends.Cuda;
using RelReason.Backends.Cuda.Interop;

namespace RelReason.Diagnostics;

/// <summary>The CPU side: what the CPU backend computes with.</summary>
/// <param name="Model">"model name" of /proc/cpuinfo, or "unknown".</param>
/// <param name="LogicalCores">Processors this process may use (the CPU backend's default thread count).</param>
/// <param name="SimdBits">Width of the managed vector type the CPU backend's loops use (Vector&lt;float&gt;).</param>
/// <param name="InstructionSets">SIMD extensions the runtime reports, widest first.</param>
/// <param name="Blas">openblas_get_config(), or why OpenBLAS could not be loaded.</param>
/// <param name="BlasCore">The OpenBLAS kernel family in use (openblas_get_corename), or null.</param>
/// <param name="BlasCoreForced">True when this program chose the kernel family (OPENBLAS_CORETYPE).</param>
/// <param name="BlasPath">The file OpenBLAS was mapped from, or null when it is not loaded.</param>
/// <param name="Convolution">Which kernels the CPU backend's convolutions take on this CPU.</param>
public sealed record CpuReport(string Model, int LogicalCores, int SimdBits, string[] InstructionSets, string Blas,
    string? BlasCore, bool BlasCoreForced, string? BlasPath, string Convolution);

/// <summary>The GPU side: the device and libraries the CUDA backend would use, or why it would not run.</summary>
/// <param name="Usable">Whether <c>--device auto</c> would take the GPU.</param>
/// <param name="Reason">Why the GPU is not used (null when it is).</param>
public sealed record GpuReport(bool Usable, string? Reason, string? Name, long MemoryBytes, string? ComputeCapability,
    int Multiprocessors, string? Driver, string? DriverPath, string? Cublas, string? CublasPath, string? Cudnn,
    string? CudnnPath);

/// <summary>
/// What `relreason info` prints: the runtime, the CPU with its BLAS, and the GPU from <see cref="CudaProbe"/>.
/// Collecting never throws for a missing library; it reports it.
/// </summary>
public sealed record SystemReport(string Runtime, bool NativeAot, string Os, string? Glibc, CpuReport Cpu,
    GpuReport Gpu)
{
    /// <summary>Gathers the report (probing the GPU once per process, loading OpenBLAS if it is not yet).</summary>
    public static SystemReport Collect() => new(
        RuntimeInformation.FrameworkDescription,
        IsNativeAot(),
        RuntimeInformation.OSDescription,
        GlibcVersion(),
        CollectCpu(),
        FromProbe(CudaProbe.Run()));

    /// <summary>The report as text, one fact per line.</summary>
    public IEnumerable<string> Lines()
    {
        yield return $"runtime  {Runtime}{(NativeAot ? " (NativeAOT)" : "")}, {Os}" +
            (Glibc is null ? "" : $", glibc {Glibc}");
        yield return $"cpu      {Cpu.Model}: {Cpu.LogicalCores} logical cores, {Cpu.SimdBits}-bit SIMD " +
            $"({(Cpu.InstructionSets.Length == 0 ? "none" : string.Join(", ", Cpu.InstructionSets))})";
        yield return $"blas     {Cpu.Blas}" +
            (Cpu.BlasCore is null ? "" : $"; core {Cpu.BlasCore}{(Cpu.BlasCoreForced ? " (set by relreason)" : "")}");
        yield return $"         {Cpu.BlasPath ?? "(not loaded)"}";
        yield return $"conv     {Cpu.Convolution}";
        if (!Gpu.Usable)
        {
            yield return $"gpu      not used: {Gpu.Reason}";
            yield break;
        }
        yield return $"gpu      {Gpu.Name}: {Gpu.MemoryBytes / (1L << 20)} MiB, compute capability " +
            $"{Gpu.ComputeCapability}, {Gpu.Multiprocessors} SMs";
        yield return $"driver   {Gpu.Driver} ({Gpu.DriverPath})";
        yield return $"cublas   {Gpu.Cublas} ({Gpu.CublasPath})";
        yield return $"cudnn    {Gpu.Cudnn} ({Gpu.CudnnPath})";
    }

    internal static GpuReport FromProbe(CudaProbeResult probe)
    {
        if (!probe.IsAvailable)
        {
            return new GpuReport(false, probe.Reason, null, 0, null, 0, null, null, null, null, null, null);
        }
        CudaDeviceInfo d = probe.Device!;
        return new GpuReport(true, null, d.Name, d.TotalMemoryBytes,
            $"{d.ComputeCapabilityMajor}.{d.ComputeCapabilityMinor}", d.MultiprocessorCount,
            $"{d.DriverVersion / 1000}.{d.DriverVersion % 1000 / 10}", d.DriverPath, d.CublasVersion, d.CublasPath,
            d.CudnnVersion, d.CudnnPath);
    }

    private static CpuReport CollectCpu()
    {
        string blas;
        string? core = null, path = null;
        try
        {
            OpenBlas.EnsureLoaded();
            blas = (Marshal.PtrToStringUTF8(OpenBlas.openblas_get_config()) ?? "OpenBLAS").Trim();
            core = Marshal.PtrToStringUTF8(OpenBlas.openblas_get_corename())?.Trim();
            // The loader may have used a bare soname; the mapping says which file that was.
            path = CudaLibraries.MappedPath(OpenBlas.Handle, "cblas_sgemm") ?? OpenBlas.LoadedFrom;
        }
        catch (DllNotFoundException e)
        {
            blas = $"not loaded: {e.Message}";
        }
        return new CpuReport(CpuModel(), Environment.ProcessorCount, Vector<float>.Count * 32, InstructionSets(),
            blas, core, OpenBlas.ForcedCoreType is not null, path, CpuBackend.DescribeConvolution());
    }

    private static string[] InstructionSets()
    {
        var sets = new List<string>();
        if (Avx512F.IsSupported)
        {
            sets.Add("AVX-512F");
        }
        if (Avx2.IsSupported)
        {
            sets.Add("AVX2");
        }
        if (Fma.IsSupported)
        {
            sets.Add("FMA");
        }
        if (Sse42.IsSupported)
        {
            sets.Add("SSE4.2");
        }
        if (AdvSimd.IsSupported)
        {
            sets.Add("AdvSIMD");
        }
        return [.. sets];
    }

    private static string CpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return "unknown";
    }

    /// <summary>
    /// True in the NativeAOT binary. RuntimeFeature.IsDynamicCodeSupported cannot tell: a project that publishes
    /// with AOT switches it off under the JIT too. The host sets TRUSTED_PLATFORM_ASSEMBLIES whenever it starts
    /// the JIT runtime (dotnet, apphost, single-file) and a NativeAOT binary has no host.
    /// </summary>
    private static bool IsNativeAot() => AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is null;

    private static string? GlibcVersion()
    {
        try
        {
            return Marshal.PtrToStringUTF8(LibC.GnuLibcVersion());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, say): nothing to report.
            return null;
        }
    }
}
