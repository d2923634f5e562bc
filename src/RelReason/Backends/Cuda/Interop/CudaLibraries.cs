using System.Runtime.InteropServices;

namespace RelReason.Backends.Cuda.Interop;

/// <summary>Outcome of locating one library: its handle and file, or why it could not be loaded.</summary>
internal sealed record NativeLoadResult(nint Handle, string? Path, string? Failure)
{
    internal bool Loaded => Handle != 0;

    internal static NativeLoadResult Fail(string failure) => new(0, null, failure);
}

/// <summary>
/// Loads libcuda, cuBLAS and cuDNN by exact soname or full path (never the unversioned dev symlink, which
/// runtime-only installs and wheels lack, nor the toolkit's stub libcuda) and routes the logical names of the
/// bindings to them. Dependencies are loaded first by full path (libcublasLt before libcublas, the cuDNN
/// sub-libraries before the libcudnn shim) so that the sonames the libraries dlopen later resolve to the same
/// files: glibc reuses an already loaded object with a matching soname. cuBLAS is loaded before cuDNN, which needs
/// libcublasLt of its own CUDA major.
/// </summary>
internal static class CudaLibraries
{
    internal const string Driver = "cuda";
    internal const string Blas = "cublas";
    internal const string Dnn = "cudnn";

    private static readonly int[] s_blasMajors = [13, 12, 11];

    // In load order (cuDNN 9 release layout); "?" marks the ones only some releases ship.
    private static readonly string[] s_cudnn9Parts =
    [
        "libcudnn_graph", "libcudnn_engines_precompiled", "libcudnn_engines_runtime_compiled",
        "?libcudnn_engines_tensor_ir", "libcudnn_heuristic", "libcudnn_ops", "libcudnn_cnn", "?libcudnn_adv",
        "?libcudnn_ext",
    ];

    private static readonly string[] s_cudnn8Parts =
        ["libcudnn_ops_infer", "libcudnn_ops_train", "libcudnn_cnn_infer", "libcudnn_cnn_train",
            "?libcudnn_adv_infer", "?libcudnn_adv_train"];

    private static readonly Lock s_lock = new();
    private static CudaLibrarySearch? s_search;
    private static NativeLoadResult? s_driver;
    private static NativeLoadResult? s_blas;
    private static NativeLoadResult? s_dnn;

    /// <summary>
    /// Registers the three logical names with the assembly's resolver (idempotent). A library that cannot be
    /// found fails its first P/Invoke with a DllNotFoundException carrying the locator's message.
    /// </summary>
    internal static void EnsureResolver()
    {
        NativeLibraryResolver.Register(Driver, () => HandleOrThrow(LoadDriver()));
        NativeLibraryResolver.Register(Blas, () => HandleOrThrow(LoadBlas()));
        NativeLibraryResolver.Register(Dnn, () => HandleOrThrow(LoadDnn()));
    }

    private static nint HandleOrThrow(NativeLoadResult result) =>
        result.Loaded ? result.Handle : throw new DllNotFoundException(result.Failure);

    private static CudaLibrarySearch Search
    {
        get
        {
            lock (s_lock)
            {
                return s_search ??= CudaLibrarySearch.FromEnvironment();
            }
        }
    }

    /// <summary>libcuda.so.1 for this process (cached).</summary>
    internal static NativeLoadResult LoadDriver()
    {
        CudaLibrarySearch search = Search;
        lock (s_lock)
        {
            return s_driver ??= LoadDriver(search);
        }
    }

    /// <summary>libcublas for this process (cached).</summary>
    internal static NativeLoadResult LoadBlas()
    {
        CudaLibrarySearch search = Search;
        lock (s_lock)
        {
            return s_blas ??= LoadBlas(search);
        }
    }

    /// <summary>libcudnn for this process (cached); loads cuBLAS first.</summary>
    internal static NativeLoadResult LoadDnn()
    {
        LoadBlas();
        CudaLibrarySearch search = Search;
        lock (s_lock)
        {
            return s_dnn ??= LoadDnn(search);
        }
    }

    internal static NativeLoadResult LoadDriver(CudaLibrarySearch search)
    {
        const string soname = "libcuda.so.1";
        var failures = new List<string>();
        foreach (string folder in search.OverrideFolders)
        {
            string path = Path.Combine(folder, soname);
            if (File.Exists(path))
            {
                if (TryLoad(path, out nint h, out string? error))
                {
                    return new NativeLoadResult(h, path, null);
                }
                failures.Add(error!);
            }
        }
        if (search.UseLoaderPath)
        {
            if (TryLoad(soname, out nint h, out string? error))
            {
                return new NativeLoadResult(h, MappedPath(h, "cuInit") ?? soname, null);
            }
            failures.Add(error!);
        }
        return NativeLoadResult.Fail("no NVIDIA driver (libcuda.so.1 not found)" + Details(failures));
    }

    internal static NativeLoadResult LoadBlas(CudaLibrarySearch search)
    {
        var failures = new List<string>();
        foreach (string folder in search.OverrideFolders)
        {
            if (TryBlasFolder(folder, failures) is { } found)
            {
                return found;
            }
        }
        if (search.UseLoaderPath)
        {
            foreach (int major in s_blasMajors)
            {
                string soname = $"libcublas.so.{major}";
                // libcublas NEEDs libcublasLt of its major; loading it first by soname gives the same file.
                TryLoad($"libcublasLt.so.{major}", out _, out _);
                if (TryLoad(soname, out nint h, out _))
                {
                    return new NativeLoadResult(h, MappedPath(h, "cublasCreate_v2") ?? soname, null);
                }
            }
        }
        foreach (string folder in search.WheelFolders)
        {
            if (TryBlasFolder(folder, failures) is { } found)
            {
                return found;
            }
        }
        return NativeLoadResult.Fail(
            $"cuBLAS not found (libcublas.so.13|12|11); tried {search.DescribePlaces()}" + Details(failures));
    }

    internal static NativeLoadResult LoadDnn(CudaLibrarySearch search)
    {
        var failures = new List<string>();
        foreach (string folder in search.OverrideFolders)
        {
            if (TryDnnFolder(folder, failures) is { } found)
            {
                return found;
            }
        }
        if (search.UseLoaderPath && TryDnnLoaderPath(failures) is { } onPath)
        {
            return onPath;
        }
        foreach (string folder in search.WheelFolders)
        {
            if (TryDnnFolder(folder, failures) is { } found)
            {
                return found;
            }
        }
        return NativeLoadResult.Fail(
            $"cuDNN not found (libcudnn.so.9|8 with its sub-libraries); tried {search.DescribePlaces()}" +
            Details(failures));
    }

    private static NativeLoadResult? TryBlasFolder(string folder, List<string> failures)
    {
        foreach (int major in s_blasMajors)
        {
            string main = Path.Combine(folder, $"libcublas.so.{major}");
            if (!File.Exists(main))
            {
                continue;
            }
            string lt = Path.Combine(folder, $"libcublasLt.so.{major}");
            if (File.Exists(lt) && !TryLoad(lt, out _, out string? ltError))
            {
                failures.Add(ltError!);
                continue;
            }
            // cuDNN's runtime-compiled engines dlopen NVRTC of the same major; preload it when it sits here.
            foreach (string nvrtc in Directory.EnumerateFiles(folder, $"libnvrtc.so.{major}*").Order().Take(1))
            {
                TryLoad(nvrtc, out _, out _);
            }
            if (TryLoad(main, out nint h, out string? error))
            {
                return new NativeLoadResult(h, main, null);
            }
            failures.Add(error!);
        }
        return null;
    }

    private static NativeLoadResult? TryDnnFolder(string folder, List<string> failures)
    {
        foreach ((int major, string[] parts) in new[] { (9, s_cudnn9Parts), (8, s_cudnn8Parts) })
        {
            string main = Path.Combine(folder, $"libcudnn.so.{major}");
            if (!File.Exists(main))
            {
                continue;
            }
            // A missing sub-library makes cuDNN abort the process at its first call, so refuse the folder now.
            string[] missing = parts.Where(p => !p.StartsWith('?'))
                .Where(p => !File.Exists(Path.Combine(folder, $"{p}.so.{major}"))).ToArray();
            if (missing.Length > 0)
            {
                failures.Add($"{folder} has libcudnn.so.{major} but lacks {string.Join(", ", missing)}");
                continue;
            }
            bool ok = true;
            foreach (string part in parts)
            {
                string path = Path.Combine(folder, $"{part.TrimStart('?')}.so.{major}");
                if (File.Exists(path) && !TryLoad(path, out _, out string? error) && !part.StartsWith('?'))
                {
                    failures.Add(error!);
                    ok = false;
                    break;
                }
            }
            if (!ok)
            {
                continue;
            }
            if (TryLoad(main, out nint h, out string? mainError))
            {
                return new NativeLoadResult(h, main, null);
            }
            failures.Add(mainError!);
        }
        return null;
    }

    private static NativeLoadResult? TryDnnLoaderPath(List<string> failures)
    {
        foreach ((int major, string[] parts) in new[] { (9, s_cudnn9Parts), (8, s_cudnn8Parts) })
        {
            string soname = $"libcudnn.so.{major}";
            if (!TryLoad(soname, out nint h, out _))
            {
                continue;
            }
            // The shim is on the loader path; its sub-libraries must be too, or the first call would abort.
            var missing = new List<string>();
            foreach (string part in parts)
            {
                if (!TryLoad($"{part.TrimStart('?')}.so.{major}", out _, out _) && !part.StartsWith('?'))
                {
                    missing.Add(part);
                }
            }
            if (missing.Count == 0)
            {
                return new NativeLoadResult(h, MappedPath(h, "cudnnGetVersion") ?? soname, null);
            }
            failures.Add($"{soname} is on the loader path but {string.Join(", ", missing)} are not");
        }
        return null;
    }

    private static bool TryLoad(string nameOrPath, out nint handle, out string? error)
    {
        try
        {
            // The string overload hands the name to dlopen unchanged: a bare soname goes through the loader path.
            handle = NativeLibrary.Load(nameOrPath);
            error = null;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            handle = 0;
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// The file a library handle was loaded from: the /proc/self/maps entry whose address range holds one of its
    /// exports (sonames are links, so the name alone does not identify the file). Null if it cannot be told.
    /// </summary>
    internal static string? MappedPath(nint handle, string export)
    {
        if (!NativeLibrary.TryGetExport(handle, export, out nint address))
        {
            return null;
        }
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                // "start-end perms offset dev inode path"
                int dash = line.IndexOf('-');
                int space = line.IndexOf(' ');
                int slash = line.IndexOf('/');
                if (dash < 0 || space < dash || slash < 0)
                {
                    continue;
                }
                ulong start = ulong.Parse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber);
                ulong end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1),
                    System.Globalization.NumberStyles.HexNumber);
                if ((ulong)address >= start && (ulong)address < end)
                {
                    return line[slash..];
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static string Details(List<string> failures) =>
        failures.Count == 0 ? "" : "; load errors: " + string.Join(" | ", failures);
}
