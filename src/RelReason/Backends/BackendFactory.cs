using RelReason.Backends.Cpu;

namespace RelReason.Backends;

/// <summary>Chooses the compute backend for a "--device" value: "cpu", "cuda" or "auto".</summary>
public static class BackendFactory
{
    /// <summary>
    /// Creates the backend. "auto" takes the GPU when one is usable and otherwise the CPU, reporting why through
    /// <paramref name="log"/>; "cuda" fails with the reason when no GPU is usable.
    /// </summary>
    public static IBackend Create(string device, int threads, Action<string>? log = null)
    {
        switch (device)
        {
            case "cpu":
                return new CpuBackend(threads);
            case "auto":
                log?.Invoke("device: cpu (this build has no CUDA backend)");
                return new CpuBackend(threads);
            case "cuda":
                throw new NotSupportedException("--device cuda: this build has no CUDA backend");
            default:
                throw new ArgumentException($"unknown device '{device}'; expected auto, cpu or cuda");
        }
    }

    /// <summary>Starts a new peak-memory measurement where the backend tracks it.</summary>
    public static void ResetPeak(IBackend backend)
    {
        if (backend is CpuBackend cpu)
        {
            cpu.Pool.ResetPeak();
        }
    }

    /// <summary>Bytes of backend memory in use at its peak since the last reset, where the backend tracks it.</summary>
    public static long PeakBytes(IBackend backend) => backend is CpuBackend cpu ? cpu.Pool.PeakBytes : 0;
}
