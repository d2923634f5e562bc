using System.Diagnostics;
using System.Text;
using RelReason.Backends.Cuda.Interop;

namespace RelReason.Backends.Cuda.Kernels;

/// <summary>
/// Launches the embedded PTX kernels with cuLaunchKernel on one stream. A module (one kernels/*.cu file) is
/// JIT-compiled by the driver on first use, once per context; functions are cached per kernel. The caller keeps
/// the context current on the launching thread.
/// </summary>
internal sealed unsafe class CudaKernelLauncher : IKernelLauncher
{
    private const int LogBytes = 16 * 1024;

    private readonly PrimaryContextHandle _context;
    private readonly StreamHandle _stream;
    private readonly Action<string>? _log;
    private readonly Dictionary<string, CudaModuleHandle> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<KernelId, nint> _functions = new();
    private readonly bool _syncAfterLaunch;

    /// <param name="context">The primary context the modules are loaded into.</param>
    /// <param name="stream">The stream every launch is queued on.</param>
    /// <param name="log">Receives one line per module load with its JIT time.</param>
    internal CudaKernelLauncher(PrimaryContextHandle context, StreamHandle stream, Action<string>? log)
    {
        _context = context;
        _stream = stream;
        _log = log;
        // Faults are reported at the next synchronising call; RELREASON_CUDA_SYNC=1 makes that the launch itself.
        _syncAfterLaunch = Environment.GetEnvironmentVariable("RELREASON_CUDA_SYNC") == "1";
    }

    public string Device => "cuda";

    public void LaunchRaw(KernelId kernel, Dim3 grid, Dim3 block, void** args)
    {
        nint function = Function(kernel);
        nint stream = _stream.DangerousGetHandle();
        CuDriver.Check(CuDriver.cuLaunchKernel(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, 0,
            stream, args, null), $"cuLaunchKernel({kernel}, grid {grid}, block {block})");
        if (_syncAfterLaunch)
        {
            CuDriver.Check(CuDriver.cuStreamSynchronize(stream), $"cuStreamSynchronize after {kernel}");
        }
    }

    /// <summary>Loads every embedded module now (so JIT time and PTX errors show up at start-up).</summary>
    internal void LoadAll()
    {
        foreach (string name in typeof(CudaKernelLauncher).Assembly.GetManifestResourceNames())
        {
            if (name.StartsWith("kernels.", StringComparison.Ordinal) &&
                name.EndsWith(".ptx", StringComparison.Ordinal))
            {
                Module(name["kernels.".Length..^".ptx".Length]);
            }
        }
    }

    private nint Function(KernelId kernel)
    {
        if (_functions.TryGetValue(kernel, out nint function))
        {
            return function;
        }
        CudaModuleHandle module = Module(kernel.Module);
        CuDriver.Check(CuDriver.cuModuleGetFunction(out function, module.DangerousGetHandle(), kernel.Name));
        _functions[kernel] = function;
        return function;
    }

    private CudaModuleHandle Module(string name)
    {
        if (_modules.TryGetValue(name, out CudaModuleHandle? module))
        {
            return module;
        }
        byte[] image = ReadPtx(name);
        var errorLog = new byte[LogBytes];
        var infoLog = new byte[LogBytes];
        var options = stackalloc CUjit_option[4]
        {
            CUjit_option.CU_JIT_ERROR_LOG_BUFFER, CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
            CUjit_option.CU_JIT_INFO_LOG_BUFFER, CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
        };
        var watch = Stopwatch.StartNew();
        CUresult result;
        nint raw;
        fixed (byte* pImage = image, pError = errorLog, pInfo = infoLog)
        {
            // Size options carry the integer itself in the pointer slot; the driver writes back the bytes used.
            void** values = stackalloc void*[4] { pError, (void*)LogBytes, pInfo, (void*)LogBytes };
            result = CuDriver.cuModuleLoadDataEx(out raw, pImage, 4, options, values);
        }
        watch.Stop();
        if (result != CUresult.CUDA_SUCCESS)
        {
            string log = CString(errorLog);
            Console.Error.WriteLine($"cuda: PTX of kernels/{name}.cu failed to load:\n{log}");
            throw new CudaException("CUDA driver", (int)result, CuDriver.ErrorName(result),
                $"{CuDriver.ErrorDescription(result)}; JIT log: {(log.Length > 0 ? log : "(empty)")}",
                $"cuModuleLoadDataEx(kernels.{name}.ptx)");
        }
        module = CudaModuleHandle.Wrap(_context, raw);
        _modules[name] = module;
        string info = CString(infoLog);
        _log?.Invoke($"cuda: loaded kernels/{name}.ptx in {watch.Elapsed.TotalMilliseconds:F1} ms" +
            (info.Length > 0 ? $" ({info.Trim()})" : ""));
        return module;
    }

    /// <summary>The embedded PTX of a module as NUL-terminated bytes (the driver reads it as a C string).</summary>
    internal static byte[] ReadPtx(string module)
    {
        string resource = $"kernels.{module}.ptx";
        using Stream stream = typeof(CudaKernelLauncher).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException(
                $"resource {resource} is not embedded: kernels/ptx/{module}.ptx is missing; " +
                "run build/build-kernels.sh");
        var image = new byte[stream.Length + 1];
        stream.ReadExactly(image, 0, (int)stream.Length);
        return image;
    }

    private static string CString(byte[] buffer)
    {
        int end = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    public void Dispose()
    {
        foreach (CudaModuleHandle module in _modules.Values)
        {
            module.Dispose();
        }
        _modules.Clear();
        _functions.Clear();
    }
}
