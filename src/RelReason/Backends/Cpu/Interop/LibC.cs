using System.Runtime.InteropServices;

namespace RelReason.Backends.Cpu.Interop;

/// <summary>The C library's environment, which native libraries read (.NET's own environment copy is not it).</summary>
internal static partial class LibC
{
    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint GetEnv(string name);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>The glibc version string ("2.36"); a static string, never freed.</summary>
    [LibraryImport("libc", EntryPoint = "gnu_get_libc_version")]
    internal static partial nint GnuLibcVersion();
}
