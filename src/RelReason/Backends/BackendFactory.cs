using RelReason.Backends.Cpu;
using RelReason.Backends.Cuda;

namespace RelReason.Backends;

/// <summary>Chooses the compute backend for a "--device" value: "cpu", "cuda" or "auto".</summary>
public static class BackendFactory
{
    /// <summary>The values "--device" accepts.</summary>
    public static IReadOnlyList<string> Devices { get; } = ["auto", "cpu", "cuda"];

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
            {
                CudaProbeResult probe = CudaProbe.Run();
                if (probe.IsAvailable)
                {
                    log?.Invoke($"device: cuda ({probe.Device})");
                    return new CudaBackend(new CudaBackendOptions { Log = log });
                }
                log?.Invoke($"device: cpu (no usable GPU: {probe.Reason})");
                return new CpuBackend(threads);
            }
            case "cuda":
            {
                CudaProbeResult probe = CudaProbe.Run();
                if (!probe.IsAvailable)
                {
                    throw new NotSupportedException(
                        $"--device cuda: no usable GPU: {probe.Reason}. The CUDA backend needs an NVIDIA driver " +
                        "(libcuda.so.1), a GPU of compute capability 8.0 or newer, cuBLAS and cuDNN 9 (or 8); " +
                        $"point ${Cuda.Interop.CudaLibrarySearch.OverrideVariable} at the folders holding them.");
                }
                return new CudaBackend(new CudaBackendOptions { Log = log });
            }
            default:
                throw new ArgumentException($"unknown device '{device}'; expected auto, cpu or cuda");
        }
    }

    /// <summary>Starts a new peak-memory measurement where the backend tracks it.</summary>
    public static void ResetPeak(IBackend backend)
    {
        switch (backend)
        {
            case CpuBackend cpu:
                cpu.Pool.ResetPeak();
                break;
            case CudaBackend cuda:
                cuda.ResetPeakMemory();
                break;
        }
    }

    /// <summary>
    /// The high-water mark of backend memory in use since the last reset, where the backend tracks it: tensor
    /// storage on the CPU; on the GPU every block the backend's pool handed out (tensors, index lists, scratch,
    /// cuDNN workspace), not the free blocks it caches.
    /// </summary>
    public static long PeakBytes(IBackend backend) => backend switch
    {
        CpuBackend cpu => cpu.Pool.PeakBytes,
        CudaBackend cuda => cuda.PeakMemoryBytes,
        _ => 0,
    };
}
