using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace RelReason.Backends;

/// <summary>
/// The assembly's one DllImport resolver (.NET allows a single resolver per assembly). Each native binding
/// registers a loader for its logical library name ("openblas", "cuda", "cublas", "cudnn", ...); the loader runs
/// once, on the first call into that library, and its handle is cached.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly ConcurrentDictionary<string, Func<nint>> Loaders = new();
    private static readonly ConcurrentDictionary<string, Lazy<nint>> Handles = new();

    static NativeLibraryResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    /// <summary>Registers the loader of a logical library name; the loader throws a clear error when it
    /// fails.</summary>
    internal static void Register(string logicalName, Func<nint> loader) => Loaders.TryAdd(logicalName, loader);

    /// <summary>The loaded handle of a registered library (loading it now if needed).</summary>
    internal static nint Load(string logicalName)
    {
        var lazy = Handles.GetOrAdd(logicalName, n => new Lazy<nint>(() =>
            Loaders.TryGetValue(n, out var loader)
                ? loader()
                : throw new DllNotFoundException($"no loader registered for native library '{n}'")));
        return lazy.Value;
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        Loaders.ContainsKey(name) ? Load(name) : 0;
}
