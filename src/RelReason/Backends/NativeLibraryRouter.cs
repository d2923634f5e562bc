using System.Reflection;
using System.Runtime.InteropServices;

namespace RelReason.Backends;

/// <summary>
/// The one DllImport resolver of the RelReason assembly (.NET allows one per assembly; a second registration
/// throws). Each native binding registers a loader for its logical library name, e.g. "cuda" or "cublas"; names
/// nobody registered fall through to the runtime's default probing.
/// </summary>
internal static class NativeLibraryRouter
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, Func<nint>> s_loaders = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, nint> s_handles = new(StringComparer.Ordinal);
    private static bool s_registered;

    /// <summary>
    /// Routes P/Invokes declared with <paramref name="logicalName"/> to <paramref name="loader"/>, which returns a
    /// library handle or 0 (the runtime then throws DllNotFoundException). The loader runs once; its handle is
    /// cached. Registering the same name again keeps the first loader.
    /// </summary>
    internal static void Register(string logicalName, Func<nint> loader)
    {
        lock (s_lock)
        {
            s_loaders.TryAdd(logicalName, loader);
            if (!s_registered)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryRouter).Assembly, Resolve);
                s_registered = true;
            }
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        Func<nint>? loader;
        lock (s_lock)
        {
            if (s_handles.TryGetValue(libraryName, out nint cached))
            {
                return cached;
            }
            if (!s_loaders.TryGetValue(libraryName, out loader))
            {
                return 0;
            }
        }
        nint handle = loader();
        if (handle != 0)
        {
            lock (s_lock)
            {
                s_handles[libraryName] = handle;
            }
        }
        return handle;
    }
}
