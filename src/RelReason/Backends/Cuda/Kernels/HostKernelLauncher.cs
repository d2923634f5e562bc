using System.Runtime.InteropServices;
using RelReason.Backends.Cuda.Interop;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>
/// Runs the kernels of librelreason_hostkernels.so, the g++ build of kernels/*.cu (kernels/host/emulation.h),
/// over host memory: each kernel's export rr_host_&lt;name&gt;(grid, block, args) loops over every block and
/// thread. The arguments are packed exactly as for the GPU, so the launch classes are tested as they run there.
/// </summary>
internal sealed unsafe class HostKernelLauncher : IKernelLauncher
{
    /// <summary>Environment variable naming the library file, overriding the search of build/out/.</summary>
    internal const string PathVariable = "RELREASON_HOSTKERNELS";

    internal const string FileName = "librelreason_hostkernels.so";

    private readonly nint _library;
    private readonly Dictionary<KernelId, nint> _entries = new();
    private readonly Lock _lock = new();

    internal HostKernelLauncher(string libraryPath)
    {
        LibraryPath = libraryPath;
        _library = NativeLibrary.Load(libraryPath);
    }

    internal string LibraryPath { get; }

    public string Device => "host";

    /// <summary>
    /// $RELREASON_HOSTKERNELS, else build/out/host/librelreason_hostkernels.so in the first folder above
    /// <paramref name="start"/> that has one (build/build-kernels.sh puts it there); null when there is none.
    /// </summary>
    internal static string? Locate(string start)
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "build", "out", "host", FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Whether the library exports an entry for <paramref name="kernel"/>.</summary>
    internal bool Has(KernelId kernel) => NativeLibrary.TryGetExport(_library, "rr_host_" + kernel.Name, out _);

    public void LaunchRaw(KernelId kernel, Dim3 grid, Dim3 block, void** args)
    {
        nint entry = Entry(kernel);
        uint* g = stackalloc uint[3] { grid.X, grid.Y, grid.Z };
        uint* b = stackalloc uint[3] { block.X, block.Y, block.Z };
        int status = ((delegate* unmanaged<uint*, uint*, void**, int>)entry)(g, b, args);
        if (status != 0)
        {
            string name = status == 1 ? "BadLaunch" : "KernelThrew";
            throw new CudaException("host kernels", status, name,
                status == 1 ? "a grid or block dimension is 0 or the block exceeds 1024 threads" : "the kernel threw",
                $"{kernel}<<<{grid}, {block}>>>");
        }
    }

    private nint Entry(KernelId kernel)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(kernel, out nint entry))
            {
                if (!NativeLibrary.TryGetExport(_library, "rr_host_" + kernel.Name, out entry))
                {
                    throw new EntryPointNotFoundException(
                        $"{LibraryPath} has no rr_host_{kernel.Name}: rebuild it with build/build-kernels.sh");
                }
                _entries[kernel] = entry;
            }
            return entry;
        }
    }

    public void Dispose()
    {
        // The library stays mapped: other launchers in the process may share it (dlopen counts references, but
        // a test's parallel launcher could still be mid-call). Nothing else to release.
    }
}
