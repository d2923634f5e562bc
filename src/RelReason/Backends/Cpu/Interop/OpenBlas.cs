using System.Runtime.InteropServices;

namespace RelReason.Backends.Cpu.Interop;

/// <summary>
/// OpenBLAS, for the CPU GEMM. Debian ships it as libopenblas.so.0 (package libopenblas0-pthread); the pthread
/// build is loaded by full path first so that the program, not OpenMP's environment, decides the thread count.
/// </summary>
internal static partial class OpenBlas
{
    private const string Library = "openblas";

    // CBLAS enums (cblas.h).
    internal const int RowMajor = 101;
    internal const int ColMajor = 102;
    internal const int NoTrans = 111;
    internal const int Trans = 112;

    private static readonly string[] Candidates =
    [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so.0",
        "libopenblas.so",
    ];

    private static string? _loadedFrom;

    static OpenBlas() => NativeLibraryResolver.Register(Library, LoadLibrary);

    /// <summary>Where the library was loaded from, or null before the first call.</summary>
    internal static string? LoadedFrom => _loadedFrom;

    /// <summary>The handle of the loaded library (0 before the first call), e.g. to find the file it maps.</summary>
    internal static nint Handle { get; private set; }

    /// <summary>Loads the library now; throws a message naming the Debian package when it is missing.</summary>
    internal static void EnsureLoaded() => NativeLibraryResolver.Load(Library);

    /// <summary>The kernel family chosen for OpenBLAS by this program, or null when OpenBLAS chose.</summary>
    internal static string? ForcedCoreType { get; private set; }

    private static nint LoadLibrary()
    {
        ChooseCoreType();
        foreach (var name in Candidates)
        {
            if (NativeLibrary.TryLoad(name, out var h))
            {
                _loadedFrom = name;
                Handle = h;
                return h;
            }
        }
        throw new DllNotFoundException(
            "OpenBLAS (libopenblas.so.0) was not found; the CPU backend needs it for matrix products. " +
            "Install it with: apt-get install libopenblas0-pthread");
    }

    /// <summary>
    /// OpenBLAS 0.3.21 (Debian 12) does not know recent Intel models and falls back to its SSE3 "Prescott" kernels,
    /// which run GEMM at a fraction of the speed. On a CPU with AVX2 and FMA the Haswell kernels are correct and
    /// fast, so they are requested through OPENBLAS_CORETYPE before the library initialises, unless the user set
    /// that variable (theirs always wins).
    /// </summary>
    private static void ChooseCoreType()
    {
        if (LibC.GetEnv("OPENBLAS_CORETYPE") != 0 ||
            !System.Runtime.Intrinsics.X86.Avx2.IsSupported || !System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            return;
        }
        if (LibC.SetEnv("OPENBLAS_CORETYPE", "Haswell", 0) != 0)
        {
            throw new InvalidOperationException("setenv(OPENBLAS_CORETYPE) failed");
        }
        ForcedCoreType = "Haswell";
    }

    [LibraryImport(Library)]
    internal static unsafe partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Library)]
    internal static partial void openblas_set_num_threads(int threads);

    [LibraryImport(Library)]
    internal static partial int openblas_get_num_threads();

    [LibraryImport(Library)]
    internal static partial nint openblas_get_config();

    /// <summary>The name of the kernel family in use (e.g. "Haswell"); a static string, never freed.</summary>
    [LibraryImport(Library)]
    internal static partial nint openblas_get_corename();
}
