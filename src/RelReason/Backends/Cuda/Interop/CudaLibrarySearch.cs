namespace RelReason.Backends.Cuda.Interop;

/// <summary>
/// Where to look for the CUDA libraries, in order: the folders of $RELREASON_CUDA_LIBS (colon-separated), the
/// dynamic loader's own path (LD_LIBRARY_PATH and the ldconfig cache, reached by loading a bare soname), then the
/// folders where NVIDIA's Python wheels put the libraries (site-packages/nvidia/{cu13,cublas,cudnn,cuda_nvrtc}/lib
/// under the usual virtual-environment and interpreter prefixes) and /usr/local/cuda/lib64.
/// </summary>
internal sealed class CudaLibrarySearch
{
    internal const string OverrideVariable = "RELREASON_CUDA_LIBS";

    private static readonly string[] s_wheelSubfolders =
        ["nvidia/cu13/lib", "nvidia/cublas/lib", "nvidia/cudnn/lib", "nvidia/cuda_nvrtc/lib"];

    internal CudaLibrarySearch(IReadOnlyList<string> overrideFolders, bool useLoaderPath,
        IReadOnlyList<string> wheelFolders, IReadOnlyList<string> prefixesSearched)
    {
        OverrideFolders = overrideFolders;
        UseLoaderPath = useLoaderPath;
        WheelFolders = wheelFolders;
        PrefixesSearched = prefixesSearched;
    }

    internal IReadOnlyList<string> OverrideFolders { get; }

    internal bool UseLoaderPath { get; }

    /// <summary>Wheel folders found under <see cref="PrefixesSearched"/>, then /usr/local/cuda/lib64.</summary>
    internal IReadOnlyList<string> WheelFolders { get; }

    internal IReadOnlyList<string> PrefixesSearched { get; }

    /// <summary>The search this process uses: environment, loader path, and the wheel folders found now.</summary>
    internal static CudaLibrarySearch FromEnvironment()
    {
        string[] overrides = (Environment.GetEnvironmentVariable(OverrideVariable) ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        List<string> prefixes = PythonPrefixes();
        return new CudaLibrarySearch(overrides, useLoaderPath: true, WheelFoldersUnder(prefixes), prefixes);
    }

    /// <summary>Folders that exist under the prefixes: lib/python3*/{site,dist}-packages/nvidia/*/lib.</summary>
    internal static List<string> WheelFoldersUnder(IEnumerable<string> prefixes)
    {
        var folders = new List<string>();
        foreach (string prefix in prefixes)
        {
            string lib = Path.Combine(prefix, "lib");
            if (!Directory.Exists(lib))
            {
                continue;
            }
            IEnumerable<string> pythons;
            try
            {
                pythons = Directory.EnumerateDirectories(lib, "python3*").Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (string python in pythons)
            {
                foreach (string packages in new[] { "site-packages", "dist-packages" })
                {
                    foreach (string sub in s_wheelSubfolders)
                    {
                        string folder = Path.Combine(python, packages, sub);
                        if (Directory.Exists(folder) && !folders.Contains(folder))
                        {
                            folders.Add(folder);
                        }
                    }
                }
            }
        }
        const string toolkit = "/usr/local/cuda/lib64";
        if (Directory.Exists(toolkit))
        {
            folders.Add(toolkit);
        }
        return folders;
    }

    /// <summary>
    /// Interpreter prefixes worth searching: the active virtual environment or conda prefix, the prefix of every
    /// PATH entry that is a bin folder with a python3 in it (a venv on PATH), then common fixed places.
    /// </summary>
    private static List<string> PythonPrefixes()
    {
        var prefixes = new List<string>();
        void Add(string? p)
        {
            if (!string.IsNullOrEmpty(p) && !prefixes.Contains(p))
            {
                prefixes.Add(p);
            }
        }
        Add(Environment.GetEnvironmentVariable("VIRTUAL_ENV"));
        Add(Environment.GetEnvironmentVariable("CONDA_PREFIX"));
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':',
            StringSplitOptions.RemoveEmptyEntries))
        {
            if (Path.GetFileName(dir.TrimEnd('/')) == "bin" && File.Exists(Path.Combine(dir, "python3")))
            {
                Add(Path.GetDirectoryName(dir.TrimEnd('/')));
            }
        }
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0)
        {
            Add(Path.Combine(home, ".venv"));
            Add(Path.Combine(home, "venv"));
            Add(Path.Combine(home, ".local"));
        }
        Add(Path.Combine(Environment.CurrentDirectory, ".venv"));
        foreach (string fixedPrefix in new[] { "/opt/venv", "/venv", "/opt/conda", "/usr/local", "/usr" })
        {
            Add(fixedPrefix);
        }
        return prefixes;
    }

    /// <summary>Human-readable list of every place this search looks, for "not found" messages.</summary>
    internal string DescribePlaces()
    {
        var parts = new List<string>();
        parts.Add(OverrideFolders.Count == 0
            ? $"${OverrideVariable} (unset)"
            : $"${OverrideVariable} folders [{string.Join(", ", OverrideFolders)}]");
        if (UseLoaderPath)
        {
            parts.Add("the loader path (LD_LIBRARY_PATH, ldconfig cache)");
        }
        parts.Add(WheelFolders.Count == 0
            ? $"no wheel folders (nvidia/{{cu13,cublas,cudnn}}/lib) under [{string.Join(", ", PrefixesSearched)}]"
            : $"wheel folders [{string.Join(", ", WheelFolders)}]");
        return string.Join("; ", parts);
    }
}
